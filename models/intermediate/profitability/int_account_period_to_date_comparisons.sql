{#-
    Like-for-like comparison bases for the current periods that the as-of date cuts short (a
    month, quarter or trailing year whose last month is not over: int_profitability_periods.
    is_period_to_date). Such a period counts its last month only up to the as-of date, so
    comparing it with a whole previous period reads as a fall in revenue whenever the as-of
    date is not a month end. For each of them and each comparison (the previous period, the
    same period last year), this model gives every account's net revenue over the compared
    period cut at the same day: from the compared period's first day to the as-of date moved
    back by the months between the two periods' starts (DuckDB's month arithmetic keeps the
    day, or the month's last day when the month is shorter; an as-of date on a month's last day
    moves to that month's last day, so whole months meet whole months). Whole months come from
    int_account_monthly_sales, the month cut short from the line-level fact.
    One row per current period, comparison and account that had sales in the compared window.
-#}
with periods as (
    select
        period_number,
        period_start_date,
        previous_period_number,
        last_year_period_number,
        is_period_to_date,
        as_of_date
    from {{ ref('int_profitability_periods') }}
),

comparisons as (
    select
        periods.period_number,
        'previous' as comparison,
        periods.previous_period_number as compared_period_number
    from periods
    where periods.is_period_to_date
    union all
    select
        periods.period_number,
        'last_year' as comparison,
        periods.last_year_period_number as compared_period_number
    from periods
    where periods.is_period_to_date
),

compared_periods as (
    select
        comparisons.period_number,
        comparisons.comparison,
        compared.period_start_date as window_start_date,
        current_period.as_of_date,
        cast(datediff('month', compared.period_start_date, current_period.period_start_date) as integer)
            as month_distance
    from comparisons
    inner join periods as current_period
        on comparisons.period_number = current_period.period_number
    inner join periods as compared
        on comparisons.compared_period_number = compared.period_number
),

comparison_windows as (
    select
        period_number,
        comparison,
        window_start_date,
        -- an as-of date on a month's last day (a quarter or year to date of whole months) is
        -- compared with whole months too: 30 April with 31 January, not the 30th
        case
            when as_of_date = last_day(as_of_date) then cast(last_day(as_of_date - to_months(month_distance)) as date)
            else cast(as_of_date - to_months(month_distance) as date)
        end as window_end_date
    from compared_periods
),

windows as (
    select
        *,
        cast(date_trunc('month', window_end_date) as date) as cut_month_start_date
    from comparison_windows
),

whole_months as (
    select
        windows.period_number,
        windows.comparison,
        monthly_sales.account_id,
        sum(monthly_sales.net_revenue) as net_revenue
    from {{ ref('int_account_monthly_sales') }} as monthly_sales
    inner join windows
        on monthly_sales.month_start_date >= windows.window_start_date
        and monthly_sales.month_start_date < windows.cut_month_start_date
    group by windows.period_number, windows.comparison, monthly_sales.account_id
),

cut_month as (
    select
        windows.period_number,
        windows.comparison,
        sales_lines.account_id,
        -- the net revenue of account_sales_measures, on the days up to the cut
        sum(sales_lines.net_revenue) as net_revenue
    from {{ ref('fct_sales_lines') }} as sales_lines
    inner join windows
        on sales_lines.invoice_month = windows.cut_month_start_date
        and sales_lines.invoice_date <= windows.window_end_date
    group by windows.period_number, windows.comparison, sales_lines.account_id
),

final as (
    select
        coalesce(whole_months.period_number, cut_month.period_number) as period_number,
        coalesce(whole_months.comparison, cut_month.comparison) as comparison,
        coalesce(whole_months.account_id, cut_month.account_id) as account_id,
        coalesce(whole_months.net_revenue, 0) + coalesce(cut_month.net_revenue, 0) as net_revenue
    from whole_months
    full outer join cut_month
        on whole_months.period_number = cut_month.period_number
        and whole_months.comparison = cut_month.comparison
        and whole_months.account_id = cut_month.account_id
)

select * from final
