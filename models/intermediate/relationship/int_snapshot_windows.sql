{#-
    The trailing window of each history snapshot (int_snapshot_dates): the var window_months
    months ending on the snapshot date, (snapshot date - window_months months, snapshot date],
    the same window as the segmentation. Every windowed measure of the scores uses it.
-#}
with snapshots as (
    select
        snapshot_index,
        snapshot_date,
        is_current
    from {{ ref('int_snapshot_dates') }}
),

final as (
    select
        snapshot_index,
        snapshot_date,
        is_current,
        -- first day of the window: the day after the same date window_months earlier
        cast(snapshot_date - to_months({{ number_var('window_months') }}) + interval 1 day as date)
            as window_start_date
    from snapshots
)

select * from final
