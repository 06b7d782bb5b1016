{#-
    The known part of each account-month's margin: the net revenue whose cost of goods is
    known (unit cost, family margin rate, or a line that carries no cost) and the margin earned
    on it. int_account_monthly_sales already applies var min_cost_coverage month by month, but
    then a single month below the cut-off makes a whole quarter or year unknown; with the known
    parts, fct_account_profitability applies the same cut-off to each period's own coverage.
    Lines given free (price 0 or discounted to 0) whose cost is unknown are counted apart: they weigh nothing in a
    coverage weighed by revenue, yet their cost is a cost of the period.
    Same filters as int_account_monthly_sales (one row per account-month with sales).
-#}
with sales_lines as (
    select
        account_id,
        invoice_month,
        is_revenue_line,
        net_revenue,
        cost_basis,
        gross_margin
    from {{ ref('fct_sales_lines') }}
),

final as (
    select
        account_id || ':' || strftime(invoice_month, '%Y-%m') as account_month_id,
        account_id,
        invoice_month as month_start_date,
        coalesce(
            sum(net_revenue) filter (where cost_basis in ('unit_cost', 'family_margin_rate', 'not_applicable')), 0
        ) as net_revenue_with_known_cost,
        coalesce(sum(gross_margin) filter (where is_revenue_line), 0) as known_gross_margin,
        -- goods given free (price 0 or discounted to 0): counted apart, as they weigh nothing in
        -- a coverage weighed by revenue
        count(*) filter (where cost_basis = 'unknown' and net_revenue = 0) as unknown_cost_free_line_count,
        -- free or priced: a period without net revenue has a known margin only when none is priced
        count(*) filter (where is_revenue_line and cost_basis = 'unknown') as unknown_cost_line_count
    from sales_lines
    group by account_id, invoice_month
)

select * from final
