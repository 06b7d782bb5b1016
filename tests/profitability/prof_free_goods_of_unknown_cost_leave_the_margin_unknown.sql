{#-
    Goods given free of charge whose cost is unknown weigh nothing in a cost coverage weighed by
    revenue, so they are counted apart: an account-period of fct_account_profitability, or an
    account's window in fct_account_segments, holding such a line (found here from the line-level
    fact, independently of the monthly and daily aggregates) has an unknown margin with reason
    free_goods_cost_unknown, unless its coverage already made it unknown; one without such a
    line never gives that reason.
-#}
with free_lines_of_unknown_cost as (
    select
        account_id,
        invoice_date
    from {{ ref('fct_sales_lines') }}
    where is_free_of_charge and cost_basis = 'unknown'
),

profitability as (
    select
        'fct_account_profitability' as mart,
        account_period_id as row_id,
        account_id,
        period_start_date as start_date,
        period_end_date as end_date,
        gross_margin,
        gross_margin_missing_reason,
        'cost_of_goods_unknown' as coverage_reason
    from {{ ref('fct_account_profitability') }}
),

segments as (
    select
        'fct_account_segments' as mart,
        account_id as row_id,
        account_id,
        window_start_date as start_date,
        window_end_date as end_date,
        gross_margin_window as gross_margin,
        gross_margin_missing_reason,
        'cost_coverage_below_minimum' as coverage_reason
    from {{ ref('fct_account_segments') }}
),

mart_rows as (
    select * from profitability
    union all
    select * from segments
),

rows_with_free_lines as (
    select distinct
        mart_rows.mart,
        mart_rows.row_id
    from mart_rows
    inner join free_lines_of_unknown_cost as free_lines
        on mart_rows.account_id = free_lines.account_id
        and free_lines.invoice_date between mart_rows.start_date and mart_rows.end_date
),

checked as (
    select
        mart_rows.*,
        rows_with_free_lines.row_id is not null as has_free_line_of_unknown_cost
    from mart_rows
    left join rows_with_free_lines
        on mart_rows.mart = rows_with_free_lines.mart
        and mart_rows.row_id = rows_with_free_lines.row_id
)

select *
from checked
where
    (has_free_line_of_unknown_cost and (
        gross_margin is not null
        or gross_margin_missing_reason not in ('free_goods_cost_unknown', coverage_reason)
    ))
    or (not has_free_line_of_unknown_cost and gross_margin_missing_reason = 'free_goods_cost_unknown')
