{#-
    Net revenue summed over accounts equals the line-level total of the same days, for every
    reported period (a missing or doubled account-month would break it, and so would a sale
    dated after the as-of date in the current period).
-#}
with periods as (
    select
        period_id,
        period_start_date,
        period_end_date
    from {{ ref('int_profitability_periods') }}
    where is_reported
),

mart as (
    select
        period_id,
        sum(net_revenue) as net_revenue
    from {{ ref('fct_account_profitability') }}
    group by period_id
),

lines as (
    select
        periods.period_id,
        sum(sales_lines.net_revenue) as net_revenue
    from {{ ref('fct_sales_lines') }} as sales_lines
    inner join periods
        on sales_lines.invoice_date between periods.period_start_date and periods.period_end_date
    group by periods.period_id
)

select
    coalesce(mart.period_id, lines.period_id) as period_id,
    mart.net_revenue as mart_net_revenue,
    lines.net_revenue as line_net_revenue
from mart
full outer join lines
    on mart.period_id = lines.period_id
where abs(coalesce(mart.net_revenue, 0) - coalesce(lines.net_revenue, 0)) > 0.01
