{#-
    The account-level sales measures of a group of fct_sales_lines rows: one list, so the monthly
    aggregate (int_account_monthly_sales) and the as-of month cut at the as-of date
    (int_account_as_of_month_sales) cannot drift apart.
-#}
{% macro account_sales_measures() -%}
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
        -- goods given free (price 0 or discounted to 0): coverage is weighed by revenue, which they
        -- have none of, so they are counted apart
        count(*) filter (where cost_basis = 'unknown' and net_revenue = 0) as unknown_cost_free_line_count,
        -- every revenue line of unknown cost, free or priced: without net revenue to weigh coverage
        -- by, the margin is known only when none of them is priced
        count(*) filter (where is_revenue_line and cost_basis = 'unknown') as unknown_cost_line_count,
        count(distinct invoice_id) filter (where document_type = 'invoice') as invoice_count,
        count(distinct invoice_id) filter (where document_type = 'credit_note') as credit_note_count,
        count(*) as line_count
{%- endmacro %}
