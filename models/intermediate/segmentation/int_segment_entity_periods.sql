{#-
    Sales per account or group, snapshot and month-long period (see int_segment_periods), for
    the periods with sales only: a period without sales is absent and counts as zero wherever a
    monthly series is needed (XYZ, at-risk). Computed once and read by the window figures and
    the purchase-interval statistics.
    A snapshot_table (macros/snapshot_table.sql): a snapshot's rows read the entity days up to
    its date and its own periods only, so the earlier snapshots are kept while those inputs
    are unchanged, and a daily build computes the current snapshot.
-#}
{{ config(
    materialized='snapshot_table',
    snapshot_dated_inputs={'int_segment_entity_days': 'sales_date', 'int_segment_periods': 'snapshot_date'},
) }}

with entity_days as (
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
    from {{ ref('int_segment_entity_days') }}
),

periods as (
    select
        snapshot_index,
        snapshot_date,
        period_index,
        period_start_date,
        period_end_date,
        is_in_window,
        is_trailing,
        is_baseline
    from {{ ref('int_segment_periods') }}
    where {{ snapshot_table_filter('snapshot_date') }}
),

distinct_periods as (
    select distinct
        period_start_date,
        period_end_date
    from periods
),

-- each day of the distinct periods, so that days join periods on equality: a range join of
-- every entity-day against snapshots x periods cost four times more at 6M lines
period_days as (
    select
        period_start_date,
        period_end_date,
        cast(unnest(generate_series(period_start_date, period_end_date, interval 1 day)) as date) as sales_date
    from distinct_periods
),

period_sums as (
    select
        entity_days.entity_level,
        entity_days.entity_id,
        period_days.period_start_date,
        period_days.period_end_date,
        sum(entity_days.gross_sales) as gross_sales,
        sum(entity_days.credit_notes_amount) as credit_notes_amount,
        sum(entity_days.discounts_amount) as discounts_amount,
        sum(entity_days.net_revenue) as net_revenue,
        sum(entity_days.net_revenue_with_known_cost) as net_revenue_with_known_cost,
        sum(entity_days.known_gross_margin) as known_gross_margin,
        sum(entity_days.revenue_line_count) as revenue_line_count,
        sum(entity_days.unknown_cost_line_count) as unknown_cost_line_count,
        sum(entity_days.unknown_cost_free_line_count) as unknown_cost_free_line_count,
        sum(entity_days.invoice_count) as invoice_count
    from entity_days
    inner join period_days
        on entity_days.sales_date = period_days.sales_date
    group by all
),

aggregated as (
    select
        period_sums.entity_level,
        period_sums.entity_id,
        periods.snapshot_index,
        periods.snapshot_date,
        periods.period_index,
        periods.is_in_window,
        periods.is_trailing,
        periods.is_baseline,
        period_sums.gross_sales,
        period_sums.credit_notes_amount,
        period_sums.discounts_amount,
        period_sums.net_revenue,
        period_sums.net_revenue_with_known_cost,
        period_sums.known_gross_margin,
        period_sums.revenue_line_count,
        period_sums.unknown_cost_line_count,
        period_sums.unknown_cost_free_line_count,
        period_sums.invoice_count
    from period_sums
    inner join periods
        on period_sums.period_start_date = periods.period_start_date
        and period_sums.period_end_date = periods.period_end_date
),

final as (
    select
        entity_level || ':' || entity_id || ':' || snapshot_index || ':' || period_index
            as segment_entity_period_id,
        entity_level || ':' || entity_id as segment_entity_id,
        entity_level,
        entity_id,
        snapshot_index,
        snapshot_date,
        period_index,
        is_in_window,
        is_trailing,
        is_baseline,
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
        invoice_count > 0 as is_purchase_period
    from aggregated
)

select * from final
