{#-
    Each rep's field-visit capacity for the next planning period: visits per day x the period's
    working days (var plan_period_working_days) x the share of days spent in the field (var
    field_day_share), and the share of the rep's working year the period covers (to turn yearly
    visit frequencies into visits in the period). Reps without working days have no share.
-#}
with reps as (
    select
        rep_id,
        rep_name,
        role,
        visits_per_day,
        working_days_per_year,
        is_capacity_defaulted
    from {{ ref('dim_reps') }}
),

final as (
    select
        rep_id,
        rep_name,
        role,
        cast(visits_per_day as double) as visits_per_day,
        working_days_per_year,
        is_capacity_defaulted,
        {{ number_var('plan_period_working_days') }} * {{ number_var('field_day_share') }} as field_days_in_period,
        cast(visits_per_day as double)
        * {{ number_var('plan_period_working_days') }} * {{ number_var('field_day_share') }} as capacity_visits,
        {{ number_var('plan_period_working_days') }} / nullif(working_days_per_year, 0) as period_share_of_year
    from reps
)

select * from final
