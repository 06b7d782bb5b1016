{#-
    Revenue to margin per account and calendar month, from the line-level fact: computed once
    here so every mart (segments, profitability, scores) aggregates months, not lines.
    Margin: when at least var min_cost_coverage of the net revenue has a known cost, the gross
    margin is extrapolated from the known part (cost_coverage_share says how much was known);
    below that it is null, never zero; null too when a line given free has an unknown
    cost (coverage is weighed by revenue, which such a line has none of), and in a month without
    net revenue when a priced line has an unknown cost.

    Incremental, by account x month: a delta build recomputes, from the whole fact, the groups
    whose lines fct_sales_lines replaced (incremental_state.fct_sales_lines__delta); a full
    build follows a full upstream build or a change of min_cost_coverage or of this model's code
    (and of the macros it calls, account_sales_measures among them: macro code_signature); the columns of an older warehouse's table follow
    the code (on_schema_change sync_all_columns: added, dropped or retyped), and that full build
    fills them.
-#}
{#- A delta run: the table exists and no full refresh was asked (see stg_landing__sales_lines). -#}
{%- set is_delta_run = execute and model.resource_type == 'model' and not should_full_refresh()
    and load_relation(this) is not none -%}
{%- set prepare -%}{% raw %}
    {%- set is_delta_run = model.resource_type == 'model' and not should_full_refresh()
        and load_relation(this) is not none -%}
    create schema if not exists incremental_state;
    create table if not exists incremental_state.fct_sales_lines__delta (
        account_id varchar, month_start_date date, is_full boolean
    );
    create table if not exists incremental_state.account_monthly_sales__config (config varchar);
    create or replace table incremental_state.account_monthly_sales__config_now as
    select '{{ number_var("min_cost_coverage") }}|{{ code_signature() }}' as config;
    create or replace table incremental_state.account_monthly_sales__run as
    select
        {{ 'false' if is_delta_run else 'true' }}
        or exists (select 1 from incremental_state.fct_sales_lines__delta where is_full)
        or (select max(config) from incremental_state.account_monthly_sales__config)
        is distinct from (select max(config) from incremental_state.account_monthly_sales__config_now)
            as is_full;
    create or replace table incremental_state.account_monthly_sales__affected as
    select distinct account_id, month_start_date
    from incremental_state.fct_sales_lines__delta
    where not is_full;
    {% if is_delta_run %}
        delete from {{ this }}
        where
            (select is_full from incremental_state.account_monthly_sales__run)
            or (account_id, month_start_date) in (
                select account_id, month_start_date from incremental_state.account_monthly_sales__affected
            );
    {% endif %}
{% endraw %}{%- endset -%}
{%- set hand_over -%}{% raw %}
    delete from incremental_state.fct_sales_lines__delta;
    create or replace table incremental_state.account_monthly_sales__config as
    select * from incremental_state.account_monthly_sales__config_now;
{% endraw %}{%- endset -%}
{{ config(
    materialized='incremental',
    incremental_strategy='append',
    on_schema_change='sync_all_columns',
    pre_hook=[prepare],
    post_hook=[hand_over],
) }}
with sales_lines as (
    select
        account_id,
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
    {% if is_delta_run %}
        where
            (select r.is_full from incremental_state.account_monthly_sales__run as r)
            or (account_id, invoice_month) in (
                select
                    a.account_id,
                    a.month_start_date
                from incremental_state.account_monthly_sales__affected as a
            )
    {% endif %}
),

monthly as (
    select
        account_id,
        invoice_month as month_start_date,
        {{ account_sales_measures() }}
    from sales_lines
    group by account_id, invoice_month
),

final as (
    select
        account_id || ':' || strftime(month_start_date, '%Y-%m') as account_month_id,
        account_id,
        month_start_date,
        coalesce(gross_sales, 0) as gross_sales,
        coalesce(credit_notes_amount, 0) as credit_notes_amount,
        coalesce(returns_amount, 0) as returns_amount,
        coalesce(discounts_amount, 0) as discounts_amount,
        net_revenue,
        case
            when net_revenue != 0 then coalesce(net_revenue_with_known_cost, 0) / net_revenue
        end as cost_coverage_share,
        case
            -- goods given free at an unknown cost: the margin is unknown by that cost
            when unknown_cost_free_line_count > 0 then null
            -- no revenue to weigh coverage by: known when no priced line's cost is unknown
            -- (a month of non-revenue lines only, such as postage, has no revenue-line margin: 0)
            when net_revenue = 0 and unknown_cost_line_count = 0 then coalesce(known_gross_margin, 0)
            when net_revenue = 0 then null
            when net_revenue_with_known_cost / net_revenue >= {{ number_var('min_cost_coverage') }}
                then known_gross_margin * net_revenue / nullif(net_revenue_with_known_cost, 0)
        end as gross_margin,
        unknown_cost_free_line_count,
        unknown_cost_line_count,
        invoice_count,
        credit_note_count,
        line_count
    from monthly
)

select * from final
