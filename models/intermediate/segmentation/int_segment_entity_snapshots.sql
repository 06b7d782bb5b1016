{#-
    The per-account (and per-group) figures every segmentation rule reads, at every snapshot
    date: window revenue and margin, the monthly revenue statistics behind XYZ, the purchase
    dates behind the lifecycle, and the trailing-versus-baseline comparison behind 'at risk'.
    One row per account or group and snapshot, prospects included (zero revenue, no dates).

    Monthly series: month-long periods of int_segment_periods, a period without sales counting
    as zero. Series start at the entity's first purchase: the months before an account existed
    are not 'months without purchase' (they would make every young account look irregular).
    Mean and standard deviation are population statistics over those months, from sums and
    sums of squares so the zero months never need to be materialised.
    A snapshot_table (macros/snapshot_table.sql): a snapshot's rows read the entity days up to
    its date and its own periods, and the purchase-date buckets below give the same dates for
    any subset of snapshots, so a daily build computes the snapshots whose inputs changed only.
-#}
{{ config(
    materialized='snapshot_table',
    pre_hook="{{ one_duckdb_thread() }}",
    post_hook="{{ every_duckdb_thread() }}",
    snapshot_dated_inputs={
        'int_snapshot_dates': 'snapshot_date',
        'int_segment_periods': 'snapshot_date',
        'int_segment_entity_days': 'sales_date',
        'int_segment_entity_periods': 'snapshot_date',
    },
) }}
{%- set snapshots_to_build = snapshot_table_filter('snapshot_date') %}

with entities as (
    select
        segment_entity_id,
        entity_level,
        entity_id,
        group_account_id,
        member_account_count,
        annual_potential,
        is_strategic,
        is_renowned,
        has_strict_quality_requirements,
        created_date,
        status
    from {{ ref('int_segment_entities') }}
),

snapshots as (
    select
        snapshot_index,
        snapshot_date
    from {{ ref('int_snapshot_dates') }}
    where {{ snapshots_to_build }}
),

periods as (
    select
        snapshot_index,
        period_index,
        period_start_date,
        period_end_date,
        is_in_window
    from {{ ref('int_segment_periods') }}
    where {{ snapshots_to_build }}
),

entity_days as (
    select
        segment_entity_id,
        sales_date
    from {{ ref('int_segment_entity_days') }}
    where is_purchase_day
),

entity_periods as (
    select
        segment_entity_id,
        snapshot_index,
        period_index,
        is_in_window,
        is_trailing,
        is_baseline,
        gross_sales,
        credit_notes_amount,
        discounts_amount,
        net_revenue,
        net_revenue_with_known_cost,
        known_gross_margin,
        revenue_line_count,
        unknown_cost_line_count,
        unknown_cost_free_line_count,
        is_purchase_period
    from {{ ref('int_segment_entity_periods') }}
    where {{ snapshots_to_build }}
),

window_bounds as (
    select
        snapshot_index,
        min(period_start_date) filter (where is_in_window) as window_start_date,
        max(period_end_date) filter (where is_in_window) as window_end_date
    from periods
    group by snapshot_index
),

entity_snapshots as (
    select
        entities.*,
        snapshots.snapshot_index,
        snapshots.snapshot_date,
        window_bounds.window_start_date,
        window_bounds.window_end_date
    from entities
    cross join snapshots
    inner join window_bounds
        on snapshots.snapshot_index = window_bounds.snapshot_index
),

-- each purchase day falls in the bucket of the first snapshot on or after it; a snapshot's first
-- and last purchase dates are then running min and max over the buckets up to it (joining every
-- day to every later snapshot multiplied the days by up to snapshot_count)
snapshot_buckets as (
    select
        snapshot_index,
        snapshot_date,
        lag(snapshot_date) over (order by snapshot_date) as previous_snapshot_date
    from snapshots
),

purchases_by_bucket as (
    select
        entity_days.segment_entity_id,
        snapshot_buckets.snapshot_index,
        min(entity_days.sales_date) as first_purchase_in_bucket,
        max(entity_days.sales_date) as last_purchase_in_bucket
    from entity_days
    inner join snapshot_buckets
        on entity_days.sales_date <= snapshot_buckets.snapshot_date
        and (
            snapshot_buckets.previous_snapshot_date is null
            or entity_days.sales_date > snapshot_buckets.previous_snapshot_date
        )
    group by entity_days.segment_entity_id, snapshot_buckets.snapshot_index
),

buyer_snapshots as (
    select
        buyers.segment_entity_id,
        snapshots.snapshot_index,
        snapshots.snapshot_date
    from (select distinct segment_entity_id from purchases_by_bucket) as buyers
    cross join snapshots
),

purchase_dates_running as (
    select
        buyer_snapshots.segment_entity_id,
        buyer_snapshots.snapshot_index,
        min(purchases_by_bucket.first_purchase_in_bucket) over up_to_snapshot as first_purchase_date,
        max(purchases_by_bucket.last_purchase_in_bucket) over up_to_snapshot as last_purchase_date
    from buyer_snapshots
    left join purchases_by_bucket
        on buyer_snapshots.segment_entity_id = purchases_by_bucket.segment_entity_id
        and buyer_snapshots.snapshot_index = purchases_by_bucket.snapshot_index
    window up_to_snapshot as (
        partition by buyer_snapshots.segment_entity_id
        order by buyer_snapshots.snapshot_date
        rows between unbounded preceding and current row
    )
),

purchase_dates as (
    -- only snapshots with a purchase on or before them, as before
    select * from purchase_dates_running
    where first_purchase_date is not null
),

window_totals as (
    select
        segment_entity_id,
        snapshot_index,
        sum(gross_sales) filter (where is_in_window) as gross_sales_window,
        sum(credit_notes_amount) filter (where is_in_window) as credit_notes_window,
        sum(discounts_amount) filter (where is_in_window) as discounts_window,
        sum(net_revenue) filter (where is_in_window) as net_revenue_window,
        sum(net_revenue_with_known_cost) filter (where is_in_window) as net_revenue_with_known_cost_window,
        sum(known_gross_margin) filter (where is_in_window) as known_gross_margin_window,
        sum(revenue_line_count) filter (where is_in_window) as revenue_line_count_window,
        sum(unknown_cost_line_count) filter (where is_in_window) as unknown_cost_line_count_window,
        sum(unknown_cost_free_line_count) filter (where is_in_window) as unknown_cost_free_line_count_window,
        count(*) filter (where is_in_window and is_purchase_period) as purchase_month_count_window,
        -- exact decimal sums: doubles summed by several threads came out in a different order, and
        -- so different last bits, from one build to the next (one row in six at 150k accounts);
        -- squares in 38 digits, as 18 overflow
        sum(net_revenue) filter (where is_in_window) as window_revenue_sum,
        sum(cast(net_revenue as decimal(38, 4)) * cast(net_revenue as decimal(38, 4))) filter (where is_in_window)
            as window_revenue_sum_squares,
        sum(net_revenue) filter (where is_trailing) as trailing_revenue_sum,
        sum(net_revenue) filter (where is_baseline) as baseline_revenue_sum,
        sum(cast(net_revenue as decimal(38, 4)) * cast(net_revenue as decimal(38, 4))) filter (where is_baseline)
            as baseline_revenue_sum_squares
    from entity_periods
    group by segment_entity_id, snapshot_index
),

-- the period holding the first purchase tells how many months of each series the entity existed
first_purchase_periods as (
    select
        purchase_dates.segment_entity_id,
        purchase_dates.snapshot_index,
        periods.period_index as first_purchase_period_index
    from purchase_dates
    inner join periods
        on purchase_dates.snapshot_index = periods.snapshot_index
        and purchase_dates.first_purchase_date between periods.period_start_date and periods.period_end_date
),

joined as (
    select
        entity_snapshots.*,
        purchase_dates.first_purchase_date,
        purchase_dates.last_purchase_date,
        first_purchase_periods.first_purchase_period_index,
        coalesce(window_totals.gross_sales_window, 0) as gross_sales_window,
        coalesce(window_totals.credit_notes_window, 0) as credit_notes_window,
        coalesce(window_totals.discounts_window, 0) as discounts_window,
        coalesce(window_totals.net_revenue_window, 0) as net_revenue_window,
        coalesce(window_totals.net_revenue_with_known_cost_window, 0) as net_revenue_with_known_cost_window,
        coalesce(window_totals.known_gross_margin_window, 0) as known_gross_margin_window,
        coalesce(window_totals.revenue_line_count_window, 0) as revenue_line_count_window,
        coalesce(window_totals.unknown_cost_line_count_window, 0) as unknown_cost_line_count_window,
        coalesce(window_totals.unknown_cost_free_line_count_window, 0) as unknown_cost_free_line_count_window,
        coalesce(window_totals.purchase_month_count_window, 0) as purchase_month_count_window,
        coalesce(window_totals.window_revenue_sum, 0) as window_revenue_sum,
        coalesce(window_totals.window_revenue_sum_squares, 0) as window_revenue_sum_squares,
        coalesce(window_totals.trailing_revenue_sum, 0) as trailing_revenue_sum,
        coalesce(window_totals.baseline_revenue_sum, 0) as baseline_revenue_sum,
        coalesce(window_totals.baseline_revenue_sum_squares, 0) as baseline_revenue_sum_squares
    from entity_snapshots
    left join purchase_dates
        on entity_snapshots.segment_entity_id = purchase_dates.segment_entity_id
        and entity_snapshots.snapshot_index = purchase_dates.snapshot_index
    left join first_purchase_periods
        on entity_snapshots.segment_entity_id = first_purchase_periods.segment_entity_id
        and entity_snapshots.snapshot_index = first_purchase_periods.snapshot_index
    left join window_totals
        on entity_snapshots.segment_entity_id = window_totals.segment_entity_id
        and entity_snapshots.snapshot_index = window_totals.snapshot_index
),

-- months of each series the entity existed in: all of them when the first purchase is older
series_lengths as (
    select
        joined.*,
        case
            when joined.first_purchase_date is null then 0
            when joined.first_purchase_period_index is null then {{ number_var('window_months') }}
            else least({{ number_var('window_months') }}, joined.first_purchase_period_index + 1)
        end as xyz_month_count,
        case
            when joined.first_purchase_date is null then 0
            when joined.first_purchase_period_index is null then {{ number_var('window_months') }}
            else greatest(
                0,
                least(
                    {{ number_var('window_months') }},
                    joined.first_purchase_period_index + 1 - {{ number_var('snapshot_interval_months') }}
                )
            )
        end as baseline_month_count
    from joined
),

-- months without a row count as zero revenue: each series is divided by its month count. The
-- deviation comes from exact sums: n * sum(x^2) - sum(x)^2 is n^2 times the variance, exactly zero
-- for a flat series (taken in doubles, the same difference can cancel to rounding noise)
statistics as (
    select
        series_lengths.*,
        case when xyz_month_count > 0 then cast(window_revenue_sum as double) / xyz_month_count end
            as monthly_revenue_mean,
        case
            when xyz_month_count > 0
                then sqrt(greatest(cast(
                    xyz_month_count * window_revenue_sum_squares - window_revenue_sum * window_revenue_sum
                    as double
                ), 0)) / xyz_month_count
        end as monthly_revenue_stddev,
        cast(trailing_revenue_sum as double) / {{ number_var('snapshot_interval_months') }}
            as trailing_monthly_revenue,
        case when baseline_month_count > 0 then cast(baseline_revenue_sum as double) / baseline_month_count end
            as baseline_monthly_revenue,
        case
            when baseline_month_count > 0
                then sqrt(greatest(cast(
                    baseline_month_count * baseline_revenue_sum_squares - baseline_revenue_sum * baseline_revenue_sum
                    as double
                ), 0)) / baseline_month_count
        end as baseline_monthly_stddev,
        case
            -- nothing sold: the margin is known, and zero
            when revenue_line_count_window = 0 then {{ money('0') }}
            -- no revenue to weigh coverage by: known when every priced line's cost is (free lines
            -- of unknown cost are judged apart, below)
            when net_revenue_window = 0
                then case
                    when unknown_cost_line_count_window = unknown_cost_free_line_count_window
                        then {{ money('known_gross_margin_window') }}
                end
            when net_revenue_with_known_cost_window / net_revenue_window >= {{ number_var('min_cost_coverage') }}
                then {{ money(
                    'known_gross_margin_window * net_revenue_window / nullif(net_revenue_with_known_cost_window, 0)'
                ) }}
        end as covered_gross_margin_window
    from series_lengths
),

