{#- One row per product or non-product code (postage, fees, ...) that a sales line can carry. -#}
with products as (
    select * from {{ ref('int_products') }}
),

final as (
    select
        product_id,
        product_name,
        product_family,
        unit_cost,
        list_price,
        case when list_price > 0 and unit_cost is not null then (list_price - unit_cost) / list_price end
            as list_margin_rate,
        is_service,
        is_non_product,
        is_derived_from_sales
    from products
)

select * from final
