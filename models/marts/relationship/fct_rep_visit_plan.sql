{#-
    One row per rep (dim_reps) for the next planning period: visit capacity, the demand of the
    rep's accounts, the visits planned, utilisation (planned / capacity), reach (share of the
    rep's accounts with a planned visit), unserved demand, key accounts below their minimum,
    and the overflow rule applied ('none' when demand fits; else 'stretch', 'drop_lowest' or
    'key_minimums_only' when key-account minimums alone exceed capacity). A rep without
    accounts has zero demand and a null reach.
-#}
with capacity as (
    select
        rep_id,
        rep_name,
        role,
        visits_per_day,
        is_capacity_defaulted,
        capacity_visits
    from {{ ref('int_rep_visit_capacity') }}
),

plan as (
    select
        account_id,
        as_of_date,
        plan_start_date,
        rep_id,
        is_key_account,
        demand_visits,
        planned_visits,
        unserved_visits,
        meets_key_account_minimum,
        overflow_rule_applied,
        stretch_factor
    from {{ ref('fct_account_visit_plan') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

rep_totals as (
    select
        rep_id,
        count(*) as account_count,
        count(*) filter (where planned_visits > 0) as reached_account_count,
        count(*) filter (where unserved_visits > 0) as underserved_account_count,
        count(*) filter (where is_key_account) as key_account_count,
        count(*) filter (where is_key_account and not meets_key_account_minimum)
            as key_accounts_below_minimum_count,
        sum(demand_visits) as demand_visits,
        -- rounded: float sums must not exceed capacity by 1e-13
        round(sum(planned_visits), 6) as planned_visits,
        sum(unserved_visits) as unserved_visits,
        min(overflow_rule_applied) as overflow_rule_applied,
        min(stretch_factor) as stretch_factor
    from plan
    where rep_id is not null
    group by rep_id
),

final as (
    select
        capacity.rep_id,
        capacity.rep_name,
        capacity.role,
        as_of.as_of_date,
        cast(as_of.as_of_date + interval 1 day as date) as plan_start_date,
        cast({{ number_var('plan_period_working_days') }} as integer) as plan_period_working_days,
        capacity.visits_per_day,
        capacity.is_capacity_defaulted,
        capacity.capacity_visits,
        cast(coalesce(rep_totals.account_count, 0) as integer) as account_count,
        cast(coalesce(rep_totals.key_account_count, 0) as integer) as key_account_count,
        coalesce(rep_totals.demand_visits, 0) as demand_visits,
        coalesce(rep_totals.planned_visits, 0) as planned_visits,
        coalesce(rep_totals.unserved_visits, 0) as unserved_visits,
        -- 6 decimals: a plan that fills the capacity exactly must not read 1.0000000000002
        round(coalesce(rep_totals.planned_visits, 0) / nullif(capacity.capacity_visits, 0), 6) as utilisation,
        rep_totals.reached_account_count / nullif(rep_totals.account_count, 0) as reach,
        cast(coalesce(rep_totals.underserved_account_count, 0) as integer) as underserved_account_count,
        cast(coalesce(rep_totals.key_accounts_below_minimum_count, 0) as integer) as key_accounts_below_minimum_count,
        coalesce(rep_totals.overflow_rule_applied, 'none') as overflow_rule_applied,
        rep_totals.stretch_factor
    from capacity
    cross join as_of
    left join rep_totals
        on capacity.rep_id = rep_totals.rep_id
)

select * from final
