{#-
    Clean sales lines in the reporting currency, classified: document type, line category
    (product, service, postage, fee, discount, ...) and whether the line counts as revenue.
    Amounts: gross = quantity x unit price; net = gross less the discount (a credit note
    refunds the discounted amount, so its discount reduces the refund).

    Incremental, by invoice: a line depends on its own checked row, its currency's rates and
    its product's category, so a delta build recomputes the invoices recomputed by
    int_sales_lines__checked plus those with a line whose currency rates, non-product code or
    service flag changed since the last build; a full build follows a full upstream build or a
    change of this model's code. The recomputed invoices are handed to fct_sales_lines.
-#}
{#- A delta run: the table exists and no full refresh was asked (see stg_landing__sales_lines). -#}
{%- set is_delta_run = execute and model.resource_type == 'model' and not should_full_refresh()
    and load_relation(this) is not none -%}
{%- set prepare -%}{% raw %}
    {%- set is_delta_run = model.resource_type == 'model' and not should_full_refresh()
        and load_relation(this) is not none -%}
    create schema if not exists incremental_state;
    create table if not exists incremental_state.checked__delta (invoice_id varchar, is_full boolean);
    create table if not exists incremental_state.int_sales_lines__delta (invoice_id varchar, is_full boolean);
    create table if not exists incremental_state.int_sales_lines__deps (kind varchar, key varchar, value varchar);
    create or replace table incremental_state.int_sales_lines__deps_now as
    select 'config' as kind, '' as key, '{{ code_signature() }}' as value
    union all
    select
        'currency',
        currency,
        cast(struct_pack(valid_from_date := valid_from_date, rate := rate_to_reporting) as varchar)
    from {{ ref('currency_rates') }}
    union all
    select
        'product',
        upper(product_id),
        cast(struct_pack(line_category := line_category, counts_as_revenue := counts_as_revenue) as varchar)
    from {{ ref('non_product_codes') }}
    union all
    select 'product', product_id, 'service'
    from {{ ref('int_products__checked') }}
    where dq_reason is null and is_service;
    {{ full_build_flag('int_sales_lines', 'checked__delta', is_delta_run) }};
    create or replace table incremental_state.int_sales_lines__affected as
    {% if is_delta_run %}
        with changed as (
            {{ changed_dependencies('int_sales_lines') }}
        )

        select invoice_id from incremental_state.checked__delta where not is_full
        union
        select lines.invoice_id
        from {{ this }} as lines
        where
            lines.original_currency in (select key from changed where kind = 'currency')
            or lines.product_id in (select key from changed where kind = 'product');
        delete from {{ this }}
        where
            (select r.is_full from incremental_state.int_sales_lines__run as r)
            or invoice_id in (select invoice_id from incremental_state.int_sales_lines__affected);
    {% else %}
        select cast(null as varchar) as invoice_id where false;
    {% endif %}
{% endraw %}{%- endset -%}
{%- set hand_over -%}{% raw %}
    {{ hand_over_invoice_delta('int_sales_lines', 'int_sales_lines__delta') }};
    delete from incremental_state.checked__delta;
    create or replace table incremental_state.int_sales_lines__deps as
    select * from incremental_state.int_sales_lines__deps_now;
{% endraw %}{%- endset -%}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=[prepare],
    post_hook=[hand_over],
) }}
with clean_lines as (
    select * from {{ ref('int_sales_lines__checked') }}
    where
        dq_reason is null
        {% if is_delta_run %}
            and (
                (select r.is_full from incremental_state.int_sales_lines__run as r)
                or invoice_id in (select a.invoice_id from incremental_state.int_sales_lines__affected as a)
            )
        {% endif %}
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
        -- DuckDB types decimal(18,4) x decimal(18,4) as decimal(18,8): widened first, or a line
        -- above 10 billion would overflow
        {{ money('cast(quantity as decimal(38, 4)) * unit_price * exchange_rate') }} as gross_amount,
        {{ money('sign(quantity) * discount_amount * exchange_rate') }} as discount_amount,
        {{ money(
            '(cast(quantity as decimal(38, 4)) * unit_price - sign(quantity) * discount_amount) * exchange_rate'
        ) }} as net_amount,
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
