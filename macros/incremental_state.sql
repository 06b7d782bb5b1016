{#-
    Pieces of the by-invoice delta mechanism shared by the incremental sales-line chain
    (int_sales_lines__checked, int_sales_lines, fct_sales_lines). Each model keeps, in schema
    incremental_state, `<state>__deps` (what its rules read besides the rows: reference lists,
    config) from the last build and `<state>__deps_now` for this one.
-#}

{#- The dependency rows that changed since the last build, in either direction (a CTE body). -#}
{% macro changed_dependencies(state) -%}
    (select * from incremental_state.{{ state }}__deps except select * from incremental_state.{{ state }}__deps_now)
    union
    (select * from incremental_state.{{ state }}__deps_now except select * from incremental_state.{{ state }}__deps)
{%- endmacro %}

{#-
    Hands the recomputed invoices to the next model: `<state>__delta` gets one (null, true) row
    after a full build, else the invoices of `<state>__affected`.
-#}
{% macro hand_over_invoice_delta(state, delta_table) -%}
    delete from incremental_state.{{ delta_table }}
    where (select r.is_full from incremental_state.{{ state }}__run as r);
    insert into incremental_state.{{ delta_table }}
    select null, true
    where (select r.is_full from incremental_state.{{ state }}__run as r)
    union all
    select invoice_id, false
    from incremental_state.{{ state }}__affected
    where not (select r.is_full from incremental_state.{{ state }}__run as r)
{%- endmacro %}

{#-
    Whether this build of the model is a full one (creates `<state>__run`): not a delta run, or
    the upstream model was rebuilt in full, or the config row of the dependencies (the model's
    code, vars) changed. `config_column` is the deps column holding the config fingerprint.
-#}
{% macro full_build_flag(state, upstream_delta, is_delta_run, config_column='value') -%}
    create or replace table incremental_state.{{ state }}__run as
    select
        {{ 'false' if is_delta_run else 'true' }}
        or exists (select 1 from incremental_state.{{ upstream_delta }} where is_full)
        or (select max({{ config_column }}) from incremental_state.{{ state }}__deps where kind = 'config')
        is distinct from (select max({{ config_column }}) from incremental_state.{{ state }}__deps_now where kind = 'config')
            as is_full
{%- endmacro %}

{#-
    Whether the table was built with the constraints its contract declares now (not null and
    primary keys, as DuckDB's catalog lists them). An incremental model only inserts into its
    table, so a table built before its contract changed keeps the old constraints, and a
    not-null rule that moved from a test to a constraint would be checked by nothing (decision
    log 36). Called from the model's pre-hook; `model` is the node being built.
-#}
{% macro table_constraints_match(relation) -%}
    {%- set kinds = {'not_null': 'NOT NULL', 'primary_key': 'PRIMARY KEY'} -%}
    {%- set declared = [] -%}
    {%- for name, col in model['columns'].items() -%}
        {%- for c in col['constraints'] or [] if c['type'] in kinds -%}
            {%- do declared.append(kinds[c['type']] ~ ':' ~ name | lower) -%}
            {#- DuckDB makes a primary-key column not null too -#}
            {%- if c['type'] == 'primary_key' %}{% do declared.append('NOT NULL:' ~ name | lower) %}{% endif -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set built = run_query(
        "select constraint_type || ':' || lower(unnest(constraint_column_names)) from duckdb_constraints()"
        ~ " where database_name = '" ~ relation.database ~ "' and schema_name = '" ~ relation.schema
        ~ "' and table_name = '" ~ relation.identifier ~ "' and constraint_type in ('NOT NULL', 'PRIMARY KEY')"
    ).columns[0].values() | list -%}
    {{ return((declared | unique | sort | list) == (built | unique | sort | list)) }}
{%- endmacro %}

{#-
    The fingerprint of the current model's code for the incremental models' "config" rows: its
    own text and the text of every project macro it calls, directly or through another macro
    (model.depends_on.macros, then each macro's own). A change to a cleaning or measures macro
    (to_decimal, rounds_to_zero, account_sales_measures) then rebuilds the model in full, as a
    change to the model's file does; the model's text alone missed those.
-#}
{% macro code_signature() -%}
    {{- local_md5(model.raw_code ~ project_macro_texts(model.depends_on.macros)) -}}
{%- endmacro %}

{#- The text of the given project macros and of every project macro they call, each once. -#}
{% macro project_macro_texts(macro_ids) -%}
    {%- set seen, texts = [], [] -%}
    {%- do collect_macro_texts(macro_ids, seen, texts) -%}
    {{- texts | join('\n') -}}
{%- endmacro %}

{% macro collect_macro_texts(macro_ids, seen, texts) -%}
    {%- for macro_id in macro_ids | sort if macro_id.startswith('macro.' ~ project_name ~ '.') and macro_id not in seen -%}
        {%- do seen.append(macro_id) -%}
        {%- set found = context.get(macro_id.split('.')[-1]) -%}
        {%- if found is not none and found.macro is defined -%}
            {%- do texts.append(found.macro.macro_sql) -%}
            {%- do collect_macro_texts(found.macro.depends_on.macros, seen, texts) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}
