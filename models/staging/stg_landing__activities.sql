with source as (
    select * from {{ source('landing', 'activities') }}
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
        {{ clean_code('activity_id') }} as activity_id,
        {{ clean_code('rep_id') }} as rep_id,
        {{ clean_code('account_id') }} as account_id,
        {{ clean_code('contact_id') }} as contact_id,
        -- what and when
        {{ to_date('activity_date') }} as activity_date,
        {{ clean_label('activity_type') }} as activity_type,
        {{ to_decimal('duration_minutes') }} as duration_minutes,
        {{ to_decimal('travel_minutes') }} as travel_minutes,
        {{ to_decimal('travel_cost') }} as travel_cost,
        {{ to_boolean('is_billable') }} as is_billable,
        -- parse failures
        {{ is_unparsed('activity_date', to_date('activity_date')) }} as is_bad_date,
        {{ is_unparsed('duration_minutes', to_decimal('duration_minutes')) }}
        or {{ is_unparsed('travel_minutes', to_decimal('travel_minutes')) }}
        or {{ is_unparsed('travel_cost', to_decimal('travel_cost')) }} as is_bad_number,
        {{ is_unparsed('is_billable', to_boolean('is_billable')) }} as is_bad_billable
    from source
),

checked as (
    select
        *,
        {%- set rules = [
            ("is_duplicate_file", "duplicate_file", "file content already delivered"),
            ("load_error is not null", "malformed_record", "record could not be split into fields"),
            ("activity_id is null", "missing_required_value", "activity_id"),
            ("is_bad_date", "invalid_date", "activity_date"),
            ("activity_date is null", "missing_required_value", "activity_date"),
            ("activity_type is null", "missing_required_value", "activity_type"),
            ("activity_type not in ('visit', 'call', 'email', 'meeting', 'technical_support', 'consulting', 'demo')", "invalid_value", "activity_type"),
            ("is_bad_number", "invalid_number", "duration_minutes, travel_minutes or travel_cost"),
            ("is_bad_billable", "invalid_boolean", "is_billable"),
            ("duration_minutes < 0 or travel_minutes < 0 or travel_cost < 0", "negative_amount", "duration_minutes, travel_minutes or travel_cost"),
            ("activity_date < date '" ~ validated_date_var('min_valid_date') ~ "'", "date_out_of_range", "activity_date"),
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
        activity_id,
        activity_date,
        rep_id,
        account_id,
        contact_id,
        activity_type,
        duration_minutes,
        travel_minutes,
        travel_cost,
        coalesce(is_billable, false) as is_billable,
        dq_reason,
        dq_detail
    from checked
)

select * from final
