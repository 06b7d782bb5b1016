{#-
    Every staged sales line with its final data-quality reason (null = clean), adding the rules
    that need other rows or other entities: exact duplicates, conflicting keys, orphan accounts
    and products (only when that entity's file was delivered), unknown currencies and dates too
    far after the as-of date.

    Incremental, by invoice: every cross-row rule (exact duplicates, conflicting keys, numbering
    of lines without a number) looks only at rows of the same invoice_id, and the other rules at
    the row and the reference lists. So a delta build recomputes, from staging, every row of the
    invoices that (a) received new lines (incremental_state.stg_sales_lines__delta), (b) have a
    line whose account, product or currency entered or left the reference lists since the last
    build, or (c) have a line in the far-future zone (after the as-of date + max_future_days, or
    flagged far-future last time: the as-of date moves with the data). Everything else is
    unchanged by construction. A full build happens on the first build, on --full-refresh, after
    a full restage, and when max_future_days, the presence of an accounts or products file, or
    this model's code changed. The recomputed invoices are handed to int_sales_lines.
-#}
{#- A delta run: the table exists and no full refresh was asked (written out rather than with
    is_incremental() so that the unit tests always test the full build; see stg_landing__sales_lines). -#}
{%- set is_delta_run = execute and model.resource_type == 'model' and not should_full_refresh()
    and load_relation(this) is not none -%}
{%- set prepare -%}{% raw %}
    {%- set is_delta_run = model.resource_type == 'model' and not should_full_refresh()
        and load_relation(this) is not none -%}
    create schema if not exists incremental_state;
    create table if not exists incremental_state.stg_sales_lines__delta (invoice_id varchar, is_full boolean);
    create table if not exists incremental_state.checked__delta (invoice_id varchar, is_full boolean);
    create table if not exists incremental_state.checked__deps (kind varchar, key varchar);
    -- what the rules read besides the invoice's own rows (a row's status changes only with these)
    create or replace table incremental_state.checked__deps_now as
    select
        'config' as kind,
        '{{ number_var("max_future_days") }}|{{ code_signature() }}|'
        || exists (select 1 from {{ ref('int_accounts__checked') }} where dq_reason is null) || '|'
        || exists (select 1 from {{ ref('int_products__checked') }} where dq_reason is null) as key
    union all
    select distinct 'account', account_id from {{ ref('int_accounts__checked') }} where dq_reason is null
    union all
    select distinct 'product', product_id from {{ ref('int_products__checked') }} where dq_reason is null
    union all
    select distinct 'product', upper(product_id) from {{ ref('non_product_codes') }}
    union all
    select 'currency', currency || '@' || cast(min(valid_from_date) as varchar)
    from {{ ref('currency_rates') }}
    group by currency;
    {{ full_build_flag('checked', 'stg_sales_lines__delta', is_delta_run, config_column='key') }};
    create or replace table incremental_state.checked__affected as
    {% if is_delta_run %}
        with changed as (
            {{ changed_dependencies('checked') }}
        )

        select invoice_id from incremental_state.stg_sales_lines__delta where not is_full
        union
        select checked.invoice_id
        from {{ this }} as checked
        where
            checked.account_id in (select key from changed where kind = 'account')
            or checked.product_id in (select key from changed where kind = 'product')
            or checked.currency in (select split_part(key, '@', 1) from changed where kind = 'currency')
            or checked.invoice_date > {{ as_of_date() }} + to_days({{ number_var('max_future_days') }})
            or (checked.dq_reason = 'date_out_of_range' and checked.dq_detail like 'invoice_date %');
        delete from {{ this }}
        where
            (select r.is_full from incremental_state.checked__run as r)
            or invoice_id in (select invoice_id from incremental_state.checked__affected)
            or (invoice_id is null and exists (
                select 1 from incremental_state.checked__affected where invoice_id is null
            ));
    {% else %}
        select cast(null as varchar) as invoice_id where false;
    {% endif %}
{% endraw %}{%- endset -%}
{%- set hand_over -%}{% raw %}
    {{ hand_over_invoice_delta('checked', 'checked__delta') }};
    -- consumed: the staged lines' invoices are recomputed
    delete from incremental_state.stg_sales_lines__delta;
    create or replace table incremental_state.checked__deps as
    select * from incremental_state.checked__deps_now;
{% endraw %}{%- endset -%}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=[prepare],
    post_hook=[hand_over],
) }}
{%- set value_columns = ['invoice_id', 'line_number', 'account_id', 'product_id', 'rep_id', 'invoice_date',
    'quantity', 'unit_price', 'discount_amount', 'currency', 'document_type', 'account_name', 'country',
    'product_name', 'product_family'] %}
with staged as (
    select * from {{ ref('stg_landing__sales_lines') }}
    {% if is_delta_run %}
        -- whole invoices: the cross-row rules only look inside an invoice
        where
            (select r.is_full from incremental_state.checked__run as r)
            or invoice_id in (select a.invoice_id from incremental_state.checked__affected as a)
            or (invoice_id is null and exists (
                select 1 from incremental_state.checked__affected as a
                where a.invoice_id is null
            ))
    {% endif %}
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
        {{ duplicate_checks('staged', ['invoice_id', 'line_number'], value_columns) }}
    ) as compared
),

-- exports without line numbers get them from file order, so (invoice, line) is a key
numbered as (
    select
        * exclude (line_number),
        -- numbered after the highest delivered number, so a mixed invoice cannot collide; the
        -- unnumbered lines sort after the numbered ones, so their rank among them is the row
        -- number less the count of numbered lines (one sort of the invoice, not two)
        coalesce(
            line_number,
            coalesce(max(line_number) over (invoice_lines rows between unbounded preceding and unbounded following), 0)
            + row_number() over invoice_lines
            - count(line_number) over (invoice_lines rows between unbounded preceding and unbounded following)
        ) as line_number
    from duplicates_flagged
    window invoice_lines as (
        partition by invoice_id
        order by line_number is null, source_file, source_row
    )
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
