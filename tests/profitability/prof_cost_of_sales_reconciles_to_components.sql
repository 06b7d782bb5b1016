{#-
    The cost of sales summed over accounts equals, computed independently from the clean
    sources: the activity cost total (minutes and travel minutes x the rep's cost per minute,
    plus travel expenses, over activities with an account) + order handling (invoices x var
    order_handling_cost) + discounts on the deals won in the period. Checked for every reported
    period whose every account has a known cost of sales (all periods of the demo data; none of
    a sales-only export, where the cost is unknown).
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
        sum(cost_of_sales) as cost_of_sales,
        count(*) filter (where cost_of_sales_coverage not in ('complete', 'no_cost_drivers')) as unknown_count
    from {{ ref('fct_account_profitability') }}
    group by period_id
),

activity_cost as (
    select
        periods.period_id,
        -- rounded per activity and per kind of minute like the costing, so totals match to the cent
        sum(
            round(activities.duration_minutes * reps.cost_per_minute, 4)
            + round(activities.travel_minutes * reps.cost_per_minute, 4)
            + coalesce(activities.travel_cost, 0)
        ) as activity_cost
    from {{ ref('int_activities') }} as activities
    inner join {{ ref('dim_reps') }} as reps
        on activities.rep_id = reps.rep_id
    inner join periods
        on activities.activity_date between periods.period_start_date and periods.period_end_date
    where activities.account_id is not null
        and activities.activity_date <= {{ as_of_date() }}
    group by periods.period_id
),

order_handling as (
    select
        periods.period_id,
        -- per account, as the mart counts them: an invoice whose lines name two accounts
        -- (possible when the accounts are derived from the sales lines) is an order for each
        count(distinct sales_lines.account_id || '|' || sales_lines.invoice_id)
        * {{ var('order_handling_cost') if var('order_handling_cost') is not none else 'null' }} as order_handling_cost
    from {{ ref('fct_sales_lines') }} as sales_lines
    inner join periods
        on sales_lines.invoice_date between periods.period_start_date and periods.period_end_date
    where sales_lines.document_type = 'invoice'
    group by periods.period_id
),

won_discounts as (
    select
        periods.period_id,
        sum(opportunities.discount_amount) as won_deal_discount_cost
    from {{ ref('int_opportunities') }} as opportunities
    inner join periods
        on opportunities.closed_date between periods.period_start_date and periods.period_end_date
    where opportunities.status = 'won'
    group by periods.period_id
),

expected as (
    select
        periods.period_id,
        coalesce(activity_cost.activity_cost, 0)
        + coalesce(order_handling.order_handling_cost, 0)
        + coalesce(won_discounts.won_deal_discount_cost, 0) as cost_of_sales
    from periods
    left join activity_cost on periods.period_id = activity_cost.period_id
    left join order_handling on periods.period_id = order_handling.period_id
    left join won_discounts on periods.period_id = won_discounts.period_id
)

select
    mart.period_id,
    mart.cost_of_sales as mart_cost_of_sales,
    expected.cost_of_sales as expected_cost_of_sales
from mart
inner join expected
    on mart.period_id = expected.period_id
where mart.unknown_count = 0
    and abs(coalesce(mart.cost_of_sales, 0) - expected.cost_of_sales) > 0.01
