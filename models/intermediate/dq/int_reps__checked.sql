{#- Every staged rep row with its final data-quality reason (null = clean). -#}
{%- set value_columns = ['rep_id', 'rep_name', 'role', 'manager_id', 'region', 'loaded_annual_cost',
    'working_days_per_year', 'working_hours_per_day', 'visits_per_day'] %}
with staged as (
    select * from {{ ref('stg_landing__reps') }}
),

duplicates_flagged as (
    {{ duplicate_checks('staged', ['rep_id'], value_columns) }}
),

final as (
    select
        * exclude (dq_reason, dq_detail, is_exact_duplicate, has_conflicting_key),
        {{ final_dq_reason([
            ("is_exact_duplicate", "exact_duplicate", "'rep_id ' || rep_id"),
            ("has_conflicting_key", "conflicting_duplicate_key", "'rep_id ' || rep_id"),
        ]) }}
    from duplicates_flagged
)

select * from final
