{#-
    Revenue, discounts and margin inputs per account and per group, per day with sales: the
    finest grain the segmentation windows need (they end on the as-of day, not on a month end).
    Amounts follow int_account_monthly_sales: gross sales and credit notes exclude discount
    lines, discounts are line discounts plus discount lines, net revenue is net of both. Margin
    is kept as its known part plus the revenue it covers, so a window's coverage can be judged
    over the whole window (var min_cost_coverage), not month by month.

    Incremental, by entity: an entity's rows depend on the lines of its accounts only (and on
    which accounts a group holds), so a delta build recomputes, from the whole fact, every day
    of the accounts whose lines fct_sales_lines replaced (incremental_state.segment_entity_days__delta)
    or whose group changed in dim_accounts, and of their groups before and after. Whole
    entities, not days: the gap to the previous purchase day runs across days. A full build
    follows a full upstream build, a change of this model's code, or an --empty build; the
    columns of an older warehouse's table follow the code (on_schema_change sync_all_columns:
    added, dropped or retyped), and that full build fills them.
-#}
{#- A delta run: the table exists and no full refresh was asked (see stg_landing__sales_lines). -#}
{%- set is_delta_run = execute and model.resource_type == 'model' and not should_full_refresh()
    and load_relation(this) is not none and not invocation_args_dict.get('empty') -%}
{%- set prepare -%}{% raw %}
    {%- set is_delta_run = model.resource_type == 'model' and not should_full_refresh()
        and load_relation(this) is not none and not invocation_args_dict.get('empty') -%}
    create schema if not exists incremental_state;
    create table if not exists incremental_state.segment_entity_days__delta (account_id varchar, is_full boolean);
    create table if not exists incremental_state.segment_entity_days__deps (kind varchar, key varchar, value varchar);
    -- an --empty build leaves an empty table: its config differs, so the next build is a full one
    create or replace table incremental_state.segment_entity_days__deps_now as
    select
        'config' as kind,
        '' as key,
        '{{ code_signature() }}{{ "|empty" if invocation_args_dict.get("empty") }}' as value
    union all
    select 'group', account_id, group_account_id
    from {{ ref('dim_accounts') }};
    {{ full_build_flag('segment_entity_days', 'segment_entity_days__delta', is_delta_run) }};
    {% if is_delta_run %}
        create or replace table incremental_state.segment_entity_days__affected as
        with changed as (
            {{ changed_dependencies('segment_entity_days') }}
        ),

        affected_accounts as (
            select account_id from incremental_state.segment_entity_days__delta where not is_full
            union
            select key from changed where kind = 'group'
        ),

        -- an account missing from dim_accounts is its own group, as in group_level below
        group_before as (
            select coalesce(deps.value, affected_accounts.account_id) as group_id
            from affected_accounts
            left join incremental_state.segment_entity_days__deps as deps
                on deps.kind = 'group' and affected_accounts.account_id = deps.key
        ),

        group_after as (
            select coalesce(deps_now.value, affected_accounts.account_id) as group_id
            from affected_accounts
            left join incremental_state.segment_entity_days__deps_now as deps_now
                on deps_now.kind = 'group' and affected_accounts.account_id = deps_now.key
        )

        select 'account' as entity_level, account_id as entity_id from affected_accounts
        union
        select 'group', group_id from group_before
        union
        select 'group', group_id from group_after;
        -- the accounts whose lines the affected entities are computed from
        create or replace table incremental_state.segment_entity_days__accounts as
        select entity_id as account_id from incremental_state.segment_entity_days__affected
        union
        select deps_now.key
        from incremental_state.segment_entity_days__deps_now as deps_now
        where
            deps_now.kind = 'group'
            and deps_now.value in (
                select a.entity_id from incremental_state.segment_entity_days__affected as a
                where a.entity_level = 'group'
            );
        delete from {{ this }}
        where
            (select r.is_full from incremental_state.segment_entity_days__run as r)
            or (entity_level, entity_id) in (
                select a.entity_level, a.entity_id from incremental_state.segment_entity_days__affected as a
            );
    {% elif load_relation(this) is not none %}
        delete from {{ this }};
    {% endif %}
{% endraw %}{%- endset -%}
{%- set hand_over -%}{% raw %}
    delete from incremental_state.segment_entity_days__delta;
    create or replace table incremental_state.segment_entity_days__deps as
    select * from incremental_state.segment_entity_days__deps_now;
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
        invoice_date,
        invoice_id,
        document_type,
        line_category,
        is_revenue_line,
        gross_amount,
        discount_amount,
        net_revenue,
        cost_basis,
        gross_margin
    from {{ ref('fct_sales_lines') }}
    {% if is_delta_run %}
        where
            (select r.is_full from incremental_state.segment_entity_days__run as r)
            or account_id in (select a.account_id from incremental_state.segment_entity_days__accounts as a)
    {% endif %}
),

