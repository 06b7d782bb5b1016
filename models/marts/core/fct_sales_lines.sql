{#-
    One row per clean sales line, in the reporting currency, with its cost of goods and gross
    margin. Cost of goods: the product's unit cost; else the family margin rate of seed
    family_margin_rates; else unknown (null, cost_basis 'unknown'), never zero.
-#}
with sales_lines as (
    select * from {{ ref('int_sales_lines') }}
),

products as (
    select
        product_id,
        product_family,
        unit_cost
    from {{ ref('int_products') }}
),

family_margin_rates as (
    select
        product_family,
        margin_rate
    from {{ ref('family_margin_rates') }}
),

costed as (
    select
        sales_lines.*,
        coalesce(products.product_family, sales_lines.product_family) as resolved_product_family,
        case
            when not sales_lines.is_revenue_line then 'not_applicable'
            when sales_lines.line_category = 'discount' then 'not_applicable'
            when products.unit_cost is not null then 'unit_cost'
            when family_margin_rates.margin_rate is not null then 'family_margin_rate'
            else 'unknown'
        end as cost_basis,
        products.unit_cost,
        family_margin_rates.margin_rate
    from sales_lines
    left join products
        on sales_lines.product_id = products.product_id
    left join family_margin_rates
        on coalesce(products.product_family, sales_lines.product_family) = family_margin_rates.product_family
),

final as (
    select
        sales_line_id,
        invoice_id,
        line_number,
        invoice_date,
        cast(date_trunc('month', invoice_date) as date) as invoice_month,
        account_id,
        product_id,
        rep_id,
        resolved_product_family as product_family,
        document_type,
        line_category,
        is_revenue_line,
        is_return,
        is_free_of_charge,
        quantity,
        unit_price,
        gross_amount,
        discount_amount,
        net_amount,
        case when is_revenue_line then net_amount else 0 end as net_revenue,
        cost_basis,
        {{ money("""case cost_basis
            when 'unit_cost' then quantity * unit_cost
            when 'family_margin_rate' then net_amount * (1 - margin_rate)
            when 'not_applicable' then 0
        end""") }} as cost_of_goods,
        {{ money("""case cost_basis
            when 'unit_cost' then net_amount - quantity * unit_cost
            when 'family_margin_rate' then net_amount * margin_rate
            when 'not_applicable' then case when is_revenue_line then net_amount else 0 end
        end""") }} as gross_margin,
        original_currency,
        exchange_rate,
        source_file,
        source_row
    from costed
)

select * from final
