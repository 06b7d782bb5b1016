{#-
    Cross-row checks shared by every intermediate `__checked` model: a select over `relation`
    (a CTE name) returning its rows with two flags, over the rows that passed the staging rules
    (`dq_reason is null`):
    - is_exact_duplicate: an earlier row (by file, then row) has exactly the same values;
    - has_conflicting_key: the key arrives with different values in several rows.
    The key columns must be among the value columns: then identical rows share a key, and one
    window over the key, ordered by fingerprint, answers both questions (the earlier row with
    the same fingerprint is the one just before; lowest != highest fingerprint is a conflict).
    One sort instead of three, and the fingerprint hashed once instead of three times (decision
    log 26 and benchmarks/README.md for the measured gain).
-#}
{% macro duplicate_checks(relation, key_columns, value_columns) -%}
    {%- for key in key_columns if key not in value_columns -%}
        {{ exceptions.raise_compiler_error("duplicate_checks: key column " ~ key ~ " must be one of the value columns") }}
    {%- endfor %}
    select
        * exclude (row_fingerprint, previous_fingerprint, lowest_fingerprint, highest_fingerprint),
        dq_reason is null
        and coalesce(previous_fingerprint = row_fingerprint, false) as is_exact_duplicate,
        dq_reason is null and lowest_fingerprint != highest_fingerprint as has_conflicting_key
    from (
        select
            *,
            lag(row_fingerprint) over same_key as previous_fingerprint,
            first_value(row_fingerprint) over (
                same_key rows between unbounded preceding and unbounded following
            ) as lowest_fingerprint,
            last_value(row_fingerprint) over (
                same_key rows between unbounded preceding and unbounded following
            ) as highest_fingerprint
        from (
            select
                *,
                {{ row_fingerprint(value_columns) }} as row_fingerprint
            from {{ relation }}
        ) as fingerprinted
        window same_key as (
            partition by dq_reason is null, {{ key_columns | join(', ') }}
            order by row_fingerprint, source_file, source_row
        )
    ) as compared
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
    {{ duplicate_checks('staged', [key_column], value_columns) }}
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
