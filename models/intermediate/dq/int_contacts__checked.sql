{#- Every staged contacts row with its final data-quality reason (null = clean). -#}
{%- set value_columns = ['contact_id', 'account_id', 'first_name', 'last_name', 'email', 'phone', 'job_function',
    'decision_role', 'seniority', 'closeness', 'active_from_date', 'left_date'] %}
with staged as (
    select * from {{ ref('stg_landing__contacts') }}
),

known_accounts as (
    select account_id from {{ ref('int_accounts') }}
),

duplicates_flagged as (
    select
        *,
        {{ duplicate_checks(['contact_id'], value_columns) }}
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
            ("is_exact_duplicate", "exact_duplicate", "'contact_id ' || contact_id"),
            ("has_conflicting_key", "conflicting_duplicate_key", "'contact_id ' || contact_id"),
            ("is_orphan", "orphan_key", "'account_id ' || account_id"),
        ]) }}
    from references_checked
)

select * from final
