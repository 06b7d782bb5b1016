{#-
    No activity counted twice, none lost: every clean activity up to the as-of date is costed
    exactly once, and its minutes reach the marts exactly once (the accounts' minutes plus the
    reps' internal minutes equal the activities' minutes, period by period, in every period the
    activity history covers).
-#}
with periods as (
    select
        period_id,
        period_start_date,
        period_end_date
    from {{ ref('int_profitability_periods') }}
    -- before the activity history the marts hold no minutes (unknown), so nothing to compare
    where is_reported and is_activity_covered
),

counts as (
    select
        (select count(*) from {{ ref('int_activity_costs') }}) as costed_activities,
        (select count(distinct activity_id) from {{ ref('int_activity_costs') }}) as distinct_costed_activities,
        (
            select count(*) from {{ ref('int_activities') }}
            where activity_date <= {{ as_of_date() }}
        ) as clean_activities
),

source_minutes as (
    select
        periods.period_id,
        sum(activities.duration_minutes + activities.travel_minutes) filter (where activities.account_id is not null)
            as account_minutes,
        sum(activities.duration_minutes + activities.travel_minutes) as all_minutes,
        -- minutes not recorded leave the marts' minutes unknown: such periods cannot be summed
        count(*) filter (where activities.duration_minutes is null or activities.travel_minutes is null)
            as unknown_minutes_count
    from {{ ref('int_activities') }} as activities
    inner join periods
        on activities.activity_date between periods.period_start_date and periods.period_end_date
    group by periods.period_id
),

account_minutes as (
    select
        period_id,
        sum(rep_time_minutes + unpaid_service_minutes + travel_minutes) as account_minutes
    from {{ ref('fct_account_profitability') }}
    group by period_id
),

rep_minutes as (
    select
        period_id,
        sum(total_minutes) as all_minutes
    from {{ ref('fct_rep_time_allocation') }}
    where allocation_segment != 'unused_capacity'
    group by period_id
),

minute_checks as (
    select
        source_minutes.period_id,
        'minutes' as check_name,
        source_minutes.account_minutes as expected,
        account_minutes.account_minutes as account_side,
        rep_minutes.all_minutes as rep_side,
        source_minutes.all_minutes as expected_rep_side
    from source_minutes
    left join account_minutes on source_minutes.period_id = account_minutes.period_id
    left join rep_minutes on source_minutes.period_id = rep_minutes.period_id
    where source_minutes.unknown_minutes_count = 0
        and (
            abs(coalesce(account_minutes.account_minutes, 0) - coalesce(source_minutes.account_minutes, 0)) > 0.01
            or abs(coalesce(rep_minutes.all_minutes, 0) - coalesce(source_minutes.all_minutes, 0)) > 0.01
        )
)

select
    'activity count' as period_id,
    'count' as check_name,
    clean_activities as expected,
    costed_activities as account_side,
    distinct_costed_activities as rep_side,
    clean_activities as expected_rep_side
from counts
where costed_activities != clean_activities or distinct_costed_activities != clean_activities
union all
select * from minute_checks
