with source as (
    select * from {{ source('landing', 'plan_actions') }}
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
        -- ids
        {{ clean_code('action_id') }} as action_id,
        {{ clean_code('plan_id') }} as plan_id,
        {{ clean_code('owner_rep_id') }} as owner_rep_id,
        -- dates
        {{ to_date('due_date') }} as due_date,
        {{ to_date('completed_date') }} as completed_date,
        -- parse failures
        {{ is_unparsed('due_date', to_date('due_date')) }}
        or {{ is_unparsed('completed_date', to_date('completed_date')) }} as is_bad_date
    from source
),

checked as (
    select
        *,
        {%- set rules = [
            ("is_duplicate_file", "duplicate_file", "file content already delivered"),
            ("load_error is not null", "malformed_record", "record could not be split into fields"),
            ("action_id is null", "missing_required_value", "action_id"),
            ("plan_id is null", "missing_required_value", "plan_id"),
            ("is_bad_date", "invalid_date", "due_date or completed_date"),
            ("due_date is null", "missing_required_value", "due_date"),
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
        action_id,
        plan_id,
        owner_rep_id,
        due_date,
        completed_date,
        dq_reason,
        dq_detail
    from checked
)

select * from final
