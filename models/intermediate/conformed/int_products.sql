{#-
    The product list: the products file when delivered, otherwise products derived from the
    clean sales lines (most frequent name and family); plus the non-product codes of seed
    non_product_codes (postage, fees, ...), so every line's product is known.
-#}
{#- a plain table, not reusable_table: it reads the sales lines, which every delivery changes -#}
{{ config(materialized='table') }}
with file_products as (
    select * from {{ ref('int_products__checked') }}
    where dq_reason is null
),

sales_lines as (
    select
        product_id,
        product_name,
        product_family,
        unit_price,
        quantity
    from {{ ref('int_sales_lines') }}
    where line_category in ('product', 'service')
),

non_product_codes as (
    select * from {{ ref('non_product_codes') }}
),

derived_products as (
    select
        product_id,
        mode(product_name) as product_name,
        mode(product_family) as product_family,
        median(unit_price) filter (where quantity > 0 and unit_price > 0) as list_price
    from sales_lines
    where (select count(*) from file_products) = 0
    group by product_id
),

final as (
    select
        product_id,
        product_name,
        product_family,
        unit_cost,
        list_price,
        is_service,
        false as is_non_product,
        false as is_derived_from_sales,
        source_file,
        source_row
    from file_products

    union all

    select
        product_id,
        product_name,
        product_family,
        cast(null as decimal(18, 4)) as unit_cost,
        list_price,
        false as is_service,
        false as is_non_product,
        true as is_derived_from_sales,
        cast(null as varchar) as source_file,
        cast(null as bigint) as source_row
    from derived_products
    where derived_products.product_id not in (select upper(npc.product_id) from non_product_codes as npc)

    union all

    select
        upper(product_id) as product_id,
        description as product_name,
        'non-product: ' || line_category as product_family,
        cast(null as decimal(18, 4)) as unit_cost,
        cast(null as decimal(18, 4)) as list_price,
        false as is_service,
        true as is_non_product,
        false as is_derived_from_sales,
        cast(null as varchar) as source_file,
        cast(null as bigint) as source_row
    from non_product_codes
    where upper(non_product_codes.product_id) not in (select fp.product_id from file_products as fp)
)

select * from final
