{#-
    Total net revenue of the window in fct_account_segments (and in fct_group_segments) equals the
    net revenue of the clean sales lines dated in the same window: no account, no credit note and
    no discount lost or counted twice. Tolerance: rounding of 4-decimal amounts.
-#}
with segments as (
    select
        min(window_start_date) as window_start_date,
        max(window_end_date) as window_end_date,
        coalesce(sum(net_revenue_window), 0) as net_revenue
    from {{ ref('fct_account_segments') }}
),

sales_lines as (
    select coalesce(sum(fct_sales_lines.net_revenue), 0) as net_revenue
    from {{ ref('fct_sales_lines') }} as fct_sales_lines
    cross join segments
    where fct_sales_lines.invoice_date between segments.window_start_date and segments.window_end_date
),

window_check as (
    select
        min(period_start_date) as window_start_date,
        max(period_end_date) as window_end_date
    from {{ ref('int_segment_periods') }}
    where snapshot_index = 0 and is_in_window
)

select
    segments.net_revenue as segments_net_revenue,
    sales_lines.net_revenue as sales_lines_net_revenue,
    segments.window_start_date,
    window_check.window_start_date as expected_window_start_date
from segments
cross join sales_lines
cross join window_check
where abs(segments.net_revenue - sales_lines.net_revenue) > 0.01
    -- the window really is var window_months long and ends on the as-of date
    or segments.window_end_date != {{ as_of_date() }}
    or segments.window_start_date != window_check.window_start_date
    or segments.window_start_date <= cast({{ as_of_date() }} - to_months({{ number_var('window_months') }} + 1) as date)
    or segments.window_start_date > cast({{ as_of_date() }} - to_months({{ number_var('window_months') }}) as date) + 1
