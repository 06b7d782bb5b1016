{#-
    One row per clean sales line, in the reporting currency, with its cost of goods and gross
    margin. Cost of goods: the product's unit cost; else the family margin rate of seed
    family_margin_rates (not for goods given free, at price 0 or discounted to 0: a rate applied
    to no revenue would say they cost nothing); else unknown (null, cost_basis 'unknown'), never
    zero.

    Incremental, by invoice: a line depends on its int_sales_lines row, its product (family,
    unit cost) and its family's margin rate, so a delta build recomputes the invoices
    recomputed by int_sales_lines plus those with a line whose product or family margin rate
    changed since the last build (products derived from the sales lines change with new lines);
    a full build follows a full upstream build or a change of this model's code. A table built
    with other constraints than the contract now declares (an older warehouse) is recreated
    with the declared ones and built in full (decision log 36). The account x
    month groups those invoices touch, before and after, are handed to int_account_monthly_sales,
    and their accounts to int_segment_entity_days.
-#}
{#- A delta run: the table exists and no full refresh was asked (see stg_landing__sales_lines). -#}
{%- set is_delta_run = execute and model.resource_type == 'model' and not should_full_refresh()
    and load_relation(this) is not none -%}
{%- set prepare -%}{% raw %}
    {%- set is_delta_run = model.resource_type == 'model' and not should_full_refresh()
        and load_relation(this) is not none -%}
    {%- if is_delta_run and not table_constraints_match(this) %}
        -- built with other constraints than the contract declares: recreated empty, filled in full
        {{ log(model.name ~ ": recreated, its constraints differ from the contract's; built in full", info=true) }}
        create or replace table {{ this }} {{ get_table_columns_and_constraints() }};
        {%- set is_delta_run = false -%}
    {%- endif %}
    create schema if not exists incremental_state;
    create table if not exists incremental_state.int_sales_lines__delta (invoice_id varchar, is_full boolean);
    create table if not exists incremental_state.fct_sales_lines__delta (
        account_id varchar, month_start_date date, is_full boolean
    );
    create table if not exists incremental_state.segment_entity_days__delta (account_id varchar, is_full boolean);
    create table if not exists incremental_state.fct_sales_lines__deps (kind varchar, key varchar, value varchar);
    create or replace table incremental_state.fct_sales_lines__deps_now as
    select 'config' as kind, '' as key, '{{ code_signature() }}' as value
    union all
    select
        'product',
        product_id,
        cast(struct_pack(product_family := product_family, unit_cost := unit_cost) as varchar)
    from {{ ref('int_products') }}
    union all
    select 'family', product_family, cast(margin_rate as varchar)
    from {{ ref('family_margin_rates') }};
    {{ full_build_flag('fct_sales_lines', 'int_sales_lines__delta', is_delta_run) }};
    create or replace table incremental_state.fct_sales_lines__affected as
    {% if is_delta_run %}
        with changed as (
            {{ changed_dependencies('fct_sales_lines') }}
        )

        select invoice_id from incremental_state.int_sales_lines__delta where not is_full
        union
        select lines.invoice_id
        from {{ this }} as lines
        where
            lines.product_id in (select key from changed where kind = 'product')
            or lines.product_family in (select key from changed where kind = 'family');
        -- the account x month groups of the lines about to be replaced
        create or replace table incremental_state.fct_sales_lines__groups as
        select distinct account_id, invoice_month as month_start_date
        from {{ this }}
        where invoice_id in (select invoice_id from incremental_state.fct_sales_lines__affected);
        delete from {{ this }}
        where
            (select r.is_full from incremental_state.fct_sales_lines__run as r)
            or invoice_id in (select invoice_id from incremental_state.fct_sales_lines__affected);
    {% else %}
        select cast(null as varchar) as invoice_id where false;
        create or replace table incremental_state.fct_sales_lines__groups as
        select cast(null as varchar) as account_id, cast(null as date) as month_start_date where false;
    {% endif %}
{% endraw %}{%- endset -%}
{%- set hand_over -%}{% raw %}
    -- and the groups of the lines that replaced them
    insert into incremental_state.fct_sales_lines__groups
    select distinct account_id, invoice_month
    from {{ this }}
    where
        not (select r.is_full from incremental_state.fct_sales_lines__run as r)
        and invoice_id in (select invoice_id from incremental_state.fct_sales_lines__affected);
    delete from incremental_state.fct_sales_lines__delta
    where (select r.is_full from incremental_state.fct_sales_lines__run as r);
    insert into incremental_state.fct_sales_lines__delta
    select null, null, true
    where (select r.is_full from incremental_state.fct_sales_lines__run as r)
    union all
    select distinct account_id, month_start_date, false
    from incremental_state.fct_sales_lines__groups
    where not (select r.is_full from incremental_state.fct_sales_lines__run as r);
    -- the same accounts for int_segment_entity_days, which recomputes whole accounts
    delete from incremental_state.segment_entity_days__delta
    where (select r.is_full from incremental_state.fct_sales_lines__run as r);
    insert into incremental_state.segment_entity_days__delta
    select null, true
    where (select r.is_full from incremental_state.fct_sales_lines__run as r)
    union all
    select distinct account_id, false
    from incremental_state.fct_sales_lines__groups
    where not (select r.is_full from incremental_state.fct_sales_lines__run as r);
    delete from incremental_state.int_sales_lines__delta;
    create or replace table incremental_state.fct_sales_lines__deps as
    select * from incremental_state.fct_sales_lines__deps_now;
{% endraw %}{%- endset -%}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='fail',
    pre_hook=[prepare],
    post_hook=[hand_over],
) }}
with sales_lines as (
    select * from {{ ref('int_sales_lines') }}
    {% if is_delta_run %}
        where
            (select r.is_full from incremental_state.fct_sales_lines__run as r)
            or invoice_id in (select a.invoice_id from incremental_state.fct_sales_lines__affected as a)
    {% endif %}
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
            -- a line cost beyond any real order (a typo in the cost or the quantity) is not used:
            -- it would overflow the money type
            when products.unit_cost is not null
                and abs(cast(sales_lines.quantity as double) * products.unit_cost) < {{ max_line_amount() }}
                then 'unit_cost'
            -- a margin rate prices cost from revenue: goods given free (price 0, or discounted to 0)
            -- have none, so their cost is unknown
            when family_margin_rates.margin_rate is not null and sales_lines.net_amount != 0
                then 'family_margin_rate'
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
            when 'unit_cost' then cast(quantity as decimal(38, 4)) * unit_cost
            when 'family_margin_rate' then net_amount * (1 - margin_rate)
            when 'not_applicable' then 0
        end""") }} as cost_of_goods,
        {{ money("""case cost_basis
            when 'unit_cost' then net_amount - cast(quantity as decimal(38, 4)) * unit_cost
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