final as (
    select
        segment_entity_id || ':' || snapshot_index as segment_entity_snapshot_id,
        segment_entity_id,
        entity_level,
        entity_id,
        group_account_id,
        member_account_count,
        cast(snapshot_index as integer) as snapshot_index,
        snapshot_date,
        window_start_date,
        window_end_date,
        annual_potential,
        is_strategic,
        is_renowned,
        has_strict_quality_requirements,
        created_date,
        status,
        first_purchase_date,
        last_purchase_date,
        cast(snapshot_date - last_purchase_date as integer) as days_since_last_purchase,
        first_purchase_date > cast(snapshot_date - to_months({{ number_var('min_history_months') }}) as date)
            as is_short_history,
        -- whole months elapsed (31 Jan to 1 Feb is 0 months); a creation date after the snapshot
        -- (an account that did not exist yet at a past snapshot) does not count
        case
            when least(created_date, first_purchase_date) <= snapshot_date
                then cast(date_sub(
                    'month',
                    least(
                        case when created_date <= snapshot_date then created_date end,
                        case when first_purchase_date <= snapshot_date then first_purchase_date end
                    ),
                    snapshot_date
                ) as integer)
        end as tenure_months,
        {{ money('gross_sales_window') }} as gross_sales_window,
        {{ money('credit_notes_window') }} as credit_notes_window,
        {{ money('discounts_window') }} as discounts_window,
        {{ money('net_revenue_window') }} as net_revenue_window,
        case when gross_sales_window > 0 then cast(discounts_window / gross_sales_window as double) end
            as discount_share_window,
        case
            when revenue_line_count_window = 0 then null
            when net_revenue_window != 0
                then cast(net_revenue_with_known_cost_window / net_revenue_window as double)
        end as cost_coverage_share_window,
        -- goods given free at an unknown cost: coverage, weighed by revenue, cannot see them, yet
        -- the margin is unknown by their cost
        case when unknown_cost_free_line_count_window = 0 then covered_gross_margin_window end as gross_margin_window,
        case
            when covered_gross_margin_window is null then 'cost_coverage_below_minimum'
            when unknown_cost_free_line_count_window > 0 then 'free_goods_cost_unknown'
        end as gross_margin_missing_reason,
        cast(purchase_month_count_window as integer) as purchase_month_count_window,
        cast(purchase_month_count_window as double) / {{ number_var('window_months') }} as active_month_share,
        cast(xyz_month_count as integer) as xyz_month_count,
        monthly_revenue_mean,
        monthly_revenue_stddev,
        case when monthly_revenue_mean > 0 then monthly_revenue_stddev / monthly_revenue_mean end
            as coefficient_of_variation,
        trailing_monthly_revenue,
        cast(baseline_month_count as integer) as baseline_month_count,
        baseline_monthly_revenue,
        baseline_monthly_stddev,
        -- the trailing mean of k months varies by stddev / sqrt(k) around the baseline by chance alone
        case
            when baseline_monthly_stddev > 0
                then (trailing_monthly_revenue - baseline_monthly_revenue)
                    / (baseline_monthly_stddev / sqrt({{ number_var('snapshot_interval_months') }}))
        end as revenue_z_score
    from statistics
)

select * from final
