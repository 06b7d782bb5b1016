{#-
    Goods given free (price 0, or discounted to 0) whose cost is unknown weigh nothing in a cost coverage weighed by
    revenue, so they are counted apart: an account-period of fct_account_profitability, or an
    account's or group's window in fct_account_segments / fct_group_segments, holding such a line
    (found here from the line-level fact, independently of the monthly and daily aggregates) has
    an unknown margin with reason free_goods_cost_unknown, unless its coverage already made it
    unknown (coverage share below var min_cost_coverage, or no net revenue and a priced line of
    unknown cost); a row without such a line never gives that reason. And a row without net
    revenue but with a priced line of unknown cost has an unknown margin with the coverage's
    reason (decision log 66).
-#}
with unknown_cost_lines as (
    select
        sales_lines.account_id,
        coalesce(accounts.group_account_id, sales_lines.account_id) as group_account_id,
        sales_lines.invoice_date,
        sales_lines.net_revenue = 0 as is_given_free
    from {{ ref('fct_sales_lines') }} as sales_lines
    left join {{ ref('dim_accounts') }} as accounts
        on sales_lines.account_id = accounts.account_id
    where sales_lines.is_revenue_line and sales_lines.cost_basis = 'unknown'
),

-- per entity and day, once as the account's and once as its group's: the marts below are then
-- joined on equal keys (a sales export without costs has every line here)
unknown_cost_days as (
    select
        false as is_group,
        account_id as entity_id,
        invoice_date,
        bool_or(is_given_free) as has_free_line,
        bool_or(not is_given_free) as has_priced_line
    from unknown_cost_lines
    group by account_id, invoice_date
    union all
    select
        true as is_group,
        group_account_id as entity_id,
        invoice_date,
        bool_or(is_given_free) as has_free_line,
        bool_or(not is_given_free) as has_priced_line
    from unknown_cost_lines
    group by group_account_id, invoice_date
),

profitability as (
    select
        'fct_account_profitability' as mart,
        account_period_id as row_id,
        account_id as entity_id,
        false as is_group,
        period_start_date as start_date,
        period_end_date as end_date,
        net_revenue,
        cost_coverage_share,
        gross_margin,
        gross_margin_missing_reason,
        'cost_of_goods_unknown' as coverage_reason
    from {{ ref('fct_account_profitability') }}
),

account_segments as (
    select
        'fct_account_segments' as mart,
        account_id as row_id,
        account_id as entity_id,
        false as is_group,
        window_start_date as start_date,
        window_end_date as end_date,
        net_revenue_window as net_revenue,
        cost_coverage_share_window as cost_coverage_share,
        gross_margin_window as gross_margin,
        gross_margin_missing_reason,
        'cost_coverage_below_minimum' as coverage_reason
    from {{ ref('fct_account_segments') }}
),

group_segments as (
    select
        'fct_group_segments' as mart,
        group_account_id as row_id,
        group_account_id as entity_id,
        true as is_group,
        window_start_date as start_date,
        window_end_date as end_date,
        net_revenue_window as net_revenue,
        cost_coverage_share_window as cost_coverage_share,
        gross_margin_window as gross_margin,
        gross_margin_missing_reason,
        'cost_coverage_below_minimum' as coverage_reason
    from {{ ref('fct_group_segments') }}
),

mart_rows as (
    select * from profitability
    union all
    select * from account_segments
    union all
    select * from group_segments
),

lines_by_row as (
    select
        mart_rows.mart,
        mart_rows.row_id,
        bool_or(unknown_cost_days.has_free_line) as has_free_line_of_unknown_cost,
        bool_or(unknown_cost_days.has_priced_line) as has_priced_line_of_unknown_cost
    from mart_rows
    inner join unknown_cost_days
        on mart_rows.is_group = unknown_cost_days.is_group
        and mart_rows.entity_id = unknown_cost_days.entity_id
        and unknown_cost_days.invoice_date between mart_rows.start_date and mart_rows.end_date
    group by mart_rows.mart, mart_rows.row_id
),

checked as (
    select
        mart_rows.*,
        coalesce(lines_by_row.has_free_line_of_unknown_cost, false) as has_free_line_of_unknown_cost,
        coalesce(lines_by_row.has_priced_line_of_unknown_cost, false) as has_priced_line_of_unknown_cost,
        coalesce(mart_rows.cost_coverage_share < {{ var('min_cost_coverage') }}, false)
        -- without net revenue, a priced line of unknown cost leaves the margin unknown for its
        -- cost, in every mart (decision log 66)
        or (
            mart_rows.net_revenue = 0
            and coalesce(lines_by_row.has_priced_line_of_unknown_cost, false)
        ) as is_coverage_short
    from mart_rows
    left join lines_by_row
        on mart_rows.mart = lines_by_row.mart
        and mart_rows.row_id = lines_by_row.row_id
)

select *
from checked
where
    (has_free_line_of_unknown_cost and (
        gross_margin is not null
        or gross_margin_missing_reason
        is distinct from case when is_coverage_short then coverage_reason else 'free_goods_cost_unknown' end
    ))
    or (not has_free_line_of_unknown_cost and gross_margin_missing_reason = 'free_goods_cost_unknown')
    -- without net revenue, a priced line of unknown cost leaves the margin unknown for its cost
    or (not has_free_line_of_unknown_cost and net_revenue = 0 and has_priced_line_of_unknown_cost and (
        gross_margin is not null or gross_margin_missing_reason is distinct from coverage_reason
    ))
