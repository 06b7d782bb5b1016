with source as (
    select * from {{ source('landing', 'reps') }}
),

typed as (
    select
        -- lineage
        _source_file as source_file,
        _source_row as source_row,
        _source_line as source_line,
        _is_duplicate_file as is_duplicate_file,
        _load_error as load_error,
        _raw_record as raw_record,
        -- ids and descriptive
        {{ clean_code('rep_id') }} as rep_id,
        {{ clean_text('rep_name') }} as rep_name,
        {{ clean_label('role') }} as role,
        {{ clean_code('manager_id') }} as manager_id,
        {{ clean_text('region') }} as region,
        -- capacity and cost
        {{ to_decimal('loaded_annual_cost') }} as loaded_annual_cost,
        {{ to_integer('working_days_per_year') }} as working_days_per_year,
        {{ to_decimal('working_hours_per_day') }} as working_hours_per_day,
        {{ to_decimal('visits_per_day') }} as visits_per_day,
        -- parse failures
        {{ is_unparsed('loaded_annual_cost', to_decimal('loaded_annual_cost')) }} as is_bad_cost,
        {{ is_unparsed('working_days_per_year', to_integer('working_days_per_year')) }} as is_bad_days,
        {{ is_unparsed('working_hours_per_day', to_decimal('working_hours_per_day')) }} as is_bad_hours,
        {{ is_unparsed('visits_per_day', to_decimal('visits_per_day')) }} as is_bad_visits
    from source
),

checked as (
    select
        *,
        {%- set rules = [
            ("is_duplicate_file", "duplicate_file", "file content already delivered"),
            ("load_error is not null", "malformed_record", "record could not be split into fields"),
            ("rep_id is null", "missing_required_value", "rep_id"),
            ("is_bad_cost", "invalid_number", "loaded_annual_cost"),
            ("is_bad_days", "invalid_number", "working_days_per_year"),
            ("is_bad_hours", "invalid_number", "working_hours_per_day"),
            ("is_bad_visits", "invalid_number", "visits_per_day"),
            ("role not in ('rep', 'kam', 'manager')", "invalid_value", "role"),
            ("loaded_annual_cost < 0", "negative_amount", "loaded_annual_cost"),
            ("working_days_per_year < 0 or working_days_per_year > 366", "invalid_value", "working_days_per_year"),
            ("working_hours_per_day < 0 or working_hours_per_day > 24", "invalid_value", "working_hours_per_day"),
            ("visits_per_day < 0", "negative_amount", "visits_per_day"),
        ] %}
        {{ first_failure(rules) }} as dq_reason,
        {{ first_failure(rules, 'detail') }} as dq_detail
    from typed
),

final as (
    select
        source_file,
        source_row,
        source_line,
        raw_record,
        rep_id,
        rep_name,
        coalesce(role, 'rep') as role,
        manager_id,
        region,
        loaded_annual_cost,
        working_days_per_year,
        working_hours_per_day,
        visits_per_day,
        dq_reason,
        dq_detail
    from checked
)

select * from final
