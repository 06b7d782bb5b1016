{#-
    The as-of month's sales per account, cut at the as-of date: the lines from the first of the
    as-of month to the as-of date, with the measures of int_account_monthly_sales and the known
    part of the margin (int_account_monthly_known_margin). int_account_monthly_sales holds whole
    calendar months whatever the as-of date, so a profitability period ending on an as-of date
    before the month's end would otherwise count the sales dated after it.
-#}
with as_of as (
    select
        {{ as_of_date() }} as as_of_date,
        cast(date_trunc('month', {{ as_of_date() }}) as date) as as_of_month_start_date
),

sales_lines as (
    select
        account_id,
        invoice_date,
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

as_of_month_lines as (
    select sales_lines.*
    from sales_lines
    inner join as_of
        on sales_lines.invoice_month = as_of.as_of_month_start_date
        and sales_lines.invoice_date <= as_of.as_of_date
),

measures as (
    select
        account_id,
        invoice_month as month_start_date,
        {{ account_sales_measures() }}
    from as_of_month_lines
    group by account_id, invoice_month
),

final as (
    select
        account_id,
        month_start_date,
        coalesce(gross_sales, 0) as gross_sales,
        coalesce(credit_notes_amount, 0) as credit_notes_amount,
        coalesce(returns_amount, 0) as returns_amount,
        coalesce(discounts_amount, 0) as discounts_amount,
        net_revenue,
        coalesce(net_revenue_with_known_cost, 0) as net_revenue_with_known_cost,
        coalesce(known_gross_margin, 0) as known_gross_margin,
        unknown_cost_free_line_count,
        unknown_cost_line_count,
        invoice_count,
        credit_note_count
    from measures
)

select * from final
