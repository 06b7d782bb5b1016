{#-
    Materialization `reusable_table`: a table that is rebuilt only when what it is computed from
    changed. A daily delivery of sales lines leaves the activity, contact, opportunity and
    assessment files as they were, yet a plain table rebuilds their whole staging and checking
    chain every time (about 40 s of node time, a sixth of the models' time, in a daily build at
    the medium scale before this materialization).

    It keeps, in incremental_state.<model>__reuse, a fingerprint of its last build: the md5 of
    the compiled SQL (so code, macros and vars), and for every input it reads through ref() or
    source() the row count, a sum of 64-bit row hashes and the column names and types; plus the
    same digest of the table it wrote. The table is kept as it is when the SQL, every input and
    the table itself match that record; otherwise (or with --full-refresh, or without a record)
    it is built as dbt-duckdb builds a table, and the record rewritten. The log says which was
    done and why. Keeping the table is therefore exact as long as the model reads nothing but
    its ref() and source() inputs and is deterministic; a model that reads a table by name (an
    incremental_state table, landing.load_state) must stay a plain table. A different row set
    could only go unnoticed if its digest collided with the old one (a 2^-64 chance per input).

    Contracts are refused: a changed contract with unchanged SQL would not be re-checked.
-#}
{% materialization reusable_table, adapter='duckdb' %}
    {%- if (model.config.get('contract') or {}).get('enforced', false) -%}
        {{ exceptions.raise_compiler_error(
            "model " ~ model.name ~ ": the reusable_table materialization does not enforce contracts; use table") }}
    {%- endif -%}
    {%- set state_table = 'incremental_state."' ~ model.name ~ '__reuse"' -%}
    {%- set existing = load_cached_relation(this) -%}
    {%- set now = reusable_table_digests(model, sql) -%}

    {%- set reason = none -%}
    {%- if should_full_refresh() -%}
        {%- set reason = 'full refresh' -%}
    {%- elif invocation_args_dict.get('empty') -%}
        {%- set reason = 'an --empty build' -%}
    {%- elif existing is none or not existing.is_table -%}
        {%- set reason = 'no table yet' -%}
    {%- elif now is none -%}
        {%- set reason = 'an input has no table to fingerprint' -%}
    {%- else -%}
        {%- set before = reusable_table_record(state_table) -%}
        {%- if before is none -%}
            {%- set reason = 'no record of its last build' -%}
        {%- elif before.get('sql') != now['sql'] -%}
            {%- set reason = 'its SQL changed (code, macros or vars)' -%}
        {%- else -%}
            {%- set changed = [] -%}
            {%- for part in (before.keys() | list) + (now.keys() | list) -%}
                {%- if part not in ('sql', 'output') and before.get(part) != now.get(part)
                    and part.split(':', 1)[1] not in changed -%}
                    {%- do changed.append(part.split(':', 1)[1]) -%}
                {%- endif -%}
            {%- endfor -%}
            {%- if changed -%}
                {%- set reason = 'input changed: ' ~ (changed | sort | join(', ')) -%}
            {%- elif before.get('output') != reusable_table_digest(this) -%}
                {%- set reason = 'the table changed since its last build' -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}

    {%- if reason is none -%}
        {{ log(model.name ~ ': kept, its SQL and inputs are unchanged since its last build', info=true) }}
        {{ run_hooks(pre_hooks) }}
        {%- call statement('main') -%}
            select count(*) as row_count from {{ this }}
        {%- endcall -%}
        {% do persist_docs(existing, model) %}
        {{ run_hooks(post_hooks) }}
        {% do adapter.commit() %}
        {{ return({'relations': [existing]}) }}
    {%- endif -%}

    {{ log(model.name ~ ': rebuilt, ' ~ reason, info=true) }}
    {#- forget the record first: a build that fails half-way leaves no record to trust -#}
    {%- call statement('reuse_forget', auto_begin=true) -%}
        drop table if exists {{ state_table }}
    {%- endcall -%}
    {% do adapter.commit() %}
    {%- set result = materialization_table_duckdb() -%}
    {#- an --empty build writes no rows from real inputs: no record, or the next build would keep it -#}
    {%- if now is not none and not invocation_args_dict.get('empty') -%}
        {%- do now.update({'output': reusable_table_digest(this)}) -%}
        {%- call statement('reuse_record', auto_begin=true) -%}
            create table {{ state_table }} as
            select * from (values
                {%- for part, value in now.items() %}
                ('{{ part | replace("'", "''") }}', '{{ value | replace("'", "''") }}'){{ ',' if not loop.last }}
                {%- endfor %}
            ) as record(part, digest)
        {%- endcall -%}
        {% do adapter.commit() %}
    {%- endif -%}
    {{ return(result) }}
{% endmaterialization %}

{#- Row count, sum of row hashes and column names and types of a relation, as one string. -#}
{% macro reusable_table_digest(relation) -%}
    {%- set query -%}
        select
            count(*) || ':' || coalesce(sum(hash(*columns(*))::hugeint), 0) || ':' || (
                {{ reusable_table_columns_sql(relation) }}
            )
        from {{ relation }}
    {%- endset -%}
    {{- return(run_query(query).columns[0].values()[0]) -}}
{%- endmacro %}

{#- A query for the md5 of a relation's column names and types, in order. -#}
{% macro reusable_table_columns_sql(relation) -%}
    select md5(string_agg(column_name || ' ' || data_type, ',' order by column_index))
    from duckdb_columns()
    where
        database_name = '{{ relation.database }}'
        and schema_name = '{{ relation.schema }}'
        and table_name = '{{ relation.identifier }}'
{%- endmacro %}

{#- The relation of a ref() or source() input by its unique id; none when it has none (ephemeral). -#}
{% macro reusable_table_input(unique_id) -%}
    {%- set node = graph.nodes.get(unique_id) or graph.sources.get(unique_id) -%}
    {%- if node is none or not node.relation_name -%}
        {{- return(none) -}}
    {%- endif -%}
    {{- return(api.Relation.create(
        database=node.database, schema=node.schema,
        identifier=node.identifier if node.resource_type == 'source' else node.alias)) -}}
{%- endmacro %}

{#-
    The fingerprint of a build now: {'sql': md5 of the compiled SQL, 'input:<unique id>':
    digest of each ref() or source() input}; none when an input has no relation (ephemeral).
-#}
{% macro reusable_table_digests(model, compiled_sql) -%}
    {%- set digests = {'sql': local_md5(compiled_sql)} -%}
    {%- for unique_id in model.depends_on.nodes -%}
        {%- set relation = reusable_table_input(unique_id) -%}
        {%- if relation is none -%}
            {{- return(none) -}}
        {%- endif -%}
        {%- do digests.update({'input:' ~ unique_id: reusable_table_digest(relation)}) -%}
    {%- endfor -%}
    {{- return(digests) -}}
{%- endmacro %}

{#- The record of the last build ({part: digest}), or none when there is none. -#}
{% macro reusable_table_record(state_table) -%}
    {%- set exists = run_query(
        "select count(*) from duckdb_tables() where schema_name = 'incremental_state' and table_name = '"
        ~ state_table.split('"')[1] ~ "'").columns[0].values()[0] -%}
    {%- if exists == 0 -%}
        {{- return(none) -}}
    {%- endif -%}
    {%- set record = {} -%}
    {%- for row in run_query('select part, digest from ' ~ state_table) -%}
        {%- do record.update({row[0]: row[1]}) -%}
    {%- endfor -%}
    {{- return(record) -}}
{%- endmacro %}
