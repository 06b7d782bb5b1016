with source as (
    select * from {{ source('landing', 'opportunities') }}
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
        {{ clean_code('opportunity_id') }} as opportunity_id,
        {{ clean_code('account_id') }} as account_id,
        {{ clean_code('rep_id') }} as rep_id,
        -- dates
        {{ to_date('created_date') }} as created_date,
        {{ to_date('closed_date') }} as closed_date,
        -- state and money
        {{ clean_text('stage') }} as stage,
        {{ clean_label('status') }} as status,
        {{ to_decimal('amount') }} as amount,
        {{ to_decimal('discount_amount') }} as discount_amount,
        {{ clean_text('competitor') }} as competitor,
        {{ clean_text('loss_reason') }} as loss_reason,
        -- parse failures
        {{ is_unparsed('created_date', to_date('created_date')) }}
        or {{ is_unparsed('closed_date', to_date('closed_date')) }} as is_bad_date,
        {{ is_unparsed('amount', to_decimal('amount')) }}
        or {{ is_unparsed('discount_amount', to_decimal('discount_amount')) }} as is_bad_number
    from source
),

checked as (
    select
        *,
        {%- set rules = [
            ("is_duplicate_file", "duplicate_file", "file content already delivered"),
            ("load_error is not null", "malformed_record", "record could not be split into fields"),
            ("opportunity_id is null", "missing_required_value", "opportunity_id"),
            ("account_id is null", "missing_required_value", "account_id"),
            ("is_bad_date", "invalid_date", "created_date or closed_date"),
            ("created_date is null", "missing_required_value", "created_date"),
            ("status is null", "missing_required_value", "status"),
            ("status not in ('open', 'won', 'lost')", "invalid_value", "status"),
            ("is_bad_number", "invalid_number", "amount or discount_amount"),
            ("amount < 0 or discount_amount < 0", "negative_amount", "amount or discount_amount"),
            ("closed_date < created_date", "invalid_date", "closed_date before created_date"),
            ("created_date < date '" ~ validated_date_var('min_valid_date') ~ "'", "date_out_of_range", "created_date"),
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
        opportunity_id,
        account_id,
        rep_id,
        created_date,
        closed_date,
        stage,
        status,
        amount,
        coalesce(discount_amount, 0) as discount_amount,
        competitor,
        loss_reason,
        dq_reason,
        dq_detail
    from checked
)

select * from final
