{#-
    The month-long periods every segmentation window is cut into, per snapshot. Period 0 ends
    on the snapshot date, period 1 a month earlier, and so on: a trailing window of
    var window_months is periods 0 .. window_months - 1, i.e. exactly (snapshot date minus
    window_months months, snapshot date]. When the snapshot date is a month end the periods are
    calendar months; otherwise they end on the same day of each month, so a mid-month as-of date
    never leaves a partial month that would look like a drop in revenue.
    The at-risk rule compares the trailing period of one snapshot interval (var
    snapshot_interval_months: the last quarter by default, so consecutive snapshots read
    non-overlapping trailing periods) with the window_months periods before it (its baseline):
    periods snapshot_interval_months .. snapshot_interval_months + window_months - 1.
-#}
with snapshot_dates as (
    select
        snapshot_index,
        snapshot_date
    from {{ ref('int_snapshot_dates') }}
),

period_offsets as (
    select range as period_index
    from range(
        {{ number_var('snapshot_interval_months') }} + {{ number_var('window_months') }}
    )
),

period_bounds as (
    select
        snapshot_dates.snapshot_index,
        snapshot_dates.snapshot_date,
        period_offsets.period_index,
        -- month ends stay month ends (30 Sep -> 31 Aug), other days keep their day of month
        case
            when snapshot_dates.snapshot_date = last_day(snapshot_dates.snapshot_date)
                then last_day(snapshot_dates.snapshot_date - to_months(cast(period_offsets.period_index as integer)))
            else cast(snapshot_dates.snapshot_date - to_months(cast(period_offsets.period_index as integer)) as date)
        end as period_end_date,
        case
            when snapshot_dates.snapshot_date = last_day(snapshot_dates.snapshot_date)
                then last_day(
                    snapshot_dates.snapshot_date - to_months(cast(period_offsets.period_index + 1 as integer))
                )
            else cast(
                snapshot_dates.snapshot_date - to_months(cast(period_offsets.period_index + 1 as integer)) as date
            )
        end as previous_period_end_date
    from snapshot_dates
    cross join period_offsets
),

final as (
    select
        cast(snapshot_index as integer) || ':' || cast(period_index as integer) as snapshot_period_id,
        cast(snapshot_index as integer) as snapshot_index,
        snapshot_date,
        cast(period_index as integer) as period_index,
        cast(previous_period_end_date + 1 as date) as period_start_date,
        cast(period_end_date as date) as period_end_date,
        period_index < {{ number_var('window_months') }} as is_in_window,
        period_index < {{ number_var('snapshot_interval_months') }} as is_trailing,
        period_index >= {{ number_var('snapshot_interval_months') }} as is_baseline
    from period_bounds
)

select * from final
