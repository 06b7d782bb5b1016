-- dated more than var max_future_days after the as-of date: quarantined (int_far_future_rows)
with far_future as (
    select
        source_file,
        source_row
    from {{ ref('int_far_future_rows') }}
    where entity = 'activities'
),

clean_activities as (
    select checked.*
    from {{ ref('int_activities__checked') }} as checked
    left join far_future
        on checked.source_file = far_future.source_file
        and checked.source_row = far_future.source_row
    where checked.dq_reason is null and far_future.source_row is null
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
