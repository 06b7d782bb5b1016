{#-
    Reps with their capacity. Missing working days, hours or visits per day take the defaults
    in vars (flagged is_capacity_defaulted); a missing loaded cost stays null (cost unknown)
    unless var default_rep_loaded_annual_cost is set. Without a reps file, reps are derived
    from the sales lines and account owners.
-#}
{#- a plain table, not reusable_table: it reads the sales lines, which every delivery changes -#}
{{ config(materialized='table') }}
with file_reps as (
    select * from {{ ref('int_reps__checked') }}
    where dq_reason is null
),

referenced_reps as (
    select rep_id from {{ ref('int_sales_lines') }}
    where rep_id is not null
    union
    select owner_rep_id as rep_id from {{ ref('int_accounts') }}
    where owner_rep_id is not null
),

derived_reps as (
    select
        rep_id,
        cast(null as varchar) as rep_name,
        'rep' as role,
        cast(null as varchar) as manager_id,
        cast(null as varchar) as region,
        cast(null as decimal(18, 4)) as loaded_annual_cost,
        cast(null as integer) as working_days_per_year,
        cast(null as decimal(18, 4)) as working_hours_per_day,
        cast(null as decimal(18, 4)) as visits_per_day,
        true as is_derived_from_sales,
        cast(null as varchar) as source_file,
        cast(null as bigint) as source_row
    from referenced_reps
    where (select count(*) from file_reps) = 0
),

all_reps as (
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
        false as is_derived_from_sales,
        source_file,
        source_row
    from file_reps
    union all
    select * from derived_reps
),

final as (
    select
        rep_id,
        rep_name,
        role,
        manager_id,
        region,
        coalesce(
            loaded_annual_cost,
            {{ number_var('default_rep_loaded_annual_cost')
                if var('default_rep_loaded_annual_cost') is not none else 'null' }}
        ) as loaded_annual_cost,
        coalesce(working_days_per_year, {{ number_var('default_working_days_per_year') }}) as working_days_per_year,
        coalesce(working_hours_per_day, {{ number_var('default_working_hours_per_day') }}) as working_hours_per_day,
        coalesce(visits_per_day, {{ number_var('default_visits_per_day') }}) as visits_per_day,
        working_days_per_year is null
        or working_hours_per_day is null
        or visits_per_day is null as is_capacity_defaulted,
        is_derived_from_sales,
        source_file,
        source_row
    from all_reps
)

select * from final
