with source as (
    select * from {{ source('landing', 'products') }}
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
        {{ clean_code('product_id') }} as product_id,
        {{ clean_text('product_name') }} as product_name,
        {{ clean_text('product_family') }} as product_family,
        -- numbers
        {{ to_decimal('unit_cost') }} as unit_cost,
        {{ to_decimal('list_price') }} as list_price,
        {{ to_boolean('is_service') }} as is_service,
        -- parse failures
        {{ is_unparsed('unit_cost', to_decimal('unit_cost')) }} as is_bad_unit_cost,
        {{ is_unparsed('list_price', to_decimal('list_price')) }} as is_bad_list_price,
        {{ is_unparsed('is_service', to_boolean('is_service')) }} as is_bad_is_service
    from source
),

checked as (
    select
        *,
        {%- set rules = [
            ("is_duplicate_file", "duplicate_file", "file content already delivered"),
            ("load_error is not null", "malformed_record", "record could not be split into fields"),
            ("product_id is null", "missing_required_value", "product_id"),
            ("is_bad_unit_cost", "invalid_number", "unit_cost"),
            ("is_bad_list_price", "invalid_number", "list_price"),
            ("is_bad_is_service", "invalid_boolean", "is_service"),
            ("unit_cost < 0", "negative_amount", "unit_cost"),
            ("list_price < 0", "negative_amount", "list_price"),
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
        product_id,
        product_name,
        product_family,
        unit_cost,
        list_price,
        coalesce(is_service, false) as is_service,
        dq_reason,
        dq_detail
    from checked
)

select * from final
