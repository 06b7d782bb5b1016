with clean_actions as (
    select * from {{ ref('int_plan_actions__checked') }}
    where dq_reason is null
),

final as (
    select
        source_file,
        source_row,
        action_id,
        plan_id,
        owner_rep_id,
        due_date,
        completed_date
    from clean_actions
)

select * from final