accounts as (
    select
        account_id,
        group_account_id
    from {{ ref('dim_accounts') }}
),

account_days as (
    select
        account_id,
        invoice_date as sales_date,
        coalesce(sum(gross_amount) filter (
            where is_revenue_line and document_type = 'invoice' and line_category != 'discount'
        ), 0) as gross_sales,
        coalesce(sum(gross_amount) filter (
            where is_revenue_line and document_type = 'credit_note' and line_category != 'discount'
        ), 0) as credit_notes_amount,
        coalesce(sum(discount_amount) filter (where is_revenue_line and line_category != 'discount'), 0)
        - coalesce(sum(gross_amount) filter (where line_category = 'discount'), 0) as discounts_amount,
        coalesce(sum(net_revenue), 0) as net_revenue,
        coalesce(sum(net_revenue) filter (
            where cost_basis in ('unit_cost', 'family_margin_rate', 'not_applicable')
        ), 0) as net_revenue_with_known_cost,
        coalesce(sum(gross_margin) filter (where is_revenue_line and cost_basis != 'unknown'), 0)
            as known_gross_margin,
        count(*) filter (where is_revenue_line) as revenue_line_count,
        count(*) filter (where is_revenue_line and cost_basis = 'unknown') as unknown_cost_line_count,
        -- goods given free (price 0 or discounted to 0): coverage is weighed by revenue, which they
        -- have none of, so they are counted apart
        count(*) filter (where cost_basis = 'unknown' and net_revenue = 0) as unknown_cost_free_line_count,
        count(distinct invoice_id) filter (where is_revenue_line and document_type = 'invoice')
            as invoice_count
    from sales_lines
    group by account_id, invoice_date
),

account_level as (
    select
        'account' as entity_level,
        account_days.account_id as entity_id,
        account_days.*
    from account_days
),

group_level as (
    select
        'group' as entity_level,
        coalesce(accounts.group_account_id, account_days.account_id) as entity_id,
        account_days.*
    from account_days
    left join accounts
        on account_days.account_id = accounts.account_id
),

group_days as (
    select
        entity_level,
        entity_id,
        sales_date,
        sum(gross_sales) as gross_sales,
        sum(credit_notes_amount) as credit_notes_amount,
        sum(discounts_amount) as discounts_amount,
        sum(net_revenue) as net_revenue,
        sum(net_revenue_with_known_cost) as net_revenue_with_known_cost,
        sum(known_gross_margin) as known_gross_margin,
        sum(revenue_line_count) as revenue_line_count,
        sum(unknown_cost_line_count) as unknown_cost_line_count,
        sum(unknown_cost_free_line_count) as unknown_cost_free_line_count,
        sum(invoice_count) as invoice_count
    from group_level
    group by entity_level, entity_id, sales_date
),

unioned as (
    select
        entity_level,
        entity_id,
        sales_date,
        gross_sales,
        credit_notes_amount,
        discounts_amount,
        net_revenue,
        net_revenue_with_known_cost,
        known_gross_margin,
        revenue_line_count,
        unknown_cost_line_count,
        unknown_cost_free_line_count,
        invoice_count
    from account_level
    union all
    select * from group_days
),

final as (
    select
        entity_level || ':' || entity_id || ':' || strftime(sales_date, '%Y-%m-%d') as segment_entity_day_id,
        entity_level || ':' || entity_id as segment_entity_id,
        entity_level,
        entity_id,
        sales_date,
        {{ money('gross_sales') }} as gross_sales,
        {{ money('credit_notes_amount') }} as credit_notes_amount,
        {{ money('discounts_amount') }} as discounts_amount,
        {{ money('net_revenue') }} as net_revenue,
        {{ money('net_revenue_with_known_cost') }} as net_revenue_with_known_cost,
        {{ money('known_gross_margin') }} as known_gross_margin,
        cast(revenue_line_count as integer) as revenue_line_count,
        cast(unknown_cost_line_count as integer) as unknown_cost_line_count,
        cast(unknown_cost_free_line_count as integer) as unknown_cost_free_line_count,
        cast(invoice_count as integer) as invoice_count,
        invoice_count > 0 as is_purchase_day,
        -- kept here, on a stored table, because the purchase-interval model's holistic
        -- aggregates spill tens of GiB when fed straight from a window at 6M lines
        case
            when invoice_count > 0
                then sales_date - lag(case when invoice_count > 0 then sales_date end ignore nulls) over (
                    partition by entity_level, entity_id order by sales_date
                )
        end as days_since_previous_purchase_day
    from unioned
),

-- a delta build reads every account of an affected group, but writes only the affected entities
affected as (
    select * from final
    {% if is_delta_run %}
        where
            (select r.is_full from incremental_state.segment_entity_days__run as r)
            or (entity_level, entity_id) in (
                select a.entity_level, a.entity_id from incremental_state.segment_entity_days__affected as a
            )
    {% endif %}
)

select * from affected
