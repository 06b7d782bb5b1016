with source as (
    select * from {{ source('landing', 'accounts') }}
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
        {{ clean_code('account_id') }} as account_id,
        {{ clean_code('parent_account_id') }} as parent_account_id,
        {{ clean_code('owner_rep_id') }} as owner_rep_id,
        -- descriptive
        {{ clean_text('account_name') }} as account_name,
        {{ clean_text('sector') }} as sector,
        {{ clean_text('country') }} as country,
        {{ clean_text('region') }} as region,
        {{ clean_label('size_band') }} as size_band,
        {{ clean_label('market_position') }} as market_position,
        {{ clean_code('credit_rating') }} as credit_rating,
        {{ clean_label('status') }} as status,
        -- numbers
        {{ to_decimal('annual_potential') }} as annual_potential,
        {{ to_decimal('potential_growth_rate') }} as potential_growth_rate,
        -- flags
        {{ to_boolean('is_strategic') }} as is_strategic,
        {{ to_boolean('is_renowned') }} as is_renowned,
        {{ to_boolean('has_strict_quality_requirements') }} as has_strict_quality_requirements,
        -- dates
        {{ to_date('created_date') }} as created_date,
        -- parse failures
        {{ is_unparsed('annual_potential', to_decimal('annual_potential')) }} as is_bad_potential,
        {{ is_unparsed('potential_growth_rate', to_decimal('potential_growth_rate')) }} as is_bad_growth,
        {{ is_unparsed('is_strategic', to_boolean('is_strategic')) }}
        or {{ is_unparsed('is_renowned', to_boolean('is_renowned')) }}
        or {{ is_unparsed('has_strict_quality_requirements', to_boolean('has_strict_quality_requirements')) }}
            as is_bad_flag,
        {{ is_unparsed('created_date', to_date('created_date')) }} as is_bad_created_date
    from source
),

checked as (
    select
        *,
        {#- no min_valid_date rule on created_date: it guards event dates against typos, and an
            account opened before it (a customer since 1998) is a long-standing account -#}
        {%- set rules = [
            ("is_duplicate_file", "duplicate_file", "file content already delivered"),
            ("load_error is not null", "malformed_record", "record could not be split into fields"),
            ("account_id is null", "missing_required_value", "account_id"),
            ("is_bad_potential", "invalid_number", "annual_potential"),
            ("is_bad_growth", "invalid_number", "potential_growth_rate"),
            ("is_bad_flag", "invalid_boolean", "is_strategic, is_renowned or has_strict_quality_requirements"),
            ("is_bad_created_date", "invalid_date", "created_date"),
            ("size_band not in ('small', 'medium', 'large', 'enterprise')", "invalid_value", "size_band"),
            ("market_position not in ('leader', 'challenger', 'follower', 'niche')", "invalid_value", "market_position"),
            ("credit_rating not in ('AAA', 'AA', 'A', 'BBB', 'BB', 'B', 'CCC', 'D')", "invalid_value", "credit_rating"),
            ("status not in ('prospect', 'client', 'former')", "invalid_value", "status"),
            ("annual_potential < 0", "negative_amount", "annual_potential"),
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
        account_id,
        account_name,
        parent_account_id,
        sector,
        country,
        region,
        size_band,
        annual_potential,
        potential_growth_rate,
        market_position,
        credit_rating,
        is_strategic,
        is_renowned,
        has_strict_quality_requirements,
        owner_rep_id,
        created_date,
        status,
        dq_reason,
        dq_detail
    from checked
)

select * from final
