{#-
    The trailing window of each history snapshot (int_snapshot_dates): the var window_months
    months ending on the snapshot date, the same window as the segmentation, read from
    int_segment_periods so the two cannot drift apart (a month-end snapshot's window is whole
    calendar months: 28 Feb 2025 starts on 1 Mar 2024, not on 29 Feb 2024). Every windowed
    measure of the scores uses it.
-#}
with snapshots as (
    select
        snapshot_index,
        snapshot_date,
        is_current
    from {{ ref('int_snapshot_dates') }}
),

window_periods as (
    select
        snapshot_index,
        period_start_date
    from {{ ref('int_segment_periods') }}
    where is_in_window
),

window_starts as (
    select
        snapshot_index,
        min(period_start_date) as window_start_date
    from window_periods
    group by snapshot_index
),

final as (
    select
        snapshots.snapshot_index,
        snapshots.snapshot_date,
        snapshots.is_current,
        window_starts.window_start_date
    from snapshots
    inner join window_starts
        on snapshots.snapshot_index = window_starts.snapshot_index
)

select * from final
