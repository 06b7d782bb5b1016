{#-
    The periods profitability is computed for, relative to the as-of date: calendar months,
    calendar quarters and trailing twelve months (the twelve calendar months ending with the
    as-of month). Every period is numbered back from the one holding the as-of date
    (period_offset 0). The marts report var window_months months, the quarters those months
    span and two trailing years; the spine goes one year further back so that every reported
    period has its previous period and the same period last year.
    Each period also says which sources cover it completely: a period that starts before the
    first sales month, activity month or opportunity month is not covered by that source, so
    its numbers are unknown there (never read as zero).
-#}
with as_of as (
    select {{ as_of_date() }} as as_of_date
),

sales_history as (
    select min(month_start_date) as first_sales_month
    from {{ ref('int_account_monthly_sales') }}
),

activity_history as (
    select cast(date_trunc('month', min(activity_date)) as date) as first_activity_month
    from {{ ref('int_activities') }}
),

opportunity_history as (
    select cast(date_trunc('month', min(created_date)) as date) as first_opportunity_month
    from {{ ref('int_opportunities') }}
),

period_counts as (
    select
        {{ number_var('window_months') }} as reported_months,
        -- the quarters the reported months span
        cast(ceil({{ number_var('window_months') }} / 3) as integer) as reported_quarters
),

month_periods as (
    select
        'month' as period_type,
        offsets.range as period_offset,
        cast(date_trunc('month', as_of.as_of_date) - to_months(cast(offsets.range as integer)) as date)
            as period_start_date,
        1 as period_month_count,
        offsets.range < period_counts.reported_months as is_reported,
        offsets.range + 1 as previous_period_offset,
        offsets.range + 12 as last_year_period_offset
    from as_of
    cross join period_counts
    -- one more year than reported, for the same month last year
    cross join range(cast(period_counts.reported_months + 12 as bigint)) as offsets
),

quarter_periods as (
    select
        'quarter' as period_type,
        offsets.range as period_offset,
        cast(date_trunc('quarter', as_of.as_of_date) - to_months(cast(3 * offsets.range as integer)) as date)
            as period_start_date,
        3 as period_month_count,
        offsets.range < period_counts.reported_quarters as is_reported,
        offsets.range + 1 as previous_period_offset,
        offsets.range + 4 as last_year_period_offset
    from as_of
    cross join period_counts
    cross join range(cast(period_counts.reported_quarters + 4 as bigint)) as offsets
),

trailing_periods as (
    select
        'trailing_12m' as period_type,
        offsets.range as period_offset,
        cast(date_trunc('month', as_of.as_of_date) - to_months(cast(12 * offsets.range + 11 as integer)) as date)
            as period_start_date,
        12 as period_month_count,
        -- the current and the previous trailing year are reported; the one before feeds comparisons
        offsets.range < 2 as is_reported,
        -- trailing years do not overlap, so the previous period is also the same period last year
        offsets.range + 1 as previous_period_offset,
        offsets.range + 1 as last_year_period_offset
    from as_of
    cross join range(3) as offsets
),

all_periods as (
    select * from month_periods
    union all
    select * from quarter_periods
    union all
    select * from trailing_periods
),

numbered as (
    -- a small integer key, so the marts join and group account-periods on numbers, not text
    select
        *,
        case period_type when 'month' then 0 when 'quarter' then 1000 else 2000 end as period_type_base
    from all_periods
),

final as (
    select
        numbered.period_type || ':' || strftime(numbered.period_start_date, '%Y-%m-%d') as period_id,
        cast(numbered.period_type_base + numbered.period_offset as integer) as period_number,
        numbered.period_type,
        numbered.period_offset,
        numbered.period_start_date,
        -- the period holding the as-of date ends at the as-of date
        least(
            cast(numbered.period_start_date + to_months(numbered.period_month_count) - interval 1 day as date),
            as_of.as_of_date
        ) as period_end_date,
        numbered.period_month_count,
        numbered.period_offset = 0 as is_current_period,
        -- the as-of date ends the period before its last day: its comparisons are cut at the same
        -- day (int_account_period_to_date_comparisons)
        numbered.period_offset = 0
        and as_of.as_of_date
        < cast(numbered.period_start_date + to_months(numbered.period_month_count) - interval 1 day as date)
            as is_period_to_date,
        numbered.is_reported,
        numbered.previous_period_offset,
        numbered.last_year_period_offset,
        cast(numbered.period_type_base + numbered.previous_period_offset as integer) as previous_period_number,
        cast(numbered.period_type_base + numbered.last_year_period_offset as integer) as last_year_period_number,
        as_of.as_of_date,
        coalesce(numbered.period_start_date >= sales_history.first_sales_month, false) as is_sales_covered,
        coalesce(numbered.period_start_date >= activity_history.first_activity_month, false)
            as is_activity_covered,
        coalesce(numbered.period_start_date >= opportunity_history.first_opportunity_month, false)
            as is_opportunity_covered,
        activity_history.first_activity_month is not null as has_activities,
        opportunity_history.first_opportunity_month is not null as has_opportunities
    from numbered
    cross join as_of
    cross join sales_history
    cross join activity_history
    cross join opportunity_history
    where as_of.as_of_date is not null
)

select * from final
