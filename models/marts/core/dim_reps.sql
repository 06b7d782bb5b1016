{#-
    One row per rep with the time-driven costing base: practical capacity (var
    practical_capacity_share of paid time, Kaplan and Anderson's ~80%) and the cost per minute
    of that capacity. Cost per minute is null when the loaded cost or the capacity is unknown or
    zero, never a division by zero.
-#}
with reps as (
    select * from {{ ref('int_reps') }}
),

capacity as (
    select
        *,
        working_days_per_year * working_hours_per_day * 60 as paid_minutes_per_year,
        working_days_per_year * working_hours_per_day * 60
        * {{ number_var('practical_capacity_share') }} as practical_minutes_per_year
    from reps
),

final as (
    select
        rep_id,
        rep_name,
        role,
        manager_id,
        region,
        loaded_annual_cost,
        working_days_per_year,
        working_hours_per_day,
        visits_per_day,
        paid_minutes_per_year,
        practical_minutes_per_year,
        loaded_annual_cost / nullif(practical_minutes_per_year, 0) as cost_per_minute,
        is_capacity_defaulted,
        is_derived_from_sales
    from capacity
)

select * from final
