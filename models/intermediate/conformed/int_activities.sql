with clean_activities as (
    select * from {{ ref('int_activities__checked') }}
    where dq_reason is null
),

final as (
    select
        source_file,
        source_row,
        activity_id,
        activity_date,
        rep_id,
        account_id,
        contact_id,
        activity_type,
        duration_minutes,
        travel_minutes,
        travel_cost,
        is_billable
    from clean_activities
)

select * from final
