{#-
    Every staged sales line with its final data-quality reason (null = clean), adding the rules
    that need other rows or other entities: exact duplicates, conflicting keys, orphan accounts
    and products (only when that entity's file was delivered), unknown currencies and dates too
    far after the as-of date.
-#}
{%- set value_columns = ['invoice_id', 'line_number', 'account_id', 'product_id', 'rep_id', 'invoice_date',
    'quantity', 'unit_price', 'discount_amount', 'currency', 'document_type', 'account_name', 'country',
    'product_name', 'product_family'] %}
with staged as (
    select * from {{ ref('stg_landing__sales_lines') }}
),

clean_accounts as (
    select account_id from {{ ref('int_accounts__checked') }}
    where dq_reason is null
),

clean_products as (
    select product_id from {{ ref('int_products__checked') }}
    where dq_reason is null
),

non_product_codes as (
    select upper(product_id) as product_id from {{ ref('non_product_codes') }}
),

currency_rates as (
    select
        currency,
        min(valid_from_date) as first_valid_date
    from {{ ref('currency_rates') }}
    group by currency
),

entity_presence as (
    select
        (select count(*) from clean_accounts) > 0 as has_accounts_file,
        (select count(*) from clean_products) > 0 as has_products_file,
        {{ as_of_date() }} as as_of_date
),

-- before numbering: a copied line must look identical, line number included
duplicates_flagged as (
    select
        * exclude (has_conflicting_key),
        -- without line numbers in the export there is no line key to conflict on
        has_conflicting_key and line_number is not null as has_conflicting_key
    from (
        select
            *,
            {{ duplicate_checks(['invoice_id', 'line_number'], value_columns) }}
        from staged
    )
),

-- exports without line numbers get them from file order, so (invoice, line) is a key
numbered as (
    select
        * exclude (line_number),
        -- numbered after the highest delivered number, so a mixed invoice cannot collide
        coalesce(
            line_number,
            coalesce(max(line_number) over (partition by invoice_id), 0)
            + row_number() over (
                partition by invoice_id, line_number is null order by source_file, source_row
            )
        ) as line_number
    from duplicates_flagged
),

references_checked as (
    select
        numbered.*,
        entity_presence.has_accounts_file and clean_accounts.account_id is null as is_orphan_account,
        entity_presence.has_products_file
        and clean_products.product_id is null
        and non_product_codes.product_id is null as is_orphan_product,
        currency_rates.currency is null
        or numbered.invoice_date < currency_rates.first_valid_date as is_unknown_currency,
        numbered.invoice_date
        > entity_presence.as_of_date + to_days({{ number_var('max_future_days') }}) as is_far_future
    from numbered
    cross join entity_presence
    left join clean_accounts
        on numbered.account_id = clean_accounts.account_id
    left join clean_products
        on numbered.product_id = clean_products.product_id
    left join non_product_codes
        on numbered.product_id = non_product_codes.product_id
    left join currency_rates
        on numbered.currency = currency_rates.currency
),

final as (
    select
        * exclude (
            dq_reason, dq_detail, is_exact_duplicate, has_conflicting_key, is_orphan_account,
            is_orphan_product, is_unknown_currency, is_far_future
        ),
        {{ final_dq_reason([
            ("is_exact_duplicate", "exact_duplicate", "'invoice ' || invoice_id || ' line ' || line_number"),
            ("has_conflicting_key", "conflicting_duplicate_key", "'invoice ' || invoice_id || ' line ' || line_number"),
            ("is_far_future", "date_out_of_range", "'invoice_date ' || invoice_date"),
            ("is_unknown_currency", "unknown_currency", "'currency ' || currency"),
            ("is_orphan_account", "orphan_key", "'account_id ' || account_id"),
            ("is_orphan_product", "orphan_key", "'product_id ' || product_id"),
        ]) }}
    from references_checked
)

select * from final
