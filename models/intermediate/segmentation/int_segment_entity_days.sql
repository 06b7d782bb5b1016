{#-
    Revenue, discounts and margin inputs per account and per group, per day with sales: the
    finest grain the segmentation windows need (they end on the as-of day, not on a month end).
    Amounts follow int_account_monthly_sales: gross sales and credit notes exclude discount
    lines, discounts are line discounts plus discount lines, net revenue is net of both. Margin
    is kept as its known part plus the revenue it covers, so a window's coverage can be judged
    over the whole window (var min_cost_coverage), not month by month.
-#}
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
)

select * from final
