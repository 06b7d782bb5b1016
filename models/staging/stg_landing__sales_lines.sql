{#- One row per landing row: typed, cleaned and flagged with the first row-level rule it breaks. -#}
with source as (
    select * from {{ source('landing', 'sales_lines') }}
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
        {{ clean_code('invoice_id') }} as invoice_id,
        {{ to_integer('line_number') }} as line_number,
        {{ clean_code('account_id') }} as account_id,
        {{ clean_code('product_id') }} as product_id,
        {{ clean_code('rep_id') }} as rep_id,
        -- dates
        {{ to_date('invoice_date') }} as invoice_date,
        -- numbers
        {{ to_decimal('quantity') }} as quantity,
        {{ to_decimal('unit_price') }} as unit_price,
        coalesce({{ to_decimal('discount_amount') }}, 0) as discount_amount,
        -- labels
        coalesce({{ clean_code('currency') }}, '{{ var("reporting_currency") }}') as currency,
        coalesce({{ clean_label('document_type') }}, 'invoice') as document_type,
        -- descriptive attributes carried by the document
        {{ clean_text('account_name') }} as account_name,
        {{ clean_text('country') }} as country,
        {{ clean_text('product_name') }} as product_name,
        {{ clean_text('product_family') }} as product_family,
        -- parse failures, checked below
        {{ is_unparsed('line_number', to_integer('line_number')) }} as is_bad_line_number,
        {{ is_unparsed('invoice_date', to_date('invoice_date')) }} as is_bad_invoice_date,
        {{ is_unparsed('quantity', to_decimal('quantity')) }} as is_bad_quantity,
        {{ is_unparsed('unit_price', to_decimal('unit_price')) }} as is_bad_unit_price,
        {{ is_unparsed('discount_amount', to_decimal('discount_amount')) }} as is_bad_discount
    from source
),

checked as (
    select
        *,
        {%- set rules = [
            ("load_error is not null", "malformed_record", "record could not be split into fields"),
            ("is_duplicate_file", "duplicate_file", "file content already delivered"),
            ("document_type = 'adjustment'", "accounting_adjustment", "document_type"),
            ("invoice_id is null", "missing_required_value", "invoice_id"),
            ("account_id is null", "missing_required_value", "account_id"),
            ("product_id is null", "missing_required_value", "product_id"),
            ("is_bad_invoice_date", "invalid_date", "invoice_date"),
            ("invoice_date is null", "missing_required_value", "invoice_date"),
            ("is_bad_quantity", "invalid_number", "quantity"),
            ("quantity is null", "missing_required_value", "quantity"),
            ("is_bad_unit_price", "invalid_number", "unit_price"),
            ("unit_price is null", "missing_required_value", "unit_price"),
            ("is_bad_discount", "invalid_number", "discount_amount"),
            ("is_bad_line_number", "invalid_number", "line_number"),
            ("document_type not in ('invoice', 'credit_note', 'adjustment')", "invalid_value", "document_type"),
            ("unit_price < 0", "negative_amount", "unit_price"),
            ("discount_amount < 0", "negative_amount", "discount_amount"),
            ("discount_amount > abs(quantity * unit_price)", "discount_exceeds_line", "discount_amount"),
            ("quantity < 0 and document_type = 'invoice'", "negative_quantity_on_invoice", "quantity"),
            ("invoice_date < date '" ~ var('min_valid_date') ~ "'", "date_out_of_range", "invoice_date"),
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
        invoice_id,
        line_number,
        account_id,
        product_id,
        rep_id,
        invoice_date,
        -- credit notes carry negative quantities whatever sign the export used
        case when document_type = 'credit_note' then -abs(quantity) else quantity end as quantity,
        unit_price,
        discount_amount,
        currency,
        document_type,
        account_name,
        country,
        product_name,
        product_family,
        dq_reason,
        dq_detail
    from checked
)

select * from final
