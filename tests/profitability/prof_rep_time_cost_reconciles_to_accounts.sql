{#-
    The reps' time cost spent on accounts equals the accounts' activity time costs (rep time +
    travel time + unpaid services), and the reps' allocated net revenue equals the revenue of
    the accounts they worked on: the time-allocation mart shares each account among its reps
    without losing or doubling any of it. Checked per reported period where every cost is known.
-#}
with rep_side as (
    select
        period_id,
        sum(time_cost) filter (where allocation_segment not in ('internal', 'unused_capacity')) as time_cost,
        count(*) filter (where time_cost is null and allocation_segment not in ('internal', 'unused_capacity'))
            as unknown_count,
        sum(allocated_net_revenue) as allocated_net_revenue
    from {{ ref('fct_rep_time_allocation') }}
    group by period_id
),

account_side as (
    select
        period_id,
        sum(coalesce(rep_time_cost, 0) + coalesce(travel_time_cost, 0) + coalesce(unpaid_service_cost, 0)) as time_cost,
        count(*) filter (where rep_time_cost_missing_reason in ('rep_cost_unknown', 'activity_minutes_unknown'))
            as unknown_count,
        sum(net_revenue) filter (where activity_count > 0) as served_net_revenue
    from {{ ref('fct_account_profitability') }}
    group by period_id
)

select
    account_side.period_id,
    account_side.time_cost as account_time_cost,
    rep_side.time_cost as rep_time_cost,
    account_side.served_net_revenue,
    rep_side.allocated_net_revenue
from account_side
left join rep_side
    on account_side.period_id = rep_side.period_id
where account_side.unknown_count = 0
    and coalesce(rep_side.unknown_count, 0) = 0
    and (
        abs(coalesce(account_side.time_cost, 0) - coalesce(rep_side.time_cost, 0)) > 0.01
        -- revenue is shared with floating-point fractions: a pound of tolerance on millions
        or abs(coalesce(account_side.served_net_revenue, 0) - coalesce(rep_side.allocated_net_revenue, 0)) > 1
    )
