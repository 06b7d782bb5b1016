{#-
    Where each rep's time goes, against the margin earned there: one row per rep, reported
    period (int_profitability_periods) and allocation segment. Segments are the ABC-XYZ cells
    of fct_account_segments as of the as-of date (new, none included), plus 'internal' (time
    logged without an account: never an account's cost, but part of the rep's time) and
    'unused_capacity' (practical capacity of the period left after every logged minute).
    Minutes are the activities' own minutes plus travel minutes; time cost is minutes x the
    rep's cost per minute. An activity whose duration or travel minutes were not recorded makes
    its row's minutes and time cost unknown (null, reason activity_minutes_unknown), and so the
    rep's unused capacity in the period: unlogged time is not idle time. An account's revenue, gross margin and net contribution for the
    period (fct_account_profitability) are shared among the reps who worked on it in proportion
    to their minutes (to their activity count when no minute was logged), so summing over reps
    counts each account once. Allocated money is null when any account in the row has it
    unknown; the *_known_part columns and margin_known_minutes_share show what is known.
    Practical capacity of a period: the rep's yearly practical minutes (dim_reps) x the
    period's months / 12, prorated by calendar days for the period cut at the as-of date.
    Only the periods the activity history covers (int_profitability_periods.is_activity_covered)
    are reported: before it, or without activities, the logged minutes are unknown, and unused
    capacity would be capacity that was merely not logged.
-#}
with periods as (
    select
        period_id,
        period_type,
        period_start_date,
        period_end_date,
        period_month_count,
        is_current_period,
        as_of_date
    from {{ ref('int_profitability_periods') }}
    -- a period that starts before the activity history (or with no activities delivered) has
    -- its minutes unknown, not small: no row, rather than unused capacity that is only unlogged
    where is_reported and is_activity_covered
),

activity_costs as (
    select
        activity_id,
        activity_month,
        rep_id,
        account_id,
        is_unpaid_service,
        activity_minutes,
        travel_minutes,
        is_time_cost_known,
        is_travel_expense_known,
        is_duration_known,
        is_travel_minutes_known,
        rep_time_cost,
        unpaid_service_cost,
        travel_time_cost,
        travel_expenses
    from {{ ref('int_activity_costs') }}
),

reps as (
    select
        rep_id,
        practical_minutes_per_year,
        cost_per_minute
    from {{ ref('dim_reps') }}
),

segments as (
    select
        account_id,
        abc_xyz_cell
    from {{ ref('fct_account_segments') }}
),

account_profitability as (
    select
        account_id,
        period_id,
        net_revenue,
        gross_margin,
        net_contribution
    from {{ ref('fct_account_profitability') }}
),

period_months as (
    -- every calendar month of every period (activities stop at the as-of date already)
    select
        period_id,
        cast(unnest(generate_series(period_start_date, period_end_date, interval 1 month)) as date)
            as month_start_date
    from periods
),

activities_in_periods as (
    select
        activity_costs.*,
        period_months.period_id,
        coalesce(activity_costs.activity_minutes, 0) + coalesce(activity_costs.travel_minutes, 0) as total_minutes,
        -- the costing of int_activity_costs, so reps and accounts add up to the same cent
        coalesce(activity_costs.rep_time_cost, activity_costs.unpaid_service_cost) + activity_costs.travel_time_cost
            as time_cost
    from activity_costs
    inner join period_months
        on activity_costs.activity_month = period_months.month_start_date
),

rep_account_periods as (
    select
        rep_id,
        account_id,
        period_id,
        count(*) as activity_count,
        count(*) filter (where not is_time_cost_known) as unknown_time_cost_count,
        count(*) filter (where not is_travel_expense_known) as unknown_travel_expense_count,
        count(*) filter (where not is_duration_known) as unknown_duration_count,
        count(*) filter (where not is_travel_minutes_known) as unknown_travel_minutes_count,
        sum(activity_minutes) as activity_minutes,
        sum(activity_minutes) filter (where is_unpaid_service) as unpaid_service_minutes,
        sum(travel_minutes) as travel_minutes,
        sum(total_minutes) as total_minutes,
        sum(time_cost) as time_cost,
        sum(travel_expenses) as travel_expenses
    from activities_in_periods
    group by rep_id, account_id, period_id
),

account_period_totals as (
    select
        account_id,
        period_id,
        sum(total_minutes) as account_minutes,
        sum(activity_count) as account_activity_count
    from rep_account_periods
    where account_id is not null
    group by account_id, period_id
),

allocated as (
    select
        rep_account_periods.*,
        case
            when rep_account_periods.account_id is null then 'internal'
            else coalesce(segments.abc_xyz_cell, 'none')
        end as allocation_segment,
        case
            when account_period_totals.account_minutes > 0
                then rep_account_periods.total_minutes / account_period_totals.account_minutes
            else cast(rep_account_periods.activity_count as double) / account_period_totals.account_activity_count
        end as rep_share,
        account_profitability.net_revenue,
        account_profitability.gross_margin,
        account_profitability.net_contribution
    from rep_account_periods
    left join account_period_totals
        on rep_account_periods.account_id = account_period_totals.account_id
        and rep_account_periods.period_id = account_period_totals.period_id
    left join segments
        on rep_account_periods.account_id = segments.account_id
    left join account_profitability
        on rep_account_periods.account_id = account_profitability.account_id
        and rep_account_periods.period_id = account_profitability.period_id
),

segment_rows as (
    select
        rep_id,
        period_id,
        allocation_segment,
        -- the cell decides the classes ('new' accounts have no XYZ class yet, whatever their ABC)
        case when length(allocation_segment) = 2 then left(allocation_segment, 1) end as abc_class,
        case
            when length(allocation_segment) = 2 then right(allocation_segment, 1)
            when allocation_segment = 'new' then 'new'
        end as xyz_class,
        sum(activity_count) as activity_count,
        count(account_id) as account_count,
        sum(unknown_time_cost_count) as unknown_time_cost_count,
        sum(unknown_travel_expense_count) as unknown_travel_expense_count,
        sum(unknown_duration_count) as unknown_duration_count,
        sum(unknown_travel_minutes_count) as unknown_travel_minutes_count,
        sum(activity_minutes) as activity_minutes,
        coalesce(sum(unpaid_service_minutes), 0) as unpaid_service_minutes,
        sum(travel_minutes) as travel_minutes,
        sum(total_minutes) as total_minutes,
        coalesce(sum(total_minutes) filter (where net_contribution < 0), 0) as loss_making_account_minutes,
        sum(time_cost) as time_cost,
        sum(travel_expenses) as travel_expenses,
        -- each share is fixed to a decimal before summing: a sum of doubles depends on the order
        -- DuckDB's threads add them, and the rounded total then differs from build to build
        sum(cast(net_revenue * rep_share as decimal(38, 10))) as allocated_net_revenue,
        sum(cast(gross_margin * rep_share as decimal(38, 10))) as allocated_gross_margin_known_part,
        sum(cast(net_contribution * rep_share as decimal(38, 10))) as allocated_net_contribution_known_part,
        count(*) filter (where account_id is not null and gross_margin is null) as unknown_margin_count,
        count(*) filter (where account_id is not null and net_contribution is null) as unknown_contribution_count,
        sum(total_minutes) filter (where gross_margin is not null) as margin_known_minutes
    from allocated
    group by rep_id, period_id, allocation_segment
),

rep_periods as (
    -- capacity of every known rep in every period, and the minutes they logged in it
    select
        reps.rep_id,
        periods.period_id,
        reps.cost_per_minute,
        reps.practical_minutes_per_year * periods.period_month_count / 12
        * (datediff('day', periods.period_start_date, periods.period_end_date) + 1)
        / datediff('day', periods.period_start_date, periods.period_start_date + to_months(periods.period_month_count))
            as practical_capacity_minutes
    from reps
    cross join periods
),

logged_by_rep_period as (
    select
        rep_id,
        period_id,
        sum(total_minutes) as logged_minutes,
        sum(unknown_duration_count + unknown_travel_minutes_count) as unknown_minutes_count
    from segment_rows
    group by rep_id, period_id
),

unused_rows as (
    select
        rep_periods.rep_id,
        rep_periods.period_id,
        'unused_capacity' as allocation_segment,
        -- what was not logged is unknown when a logged activity's minutes were not recorded
        case when coalesce(logged_by_rep_period.unknown_minutes_count, 0) = 0 then
            greatest(rep_periods.practical_capacity_minutes - coalesce(logged_by_rep_period.logged_minutes, 0), 0)
        end as total_minutes,
        coalesce(logged_by_rep_period.unknown_minutes_count, 0) > 0 as has_unknown_minutes,
        rep_periods.cost_per_minute
    from rep_periods
    left join logged_by_rep_period
        on rep_periods.rep_id = logged_by_rep_period.rep_id
        and rep_periods.period_id = logged_by_rep_period.period_id
),

all_rows as (
    select
        segment_rows.rep_id,
        segment_rows.period_id,
        segment_rows.allocation_segment,
        segment_rows.abc_class,
        segment_rows.xyz_class,
        segment_rows.activity_count,
        segment_rows.account_count,
        -- minutes are null, not partial sums, when an activity's minutes were not recorded
        case when segment_rows.unknown_duration_count = 0 then segment_rows.activity_minutes end as activity_minutes,
        case when segment_rows.unknown_duration_count = 0 then segment_rows.unpaid_service_minutes end
            as unpaid_service_minutes,
        case when segment_rows.unknown_travel_minutes_count = 0 then segment_rows.travel_minutes end as travel_minutes,
        case when segment_rows.unknown_duration_count + segment_rows.unknown_travel_minutes_count = 0
            then segment_rows.total_minutes end as total_minutes,
        -- unknown when an account of the row has an unknown contribution, not counted as profitable
        case
            when segment_rows.unknown_contribution_count = 0
                and segment_rows.unknown_duration_count + segment_rows.unknown_travel_minutes_count = 0
                then segment_rows.loss_making_account_minutes
        end as loss_making_account_minutes,
        case when segment_rows.unknown_time_cost_count = 0 then segment_rows.time_cost end as time_cost,
        case
            when segment_rows.unknown_duration_count + segment_rows.unknown_travel_minutes_count > 0
                then 'activity_minutes_unknown'
            when segment_rows.unknown_time_cost_count > 0 then 'rep_cost_unknown'
        end as time_cost_missing_reason,
        case when segment_rows.unknown_travel_expense_count = 0 then segment_rows.travel_expenses end
            as travel_expenses,
        segment_rows.allocated_net_revenue,
        case when segment_rows.unknown_margin_count = 0 then segment_rows.allocated_gross_margin_known_part end
            as allocated_gross_margin,
        segment_rows.allocated_gross_margin_known_part,
        case
            when segment_rows.unknown_contribution_count = 0 then segment_rows.allocated_net_contribution_known_part
        end as allocated_net_contribution,
        segment_rows.allocated_net_contribution_known_part,
        case
            when segment_rows.allocation_segment != 'internal' and segment_rows.total_minutes > 0
                and segment_rows.unknown_duration_count + segment_rows.unknown_travel_minutes_count = 0
                then coalesce(segment_rows.margin_known_minutes, 0) / segment_rows.total_minutes
        end as margin_known_minutes_share
    from segment_rows
    union all
    select
        unused_rows.rep_id,
        unused_rows.period_id,
        unused_rows.allocation_segment,
        null as abc_class,
        null as xyz_class,
        0 as activity_count,
        0 as account_count,
        null as activity_minutes,
        null as unpaid_service_minutes,
        null as travel_minutes,
        unused_rows.total_minutes,
        null as loss_making_account_minutes,
        unused_rows.total_minutes * unused_rows.cost_per_minute as time_cost,
        case
            when unused_rows.has_unknown_minutes then 'activity_minutes_unknown'
            when unused_rows.cost_per_minute is null then 'rep_cost_unknown'
        end as time_cost_missing_reason,
        null as travel_expenses,
        null as allocated_net_revenue,
        null as allocated_gross_margin,
        null as allocated_gross_margin_known_part,
        null as allocated_net_contribution,
        null as allocated_net_contribution_known_part,
        null as margin_known_minutes_share
    from unused_rows
),

final as (
    select
        all_rows.rep_id || '|' || all_rows.period_id || '|' || all_rows.allocation_segment as rep_allocation_id,
        all_rows.rep_id,
        periods.as_of_date,
        all_rows.period_id,
        periods.period_type,
        periods.period_start_date,
        periods.period_end_date,
        periods.is_current_period,
        all_rows.allocation_segment,
        all_rows.abc_class,
        all_rows.xyz_class,
        coalesce(all_rows.abc_class = 'C', false) as is_c_class,
        coalesce(all_rows.xyz_class = 'Z', false) as is_z_class,
        cast(all_rows.activity_count as bigint) as activity_count,
        cast(all_rows.account_count as bigint) as account_count,
        cast(all_rows.activity_minutes as decimal(18, 4)) as activity_minutes,
        cast(all_rows.unpaid_service_minutes as decimal(18, 4)) as unpaid_service_minutes,
        cast(all_rows.travel_minutes as decimal(18, 4)) as travel_minutes,
        cast(all_rows.total_minutes as decimal(18, 4)) as total_minutes,
        cast(all_rows.loss_making_account_minutes as decimal(18, 4)) as loss_making_account_minutes,
        cast(rep_periods.practical_capacity_minutes as decimal(18, 4)) as practical_capacity_minutes,
        case
            when rep_periods.practical_capacity_minutes > 0
                then all_rows.total_minutes / rep_periods.practical_capacity_minutes
        end as capacity_share,
        {{ money('all_rows.time_cost') }} as time_cost,
        all_rows.time_cost_missing_reason,
        {{ money('all_rows.travel_expenses') }} as travel_expenses,
        {{ money('all_rows.allocated_net_revenue') }} as allocated_net_revenue,
        {{ money('all_rows.allocated_gross_margin') }} as allocated_gross_margin,
        {{ money('all_rows.allocated_gross_margin_known_part') }} as allocated_gross_margin_known_part,
        {{ money('all_rows.allocated_net_contribution') }} as allocated_net_contribution,
        {{ money('all_rows.allocated_net_contribution_known_part') }} as allocated_net_contribution_known_part,
        all_rows.margin_known_minutes_share,
        case
            when all_rows.total_minutes > 0 then all_rows.allocated_gross_margin / (all_rows.total_minutes / 60)
        end as gross_margin_per_hour
    from all_rows
    inner join periods
        on all_rows.period_id = periods.period_id
    left join rep_periods
        on all_rows.rep_id = rep_periods.rep_id
        and all_rows.period_id = rep_periods.period_id
)

select * from final
