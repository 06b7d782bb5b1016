{#-
    Text cleaning and safe casting used by every staging model.
    Landing columns arrive as text; these macros never fail on bad input: they return null,
    and `is_unparsed` tells a missing value from one that could not be read, so the row can be
    quarantined with a reason instead of silently losing the value.
-#}

{#- Collapse whitespace (tabs, line breaks) to one space, then trim; Unicode NFC (keeps accents, merges decomposed ones); '' is null. -#}
{% macro clean_text(column) -%}
    nullif(trim(regexp_replace(nfc_normalize({{ column }}), '\s+', ' ', 'g')), '')
{%- endmacro %}

{#- Codes and identifiers: cleaned text in upper case, so 'abc ' and 'ABC' are one key. -#}
{% macro clean_code(column) -%}
    upper({{ clean_text(column) }})
{%- endmacro %}

{#- Labels from a closed list: cleaned text in lower case with spaces as underscores. -#}
{% macro clean_label(column) -%}
    replace(lower({{ clean_text(column) }}), ' ', '_')
{%- endmacro %}

{#- A plain number (12, -0.5, .5, 1e3), spaces around it allowed; DuckDB's own cast also reads
    1_000 and hexadecimal 0x10, which no export means, so those are unparsed (quarantined).
    One regular expression extracts the number, so the text is not cleaned twice. Held to 4
    decimals, rounded half away from zero (see rounds_to_zero for where that matters). -#}
{% macro to_decimal(column) -%}
    try_cast({{ number_text(column) }} as decimal(18, 4))
{%- endmacro %}

{#- The number in the text of `column` (see to_decimal), or null. -#}
{% macro number_text(column) -%}
    nullif(regexp_extract({{ column }}, '^\s*([+-]?(?:[0-9]+(?:[.][0-9]*)?|[.][0-9]+)(?:[eE][+-]?[0-9]+)?)\s*$', 1), '')
{%- endmacro %}

{#- True when the text of `column` is a number that is not zero but reads as 0 at 4 decimals
    (0.00004, 4e-5). Checked only where a 0 changes what a row means: a sales line's unit price
    (0 makes it goods given free) and quantity. Elsewhere rounding is harmless, and a value
    such as a discount of 5.55e-17, an export's floating-point noise, means 0. -#}
{% macro rounds_to_zero(column) -%}
    coalesce({{ to_decimal(column) }} = 0 and regexp_matches({{ number_text(column) }}, '^[^eE]*[1-9]'), false)
{%- endmacro %}

{#- A whole number (3, or 3.0 from a typed Parquet column); DuckDB's cast would round 2.5 to 3. -#}
{% macro to_integer(column) -%}
    try_cast(nullif(regexp_extract({{ column }}, '^\s*([+-]?[0-9]+)(?:[.]0*)?\s*$', 1), '') as integer)
{%- endmacro %}

{#- ISO dates, with or without a time part; anything else (31/12/2024, 2024-02-30) is null. -#}
{% macro to_date(column) -%}
    coalesce(
        try_cast({{ clean_text(column) }} as date),
        try_cast(try_cast({{ clean_text(column) }} as timestamp) as date)
    )
{%- endmacro %}

{% macro to_boolean(column) -%}
    case
        when lower({{ clean_text(column) }}) in ('true', 't', 'yes', 'y', '1') then true
        when lower({{ clean_text(column) }}) in ('false', 'f', 'no', 'n', '0') then false
    end
{%- endmacro %}

{#- True when the raw text holds something but the typed value came out null. -#}
{% macro is_unparsed(raw_column, typed_expression) -%}
    ({{ clean_text(raw_column) }} is not null and ({{ typed_expression }}) is null)
{%- endmacro %}

{#-
    First failing rule from a list of (condition, reason_code, detail) triples in priority
    order; null when every rule passes. `part='reason'` returns the reason code (documented in
    seed dq_reason_codes, which also says whether it quarantines or excludes the row),
    `part='detail'` the detail (which column or value broke the rule).
-#}
{% macro first_failure(rules, part='reason') -%}
    case
    {%- for condition, reason, detail in rules %}
        when {{ condition }} then '{{ reason if part == 'reason' else detail }}'
    {%- endfor %}
    end
{%- endmacro %}

{#- Deterministic fingerprint of a list of columns, nulls included (for exact duplicates): the
    128-bit md5 as a number, which sorts and compares faster than its 32-character text. -#}
{% macro row_fingerprint(columns) -%}
    md5_number(concat_ws('\x1f'
    {%- for c in columns %}, coalesce(cast({{ c }} as varchar), '\x00'){% endfor %}))
{%- endmacro %}

{#-
    An amount in the reporting currency: computed in DECIMAL(38) (so products of quantities,
    prices and rates cannot overflow) and stored as DECIMAL(18, 4) like every money column.
-#}
{% macro money(expression) -%}
    cast(round({{ expression }}, 4) as decimal(18, 4))
{%- endmacro %}

{#-
    The largest amount one sales line may carry (1e12 in the reporting currency): money() holds
    up to 1e14, so sums of a hundred such lines still fit. A line beyond it is a typo, not an
    order: quarantined (amount_out_of_range), or its cost from a unit cost not used.
-#}
{% macro max_line_amount() -%}
    1e12
{%- endmacro %}
