{#-
    Clean sales lines in the reporting currency, classified: document type, line category
    (product, service, postage, fee, discount, ...) and whether the line counts as revenue.
    Amounts: gross = quantity x unit price; net = gross less the discount (a credit note
    refunds the discounted amount, so its discount reduces the refund).
-#}
with clean_lines as (
    select * from {{ ref('int_sales_lines__checked') }}
    where dq_reason is null
),

currency_rates as (
    select * from {{ ref('currency_rates') }}
),

non_product_codes as (
    select
        upper(product_id) as product_id,
        line_category,
        counts_as_revenue
    from {{ ref('non_product_codes') }}
),

services as (
    select product_id from {{ ref('int_products__checked') }}
    where dq_reason is null and is_service
),

converted as (
    select
        clean_lines.* replace (
            cast(clean_lines.quantity as decimal(38, 4)) as quantity,
            cast(clean_lines.unit_price as decimal(38, 4)) as unit_price,
            cast(clean_lines.discount_amount as decimal(38, 4)) as discount_amount
        ),
        cast(currency_rates.rate_to_reporting as decimal(38, 8)) as exchange_rate
    from clean_lines
    asof left join currency_rates
        on
            clean_lines.currency = currency_rates.currency
            and clean_lines.invoice_date >= currency_rates.valid_from_date
),

classified as (
    select
        converted.*,
        case
            when non_product_codes.line_category is not null then non_product_codes.line_category
            when services.product_id is not null then 'service'
            else 'product'
        end as line_category,
        coalesce(non_product_codes.counts_as_revenue, true) as is_revenue_line
    from converted
    left join non_product_codes
        on converted.product_id = non_product_codes.product_id
    left join services
        on converted.product_id = services.product_id
),

final as (
    select
        invoice_id || '-' || line_number as sales_line_id,
        invoice_id,
        line_number,
        invoice_date,
        account_id,
        product_id,
        rep_id,
        document_type,
        line_category,
        is_revenue_line,
        document_type = 'credit_note' and line_category in ('product', 'service') as is_return,
        quantity,
        {{ money('unit_price * exchange_rate') }} as unit_price,
        {{ money('quantity * unit_price * exchange_rate') }} as gross_amount,
        {{ money('sign(quantity) * discount_amount * exchange_rate') }} as discount_amount,
        {{ money('(quantity * unit_price - sign(quantity) * discount_amount) * exchange_rate') }} as net_amount,
        unit_price = 0 as is_free_of_charge,
        currency as original_currency,
        exchange_rate,
        account_name,
        country,
        product_name,
        product_family,
        source_file,
        source_row
    from classified
)

select * from final
