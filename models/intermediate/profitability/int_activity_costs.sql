{#-
    Time-driven activity-based costing, one row per clean activity up to the as-of date (with
    or without an account: time with no account is the rep's own, counted per rep, never an
    account's). Each activity's minutes and travel minutes cost the rep's cost per minute
    (loaded cost / practical capacity, from dim_reps); travel expenses are added as recorded.
    The activity's own minutes are cost of sales of exactly one kind: an unpaid value-added
    service (a type listed in var unpaid_service_activity_types that the customer did not pay
    for) or ordinary rep time, so no minute is counted twice.
    A rep with no known cost per minute (no loaded cost, zero capacity, unknown rep) leaves the
    time cost null and is_time_cost_known false, as do unknown minutes (duration or travel
    minutes not recorded: is_duration_known, is_travel_minutes_known); a trip with travel
    minutes but no recorded expense, or neither travel minutes nor expense recorded, leaves the
    expense null (is_travel_expense_known false).
-#}
{%- set unpaid_types = var('unpaid_service_activity_types') -%}
{%- if unpaid_types is string -%}{%- set unpaid_types = [unpaid_types] -%}{%- endif %}
with activities as (
    select
        activity_id,
        activity_date,
        rep_id,
        account_id,
        activity_type,
        duration_minutes,
        travel_minutes,
        travel_cost,
        is_billable
    from {{ ref('int_activities') }}
    where activity_date <= {{ as_of_date() }}
),

reps as (
    select
        rep_id,
        cost_per_minute
    from {{ ref('dim_reps') }}
),

classified as (
    select
        activities.*,
        reps.cost_per_minute,
        {% if unpaid_types | length > 0 -%}
            activities.activity_type in (
                {%- for activity_type in unpaid_types %}
                '{{ activity_type | string | replace("'", "''") }}'{{ ', ' if not loop.last }}
                {%- endfor %}
            ) and not activities.is_billable
        {%- else -%}
            false
        {%- endif %} as is_unpaid_service,
        reps.cost_per_minute is not null
        and activities.duration_minutes is not null
        and activities.travel_minutes is not null as is_time_cost_known,
        -- travel minutes are optional: with neither minutes nor expense recorded, the expense is unknown
        activities.travel_cost is not null or coalesce(activities.travel_minutes = 0, false) as is_travel_expense_known,
        activities.duration_minutes is not null as is_duration_known,
        activities.travel_minutes is not null as is_travel_minutes_known
    from activities
    left join reps
        on activities.rep_id = reps.rep_id
),

final as (
    select
        activity_id,
        activity_date,
        cast(date_trunc('month', activity_date) as date) as activity_month,
        rep_id,
        account_id,
        activity_type,
        is_billable,
        is_unpaid_service,
        duration_minutes as activity_minutes,
        travel_minutes,
        cost_per_minute,
        is_time_cost_known,
        is_travel_expense_known,
        is_duration_known,
        is_travel_minutes_known,
        case when not is_unpaid_service then {{ money('duration_minutes * cost_per_minute') }} end as rep_time_cost,
        case when is_unpaid_service then {{ money('duration_minutes * cost_per_minute') }} end as unpaid_service_cost,
        {{ money('travel_minutes * cost_per_minute') }} as travel_time_cost,
        -- no travel, no expense: a call or an email has a known expense of nothing
        case
            when travel_cost is not null then travel_cost
            when travel_minutes = 0 then 0
        end as travel_expenses
    from classified
)

select * from final
