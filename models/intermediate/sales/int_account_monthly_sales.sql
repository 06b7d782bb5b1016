{#-
    Revenue to margin per account and calendar month, from the line-level fact: computed once
    here so every mart (segments, profitability, scores) aggregates months, not lines.
    Margin: when at least var min_cost_coverage of the net revenue has a known cost, the gross
    margin is extrapolated from the known part (cost_coverage_share says how much was known);
    below that it is null, never zero.
-#}
with sales_lines as (
    select
        account_id,
        invoice_month,
        invoice_id,
        document_type,
        line_category,
        is_revenue_line,
        is_return,
        gross_amount,
        discount_amount,
        net_revenue,
        cost_basis,
        cost_of_goods,
        gross_margin
    from {{ ref('fct_sales_lines') }}
),

monthly as (
    select
        account_id,
        invoice_month as month_start_date,
        sum(gross_amount) filter (where is_revenue_line and document_type = 'invoice' and line_category != 'discount')
            as gross_sales,
        sum(gross_amount) filter (
            where is_revenue_line and document_type = 'credit_note' and line_category != 'discount'
        )
            as credit_notes_amount,
        sum(gross_amount) filter (where is_return) as returns_amount,
        coalesce(sum(discount_amount) filter (where is_revenue_line and line_category != 'discount'), 0)
        - coalesce(sum(gross_amount) filter (where line_category = 'discount'), 0) as discounts_amount,
        sum(net_revenue) as net_revenue,
        sum(net_revenue) filter (where cost_basis in ('unit_cost', 'family_margin_rate', 'not_applicable'))
            as net_revenue_with_known_cost,
        sum(cost_of_goods) as known_cost_of_goods,
        sum(gross_margin) filter (where is_revenue_line) as known_gross_margin,
        count(distinct invoice_id) filter (where document_type = 'invoice') as invoice_count,
        count(distinct invoice_id) filter (where document_type = 'credit_note') as credit_note_count,
        count(*) as line_count
    from sales_lines
    group by account_id, invoice_month
),

final as (
    select
        account_id || ':' || strftime(month_start_date, '%Y-%m') as account_month_id,
        account_id,
        month_start_date,
        coalesce(gross_sales, 0) as gross_sales,
        coalesce(credit_notes_amount, 0) as credit_notes_amount,
        coalesce(returns_amount, 0) as returns_amount,
        coalesce(discounts_amount, 0) as discounts_amount,
        net_revenue,
        case when net_revenue != 0 then coalesce(net_revenue_with_known_cost, 0) / net_revenue end as cost_coverage_share,
        case
            when net_revenue = 0 then known_gross_margin
            when net_revenue_with_known_cost / net_revenue >= {{ number_var('min_cost_coverage') }}
                then known_gross_margin * net_revenue / nullif(net_revenue_with_known_cost, 0)
        end as gross_margin,
        invoice_count,
        credit_note_count,
        line_count
    from monthly
)

select * from final
