with clean_plans as (
    select * from {{ ref('int_account_plans__checked') }}
    where dq_reason is null
),

final as (
    select
        source_file,
        source_row,
        plan_id,
        account_id,
        owner_rep_id,
        plan_start_date,
        plan_end_date,
        swot_updated_date,
        is_co_built_with_client,
        has_objectives
    from clean_plans
)

select * from final
