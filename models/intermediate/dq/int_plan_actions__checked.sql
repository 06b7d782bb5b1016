{#- Every staged plan_actions row with its final data-quality reason (null = clean). -#}
{%- set value_columns = ['action_id', 'plan_id', 'owner_rep_id', 'due_date', 'completed_date'] %}
with staged as (
    select * from {{ ref('stg_landing__plan_actions') }}
),

known_plans as (
    select plan_id from {{ ref('int_account_plans__checked') }}
    where dq_reason is null
),

duplicates_flagged as (
    {{ duplicate_checks('staged', ['action_id'], value_columns) }}
),

references_checked as (
    select
        duplicates_flagged.*,
        known_plans.plan_id is null as is_orphan
    from duplicates_flagged
    left join known_plans
        on duplicates_flagged.plan_id = known_plans.plan_id
),

final as (
    select
        * exclude (dq_reason, dq_detail, is_exact_duplicate, has_conflicting_key, is_orphan),
        {{ final_dq_reason([
            ("is_exact_duplicate", "exact_duplicate", "'action_id ' || action_id"),
            ("has_conflicting_key", "conflicting_duplicate_key", "'action_id ' || action_id"),
            ("is_orphan", "orphan_key", "'plan_id ' || plan_id"),
        ]) }}
    from references_checked
)

select * from final
