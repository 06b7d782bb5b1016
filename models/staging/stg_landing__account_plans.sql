with source as (
    select * from {{ source('landing', 'account_plans') }}
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
        {{ clean_code('plan_id') }} as plan_id,
        {{ clean_code('account_id') }} as account_id,
        {{ clean_code('owner_rep_id') }} as owner_rep_id,
        -- dates
        {{ to_date('plan_start_date') }} as plan_start_date,
        {{ to_date('plan_end_date') }} as plan_end_date,
        {{ to_date('swot_updated_date') }} as swot_updated_date,
        -- flags
        {{ to_boolean('is_co_built_with_client') }} as is_co_built_with_client,
        {{ to_boolean('has_objectives') }} as has_objectives,
        -- parse failures
        {{ is_unparsed('plan_start_date', to_date('plan_start_date')) }}
        or {{ is_unparsed('plan_end_date', to_date('plan_end_date')) }}
        or {{ is_unparsed('swot_updated_date', to_date('swot_updated_date')) }} as is_bad_date,
        {{ is_unparsed('is_co_built_with_client', to_boolean('is_co_built_with_client')) }}
        or {{ is_unparsed('has_objectives', to_boolean('has_objectives')) }} as is_bad_flag
    from source
),

checked as (
    select
        *,
        {%- set rules = [
            ("is_duplicate_file", "duplicate_file", "file content already delivered"),
            ("load_error is not null", "malformed_record", "record could not be split into fields"),
            ("plan_id is null", "missing_required_value", "plan_id"),
            ("account_id is null", "missing_required_value", "account_id"),
            ("is_bad_date", "invalid_date", "plan_start_date, plan_end_date or swot_updated_date"),
            ("plan_start_date is null", "missing_required_value", "plan_start_date"),
            ("is_bad_flag", "invalid_boolean", "is_co_built_with_client or has_objectives"),
            ("plan_end_date < plan_start_date", "invalid_date", "plan_end_date before plan_start_date"),
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
        plan_id,
        account_id,
        owner_rep_id,
        plan_start_date,
        plan_end_date,
        swot_updated_date,
        is_co_built_with_client,
        has_objectives,
        dq_reason,
        dq_detail
    from checked
)

select * from final
