{#-
    One row per account of the visit plan (not former; by default not lost unless key) for the next period
    (var plan_period_working_days working days from the day after the as-of date): its demand,
    its planned visits and what was not served, with the reason. Planned visits are rates over
    the period (0.5 = one visit every other period); planned_interval_working_days is the
    spacing they imply. Allocation by int_visit_plan_allocated (kam.visit_plan): key-account
    minimums first, then the overflow rule of var visit_overflow_rule when demand exceeds a
    rep's capacity. Accounts without an owner rep are unserved with reason no_owner_rep (on a
    sales-only export, every account).
-#}
with allocated as (
    select * from {{ ref('int_visit_plan_allocated') }}
),

priorities as (
    select
        account_id,
        as_of_date,
        matrix_cell_code,
        cell_priority_rank,
        priority_score,
        recommended_visits_per_year,
        key_account_min_visits_per_year
    from {{ ref('fct_account_visit_priorities') }}
),

final as (
    select
        allocated.account_id,
        priorities.as_of_date,
        cast(priorities.as_of_date + interval 1 day as date) as plan_start_date,
        allocated.rep_id,
        cast(allocated.priority_rank as integer) as rep_priority_rank,
        allocated.is_key_account,
        priorities.matrix_cell_code,
        priorities.cell_priority_rank,
        priorities.priority_score,
        priorities.recommended_visits_per_year,
        priorities.key_account_min_visits_per_year,
        allocated.demand_visits,
        allocated.min_visits as key_account_min_visits,
        allocated.planned_visits,
        allocated.unserved_visits,
        round(allocated.planned_visits / nullif(allocated.demand_visits, 0), 6) as service_share,
        {{ number_var('plan_period_working_days') }} / nullif(allocated.planned_visits, 0)
            as planned_interval_working_days,
        allocated.plan_status,
        allocated.shortfall_reason,
        allocated.meets_key_account_minimum,
        allocated.overflow_rule_applied,
        allocated.stretch_factor
    from allocated
    inner join priorities
        on allocated.account_id = priorities.account_id
)

select * from final
