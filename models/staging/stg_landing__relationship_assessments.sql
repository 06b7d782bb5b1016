with source as (
    select * from {{ source('landing', 'relationship_assessments') }}
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
        {{ clean_code('assessment_id') }} as assessment_id,
        {{ clean_code('account_id') }} as account_id,
        {{ clean_code('assessor_rep_id') }} as assessor_rep_id,
        {{ clean_label('criterion_code') }} as criterion_code,
        -- values
        {{ to_date('assessment_date') }} as assessment_date,
        {{ to_decimal('score') }} as score,
        -- parse failures
        {{ is_unparsed('assessment_date', to_date('assessment_date')) }} as is_bad_date,
        {{ is_unparsed('score', to_decimal('score')) }} as is_bad_score
    from source
),

checked as (
    select
        *,
        {%- set rules = [
            ("is_duplicate_file", "duplicate_file", "file content already delivered"),
            ("load_error is not null", "malformed_record", "record could not be split into fields"),
            ("assessment_id is null", "missing_required_value", "assessment_id"),
            ("account_id is null", "missing_required_value", "account_id"),
            ("criterion_code is null", "missing_required_value", "criterion_code"),
            ("is_bad_date", "invalid_date", "assessment_date"),
            ("assessment_date is null", "missing_required_value", "assessment_date"),
            ("is_bad_score", "invalid_number", "score"),
            ("score is null", "missing_required_value", "score"),
            ("score not between 1 and 5", "invalid_value", "score"),
            ("assessment_date < date '" ~ validated_date_var('min_valid_date') ~ "'", "date_out_of_range", "assessment_date"),
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
        assessment_id,
        account_id,
        assessment_date,
        assessor_rep_id,
        criterion_code,
        score,
        dq_reason,
        dq_detail
    from checked
)

select * from final
