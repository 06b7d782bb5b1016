{#- Every staged activities row with its final data-quality reason (null = clean). -#}
{%- set value_columns = ['activity_id', 'activity_date', 'rep_id', 'account_id', 'contact_id', 'activity_type',
    'duration_minutes', 'travel_minutes', 'travel_cost', 'is_billable'] %}
with staged as (
    select * from {{ ref('stg_landing__activities') }}
),

known_accounts as (
    select account_id from {{ ref('int_accounts') }}
),

duplicates_flagged as (
    select
        *,
        {{ duplicate_checks(['activity_id'], value_columns) }}
    from staged
),

references_checked as (
    select
        duplicates_flagged.*,
        duplicates_flagged.account_id is not null and known_accounts.account_id is null as is_orphan
    from duplicates_flagged
    left join known_accounts
        on duplicates_flagged.account_id = known_accounts.account_id
),

final as (
    select
        * exclude (dq_reason, dq_detail, is_exact_duplicate, has_conflicting_key, is_orphan),
        {{ final_dq_reason([
            ("is_exact_duplicate", "exact_duplicate", "'activity_id ' || activity_id"),
            ("has_conflicting_key", "conflicting_duplicate_key", "'activity_id ' || activity_id"),
            ("is_orphan", "orphan_key", "'account_id ' || account_id"),
        ]) }}
    from references_checked
)

select * from final
