{#-
    What each account consumed per calendar month, up to the as-of date: its activities
    (minutes, travel, costed at the rep's cost per minute in int_activity_costs) and the
    discounts conceded on the deals it won (by month of closing). Only months with at least
    one activity or won deal have a row. Activities without an account are not here: they are
    the rep's unallocated time (fct_rep_time_allocation).
    The cost sums are over the activities whose cost is known; the counts of activities with
    an unknown cost say when a sum is incomplete, and the marts then show it as unknown.
-#}
with activity_costs as (
    select
        account_id,
        activity_month,
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
    where account_id is not null
),

won_deals as (
    select
        account_id,
        cast(date_trunc('month', closed_date) as date) as closed_month,
        discount_amount
    from {{ ref('int_opportunities') }}
    where status = 'won'
        and closed_date <= {{ as_of_date() }}
),

monthly_activities as (
    select
        account_id,
        activity_month as month_start_date,
        count(*) as activity_count,
        count(*) filter (where is_unpaid_service) as unpaid_service_activity_count,
        count(*) filter (where not is_time_cost_known) as unknown_time_cost_activity_count,
        count(*) filter (where not is_travel_expense_known) as unknown_travel_expense_activity_count,
        count(*) filter (where not is_duration_known) as unknown_duration_activity_count,
        count(*) filter (where not is_travel_minutes_known) as unknown_travel_minutes_activity_count,
        sum(activity_minutes) filter (where not is_unpaid_service) as rep_time_minutes,
        sum(activity_minutes) filter (where is_unpaid_service) as unpaid_service_minutes,
        sum(travel_minutes) as travel_minutes,
        sum(rep_time_cost) filter (where is_time_cost_known) as rep_time_cost,
        sum(unpaid_service_cost) filter (where is_time_cost_known) as unpaid_service_cost,
        sum(travel_time_cost) filter (where is_time_cost_known) as travel_time_cost,
        sum(travel_expenses) filter (where is_travel_expense_known) as travel_expenses
    from activity_costs
    group by account_id, activity_month
),

monthly_won_deals as (
    select
        account_id,
        closed_month as month_start_date,
        count(*) as won_deal_count,
        sum(discount_amount) as won_deal_discount_amount
    from won_deals
    group by account_id, closed_month
),

final as (
    select
        coalesce(monthly_activities.account_id, monthly_won_deals.account_id) || ':'
        || strftime(coalesce(monthly_activities.month_start_date, monthly_won_deals.month_start_date), '%Y-%m')
            as account_month_id,
        coalesce(monthly_activities.account_id, monthly_won_deals.account_id) as account_id,
        coalesce(monthly_activities.month_start_date, monthly_won_deals.month_start_date) as month_start_date,
        coalesce(monthly_activities.activity_count, 0) as activity_count,
        coalesce(monthly_activities.unpaid_service_activity_count, 0) as unpaid_service_activity_count,
        coalesce(monthly_activities.unknown_time_cost_activity_count, 0) as unknown_time_cost_activity_count,
        coalesce(monthly_activities.unknown_travel_expense_activity_count, 0)
            as unknown_travel_expense_activity_count,
        coalesce(monthly_activities.unknown_duration_activity_count, 0) as unknown_duration_activity_count,
        coalesce(monthly_activities.unknown_travel_minutes_activity_count, 0)
            as unknown_travel_minutes_activity_count,
        monthly_activities.rep_time_minutes,
        monthly_activities.unpaid_service_minutes,
        monthly_activities.travel_minutes,
        monthly_activities.rep_time_cost,
        monthly_activities.unpaid_service_cost,
        monthly_activities.travel_time_cost,
        monthly_activities.travel_expenses,
        coalesce(monthly_won_deals.won_deal_count, 0) as won_deal_count,
        monthly_won_deals.won_deal_discount_amount
    from monthly_activities
    full outer join monthly_won_deals
        on monthly_activities.account_id = monthly_won_deals.account_id
        and monthly_activities.month_start_date = monthly_won_deals.month_start_date
)

select * from final
