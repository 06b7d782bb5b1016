{#-
    ABC, XYZ, Syntetos-Boylan demand class, ABC-XYZ cell and lifecycle stage of every account
    and group at every snapshot. History, migrations, the current account mart and the group
    mart all read this one model, so a rule is written once.

    ABC (per level and snapshot, on net revenue of the trailing window; the same on gross margin):
      entities with a positive amount are ranked by amount, descending; the class of an entity is
      decided by the share of the total held by entities with a strictly larger amount (its
      'prior share'): A below var abc_a_cutoff, B below var abc_b_cutoff, C from there. So the
      entity that crosses a cut-off still belongs to the class below it (A is never empty), and
      entities with exactly equal amounts always share a class whatever their ids. Amounts of zero
      or less get the explicit class 'none' and stay in the mart. revenue_rank breaks ties by id.
    XYZ: 'none' without purchase in the window, 'new' when the first purchase is less than
      var min_history_months before the snapshot, 'none' when the mean monthly net revenue is not
      positive (a CV is then meaningless), else X below var xyz_x_cutoff, Y below var
      xyz_y_cutoff, Z from there (a value exactly at a cut-off goes up).
    Cell: 'none' when ABC is 'none'; 'new' for new accounts; 'none' when XYZ is 'none';
      otherwise ABC letter followed by XYZ letter (AX ... CZ).
    Lifecycle, first rule that applies: prospect (never bought), lost (no purchase for longer
      than lost_threshold_days), new, won_back (lost at the previous snapshot, not lost now),
      at_risk (trailing months below the baseline by more than var at_risk_z_threshold standard
      errors; an entity with perfectly flat baseline months is at risk on any drop), active.
    A snapshot_table (macros/snapshot_table.sql): classes rank the entities of one snapshot and
    the lifecycle looks one snapshot back, so a daily build computes the snapshots whose figures
    changed and the one before each of them, and writes the former only.
-#}
{{ config(
    materialized='snapshot_table',
    snapshot_dated_inputs={
        'int_segment_entity_snapshots': 'snapshot_date',
        'int_segment_purchase_intervals': 'snapshot_date',
    },
) }}
{#- made once for the two filters below: a plan digests every input -#}
{%- set snapshot_plan = snapshot_table_plan() if execute and model.config.materialized == 'snapshot_table' else none %}
-- every figure is carried through: the marts show the numbers behind each label
with figures as (
    select * from {{ ref('int_segment_entity_snapshots') }}
    where {{ snapshot_table_filter('snapshot_date', with_previous=true, plan=snapshot_plan) }}
),

intervals as (
    select
        segment_entity_snapshot_id,
        median_purchase_interval_days,
        purchase_interval_count,
        adi,
        cv_squared,
        demand_class
    from {{ ref('int_segment_purchase_intervals') }}
),

joined as (
    select
        figures.*,
        intervals.median_purchase_interval_days,
        coalesce(intervals.purchase_interval_count, 0) as purchase_interval_count,
        intervals.adi,
        intervals.cv_squared,
        intervals.demand_class,
        figures.net_revenue_window > 0 as has_positive_revenue,
        figures.gross_margin_window > 0 as has_positive_margin
    from figures
    left join intervals
        on figures.segment_entity_snapshot_id = intervals.segment_entity_snapshot_id
),

ranking_inputs as (
    -- each window below sorts its rows once per ordering: only the columns the ranks and running
    -- sums need are sorted, and the wide rows of figures join back on the key
    select
        segment_entity_snapshot_id,
        entity_level,
        snapshot_index,
        entity_id,
        net_revenue_window,
        gross_margin_window,
        has_positive_revenue,
        has_positive_margin
    from joined
),

ranks as (
    select
        segment_entity_snapshot_id,
        row_number() over (
            partition by entity_level, snapshot_index
            order by has_positive_revenue desc, net_revenue_window desc, entity_id asc
        ) as revenue_rank,
        sum(case when has_positive_revenue then net_revenue_window end)
            over (partition by entity_level, snapshot_index) as total_positive_revenue,
        -- running total in rank order (ties broken by id), for the cumulative curve
        sum(case when has_positive_revenue then net_revenue_window end) over (
            partition by entity_level, snapshot_index
            order by has_positive_revenue desc, net_revenue_window desc, entity_id asc
            rows between unbounded preceding and current row
        ) as cumulative_revenue,
        -- total of the entities with a strictly larger revenue: equal revenues share a class
        coalesce(sum(case when has_positive_revenue then net_revenue_window end) over (
            partition by entity_level, snapshot_index
            order by net_revenue_window desc
            range between unbounded preceding and current row
        ), 0)
        - net_revenue_window * count(*) over (
            partition by entity_level, snapshot_index, net_revenue_window
        ) as prior_revenue,
        sum(case when has_positive_margin then gross_margin_window end)
            over (partition by entity_level, snapshot_index) as total_positive_margin,
        sum(case when has_positive_margin then gross_margin_window end) over (
            partition by entity_level, snapshot_index
            order by has_positive_margin desc nulls last, gross_margin_window desc nulls last, entity_id asc
            rows between unbounded preceding and current row
        ) as cumulative_margin,
        coalesce(sum(case when has_positive_margin then gross_margin_window end) over (
            partition by entity_level, snapshot_index
            order by gross_margin_window desc nulls last
            range between unbounded preceding and current row
        ), 0)
        - gross_margin_window * count(*) over (
            partition by entity_level, snapshot_index, gross_margin_window
        ) as prior_margin
    from ranking_inputs
),

lost_thresholds as (
    select
        segment_entity_snapshot_id,
        segment_entity_id,
        snapshot_index,
        first_purchase_date,
        days_since_last_purchase,
        is_short_history,
        revenue_z_score,
        baseline_month_count,
        baseline_monthly_stddev,
        trailing_monthly_revenue,
        baseline_monthly_revenue,
        case
            when median_purchase_interval_days is null then {{ number_var('lost_max_days') }}
            else least(
                {{ number_var('lost_max_days') }},
                greatest(
                    {{ number_var('lost_min_days') }},
                    {{ number_var('lost_interval_multiple') }} * median_purchase_interval_days
                )
            )
        end as lost_threshold_days
    from joined
),

base_lifecycle_stages as (
    select
        segment_entity_snapshot_id,
        segment_entity_id,
        snapshot_index,
        lost_threshold_days,
        case
            when first_purchase_date is null then 'prospect'
            when days_since_last_purchase > lost_threshold_days then 'lost'
            when is_short_history then 'new'
            when revenue_z_score < -{{ number_var('at_risk_z_threshold') }} then 'at_risk'
            when baseline_month_count > 0 and baseline_monthly_stddev = 0
                and trailing_monthly_revenue < baseline_monthly_revenue then 'at_risk'
            else 'active'
        end as base_lifecycle_stage
    from lost_thresholds
),

lifecycle_stages as (
    -- like the ranks, the look one snapshot back sorts these few columns, not the wide rows
    select
        segment_entity_snapshot_id,
        lost_threshold_days,
        base_lifecycle_stage,
        -- snapshots are numbered backwards: the previous one has the next index
        lead(base_lifecycle_stage) over (
            partition by segment_entity_id order by snapshot_index
        ) as previous_base_lifecycle_stage
    from base_lifecycle_stages
),

revenue_ranked as (
    select
        joined.*,
        ranks.revenue_rank,
        ranks.total_positive_revenue,
        ranks.cumulative_revenue,
        ranks.prior_revenue,
        ranks.total_positive_margin,
        ranks.cumulative_margin,
        ranks.prior_margin,
        lifecycle_stages.lost_threshold_days,
        lifecycle_stages.base_lifecycle_stage,
        lifecycle_stages.previous_base_lifecycle_stage
    from joined
    inner join ranks
        on joined.segment_entity_snapshot_id = ranks.segment_entity_snapshot_id
    inner join lifecycle_stages
        on joined.segment_entity_snapshot_id = lifecycle_stages.segment_entity_snapshot_id
),

shares as (
    select
        revenue_ranked.*,
        case when has_positive_revenue then cast(net_revenue_window / total_positive_revenue as double) end
            as revenue_share,
        case when has_positive_revenue then cast(cumulative_revenue / total_positive_revenue as double) end
            as cumulative_revenue_share,
        case when has_positive_revenue then cast(prior_revenue / total_positive_revenue as double) end
            as prior_revenue_share,
        case when has_positive_margin then cast(gross_margin_window / total_positive_margin as double) end
            as margin_share,
        case when has_positive_margin then cast(cumulative_margin / total_positive_margin as double) end
            as cumulative_margin_share,
        case when has_positive_margin then cast(prior_margin / total_positive_margin as double) end
            as prior_margin_share
    from revenue_ranked
),

classified as (
    select
        shares.*,
        case
            when not has_positive_revenue then 'none'
            when prior_revenue_share < {{ number_var('abc_a_cutoff') }} then 'A'
            when prior_revenue_share < {{ number_var('abc_b_cutoff') }} then 'B'
            else 'C'
        end as abc_class,
        case
            when gross_margin_window is null then null
            when not has_positive_margin then 'none'
            when prior_margin_share < {{ number_var('abc_a_cutoff') }} then 'A'
            when prior_margin_share < {{ number_var('abc_b_cutoff') }} then 'B'
            else 'C'
        end as abc_margin_class,
        case
            when purchase_month_count_window = 0 then 'no_purchase_in_window'
            when is_short_history then 'short_history'
            when coefficient_of_variation is null then 'non_positive_net_revenue'
        end as xyz_class_reason,
        case
            when purchase_month_count_window = 0 then 'none'
            when is_short_history then 'new'
            when coefficient_of_variation is null then 'none'
            when coefficient_of_variation < {{ number_var('xyz_x_cutoff') }} then 'X'
            when coefficient_of_variation < {{ number_var('xyz_y_cutoff') }} then 'Y'
            else 'Z'
        end as xyz_class
    from shares
),

with_cells as (
    select
        classified.*,
        case
            when abc_class = 'none' then 'none'
            when xyz_class = 'new' then 'new'
            when xyz_class = 'none' then 'none'
            else abc_class || xyz_class
        end as abc_xyz_cell
    from classified
),

final as (
    select
        segment_entity_snapshot_id,
        segment_entity_id,
        entity_level,
        entity_id,
        group_account_id,
        member_account_count,
        snapshot_index,
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
        days_since_last_purchase,
        is_short_history,
        tenure_months,
        gross_sales_window,
        credit_notes_window,
        discounts_window,
        net_revenue_window,
        discount_share_window,
        cost_coverage_share_window,
        gross_margin_window,
        gross_margin_missing_reason,
        purchase_month_count_window,
        active_month_share,
        xyz_month_count,
        monthly_revenue_mean,
        monthly_revenue_stddev,
        coefficient_of_variation,
        trailing_monthly_revenue,
        baseline_month_count,
        baseline_monthly_revenue,
        baseline_monthly_stddev,
        revenue_z_score,
        median_purchase_interval_days,
        purchase_interval_count,
        adi,
        cv_squared,
        demand_class,
        cast(revenue_rank as integer) as revenue_rank,
        revenue_share,
        cumulative_revenue_share,
        prior_revenue_share,
        abc_class,
        margin_share,
        cumulative_margin_share,
        prior_margin_share,
        abc_margin_class,
        xyz_class,
        xyz_class_reason,
        abc_xyz_cell,
        cast(lost_threshold_days as double) as lost_threshold_days,
        previous_base_lifecycle_stage,
        case
            when base_lifecycle_stage in ('active', 'at_risk') and previous_base_lifecycle_stage = 'lost'
                then 'won_back'
            else base_lifecycle_stage
        end as lifecycle_stage
    from with_cells
    where {{ snapshot_table_filter('snapshot_date', plan=snapshot_plan) }}
)

select * from final
