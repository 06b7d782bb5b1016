{#- Every staged opportunities row with its final data-quality reason (null = clean). -#}
{%- set value_columns = ['opportunity_id', 'account_id', 'rep_id', 'created_date', 'closed_date', 'stage',
    'status', 'amount', 'discount_amount', 'competitor', 'loss_reason'] %}
with staged as (
    select * from {{ ref('stg_landing__opportunities') }}
),

known_accounts as (
    select account_id from {{ ref('int_accounts') }}
),

duplicates_flagged as (
    select
        *,
        {{ duplicate_checks(['opportunity_id'], value_columns) }}
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
            ("is_exact_duplicate", "exact_duplicate", "'opportunity_id ' || opportunity_id"),
            ("has_conflicting_key", "conflicting_duplicate_key", "'opportunity_id ' || opportunity_id"),
            ("is_orphan", "orphan_key", "'account_id ' || account_id"),
        ]) }}
    from references_checked
)

select * from final
