{#-
    Cross-row checks shared by every intermediate `__checked` model, over the rows that passed
    the staging rules (`dq_reason is null`):
    - is_exact_duplicate: an earlier row (by file, then row) has exactly the same values;
    - has_conflicting_key: the key arrives with different values in several rows.
-#}
{% macro duplicate_checks(key_columns, value_columns) -%}
    row_number() over (
        partition by dq_reason is null, {{ row_fingerprint(value_columns) }}
        order by source_file, source_row
    ) > 1 and dq_reason is null as is_exact_duplicate,
    min({{ row_fingerprint(value_columns) }}) over (
        partition by dq_reason is null, {{ key_columns | join(', ') }}
    ) != max({{ row_fingerprint(value_columns) }}) over (
        partition by dq_reason is null, {{ key_columns | join(', ') }}
    ) and dq_reason is null as has_conflicting_key
{%- endmacro %}

{#-
    The final reason of a row: the staging reason if any, else the first cross-row rule that
    fires. `rules` are (condition, reason_code, detail SQL expression) triples in priority order.
-#}
{% macro final_dq_reason(rules) -%}
    case
        when dq_reason is not null then dq_reason
    {%- for condition, reason, detail in rules %}
        when {{ condition }} then '{{ reason }}'
    {%- endfor %}
    end as dq_reason,
    case
        when dq_reason is not null then dq_detail
    {%- for condition, reason, detail in rules %}
        when {{ condition }} then {{ detail }}
    {%- endfor %}
    end as dq_detail
{%- endmacro %}


{#-
    The CTEs that end an account-keyed `__checked` model (contacts, opportunities, account plans,
    activities): exact duplicates and conflicting keys on `key_column`, then orphans (an account_id
    that is not in int_accounts), then the final reason. Reads the CTEs `staged` and
    `known_accounts`, which the model declares itself so its imports stay visible.
-#}
{% macro account_keyed_checks(key_column, value_columns) -%}
duplicates_flagged as (
    select
        *,
        {{ duplicate_checks([key_column], value_columns) }}
    from staged
),

references_checked as (
    select
        duplicates_flagged.*,
        duplicates_flagged.account_id is not null and known_accounts.account_id is null as is_orphan
    from duplicates_flagged
    left join known_accounts
        on duplicates_flagged.account_id = known_accounts.account_id
),

final as (
    select
        * exclude (dq_reason, dq_detail, is_exact_duplicate, has_conflicting_key, is_orphan),
        {{ final_dq_reason([
            ("is_exact_duplicate", "exact_duplicate", "'" ~ key_column ~ " ' || " ~ key_column),
            ("has_conflicting_key", "conflicting_duplicate_key", "'" ~ key_column ~ " ' || " ~ key_column),
            ("is_orphan", "orphan_key", "'account_id ' || account_id"),
        ]) }}
    from references_checked
)
{%- endmacro %}
