{#-
    Materialization `snapshot_table`: a table with one set of rows per snapshot date whose
    earlier snapshots are kept, not recomputed, when what they were computed from is unchanged.

    Why: the snapshot dates before the current one are period ends that move only with the
    as-of date's month (int_snapshot_dates), so a daily delivery shares all but the current
    snapshot with the build before it; a plain table recomputes every snapshot every day.

    What it needs from the model:
      - a column `snapshot_date` in its output (config snapshot_column to name another);
      - config snapshot_dated_inputs: {input model name: its date column}, for every input
        whose rows a snapshot reads only up to its date (rows dated on or before the snapshot,
        or with no date); every other input counts in full for every snapshot;
      - the filter {{ snapshot_table_filter('<column>') }} where its snapshot dates enter the
        query, so that only the snapshots to rebuild are computed;
      - rows of a snapshot that depend on nothing but its own date, the dated inputs up to
        that date and the other inputs (no window across snapshots): what makes keeping them
        exact. The equality tests against a full rebuild hold it to that.

    For each snapshot date it records (incremental_state.<model>__snapshots) a digest of the
    inputs as that snapshot sees them (row count and sum of 64-bit row hashes of each dated
    input up to the date, of each other input in full, and the column names and types), and a
    digest of the rows it wrote; plus the md5 of its compiled SQL with the filter taken out
    (code, macros, vars). A snapshot is kept when its input digest, its rows' digest and the SQL
    are as recorded; the others (the current snapshot, a snapshot a late or corrected line
    reached, every snapshot after a change of code, vars or an undated input, a new month) are
    computed, their old rows deleted and the new ones inserted. --full-refresh, --empty, no
    table or no record: a whole rebuild. The log says which snapshots were kept and why the
    others were rebuilt.

    The plan (what to keep, and the digests it read) is made once: a SQL model's filter makes it
    when the SQL compiles and writes it into the SQL, in a comment between the markers, where the
    materialization reads it; a Python model's is made by the materialization. Recording then
    digests only the rebuilt snapshots' rows (decision log 35).
-#}
{% materialization snapshot_table, adapter='duckdb', supported_languages=['sql', 'python'] %}
    {%- if (model.config.get('contract') or {}).get('enforced', false) -%}
        {{ exceptions.raise_compiler_error(
            "model " ~ model.name ~ ": the snapshot_table materialization does not enforce contracts; use table") }}
    {%- endif -%}
    {%- set language = model['language'] -%}
    {%- set column = config.get('snapshot_column', 'snapshot_date') -%}
    {%- set state_table = 'incremental_state."' ~ model.name ~ '__snapshots"' -%}
    {%- set kept_table = 'incremental_state."' ~ model.name ~ '__kept"' -%}
    {%- set existing = load_cached_relation(this) -%}
    {%- set target = this.incorporate(type='table') -%}
    {%- if language == 'python' -%}
        {%- set full_code = compiled_code -%}
    {%- else -%}
        {%- set marker = modules.re.compile('/\\*snapshot_table:kept\\*/.*?/\\*snapshot_table:end\\*/', modules.re.S) -%}
        {%- set full_code = marker.sub('true', compiled_code) -%}
    {%- endif -%}
    {%- set code_digest = local_md5(full_code) -%}
    {#- a SQL model's filter made the plan when it compiled, just before this, and wrote it into
        the SQL: read it there rather than digest every input and row a second time -#}
    {%- set written = modules.re.search('/\\*snapshot_table:plan (.*?)\\*/', compiled_code) if language == 'sql' -%}
    {%- set plan = fromjson(written.group(1)) if written else none -%}
    {%- if plan is none -%}
        {%- set plan = snapshot_table_plan() -%}
    {%- else -%}
        {{ log(model.name ~ ': plan read from its compiled SQL') }}
    {%- endif -%}

    {%- set kept = plan['kept'] -%}
    {%- set reason = plan['reason'] -%}
    {%- if kept and plan['record'].get('sql') != code_digest -%}
        {%- set kept = [] -%}
        {%- set reason = 'its code changed (code, macros or vars)' -%}
    {%- endif -%}

    {{ run_hooks(pre_hooks) }}
    {#- forget the record first: a build that fails half-way leaves no record to trust; a
        Python model reads the dates it keeps from kept_table (kam.segmentation.kept_snapshot_dates) -#}
    {%- call statement('snapshot_table_forget', auto_begin=true) -%}
        drop table if exists {{ state_table }};
        create or replace table {{ kept_table }} as
        select cast(snapshot_date as date) as snapshot_date
        from (values (null){% for date in kept %}, ('{{ date }}'){% endfor %}) as kept(snapshot_date)
        where snapshot_date is not null
    {%- endcall -%}
    {% do adapter.commit() %}

    {%- if kept -%}
        {%- set rebuilt = plan['dates'] | reject('in', kept) | list -%}
        {{ log(model.name ~ ': kept snapshots ' ~ (kept | join(', ')) ~ '; rebuilt '
            ~ ((rebuilt | join(', ')) or 'none') ~ (', ' ~ reason if rebuilt else ''), info=true) }}
        {%- set staged = this.incorporate(path={'identifier': this.identifier ~ '__snapshot_build'}, type='table') -%}
        {%- call statement('snapshot_table_drop_staged', auto_begin=true) -%}
            drop table if exists {{ staged }}
        {%- endcall -%}
        {#- a Python model writes through its own cursor: it must see what was committed -#}
        {% do adapter.commit() %}
        {%- call statement('main', language=language, auto_begin=true) -%}
            {{- create_table_as(False, staged, compiled_code, language) }}
        {%- endcall -%}
        {#- the kept snapshots' digests are reused below: a row of theirs computed again would be lost -#}
        {%- set strays = run_query('select count(*) from ' ~ staged ~ ' where cast(' ~ column
            ~ ' as date) in (' ~ snapshot_table_date_list(kept) ~ ')').columns[0].values()[0] -%}
        {%- if strays > 0 -%}
            {{ exceptions.raise_compiler_error("model " ~ model.name ~ ": " ~ strays
                ~ " rows computed for snapshots the plan keeps; its snapshot_table_filter is not where its snapshot dates enter the query") }}
        {%- endif -%}
        {%- call statement('snapshot_table_merge', auto_begin=true) -%}
            delete from {{ this }}
            where {{ column }} is null or cast({{ column }} as date) not in ({{ snapshot_table_date_list(kept) }});
            insert into {{ this }} by name select * from {{ staged }};
            drop table {{ staged }}
        {%- endcall -%}
    {%- else -%}
        {{ log(model.name ~ ': rebuilt all snapshots, ' ~ reason, info=true) }}
        {%- if existing is not none -%}
            {{ drop_relation_if_exists(existing) }}
        {%- endif -%}
        {% do adapter.commit() %}
        {%- call statement('main', language=language, auto_begin=true) -%}
            {{- create_table_as(False, target, full_code, language) }}
        {%- endcall -%}
    {%- endif -%}
    {%- call statement('snapshot_table_kept_done', auto_begin=true) -%}
        drop table if exists {{ kept_table }}
    {%- endcall -%}
    {% do adapter.commit() %}

    {#- what the inputs were (a build changes none of them): read now when the plan did not -#}
    {%- set inputs = plan['inputs'] if plan['inputs'] is not none or invocation_args_dict.get('empty')
        else snapshot_table_input_digests(snapshot_table_dates()) -%}
    {#- an --empty build writes no rows from real inputs: no record, or the next build would keep them -#}
    {%- if inputs is not none and not invocation_args_dict.get('empty') -%}
        {#- the kept snapshots' rows were digested by the plan and not touched since -#}
        {%- set outputs = {} -%}
        {#- a kept snapshot without rows has no digest, as it had none in the record -#}
        {%- for date in kept if plan['outputs'].get(date) is not none -%}
            {%- do outputs.update({date: plan['outputs'][date]}) -%}
        {%- endfor -%}
        {%- do outputs.update(snapshot_table_output_digests(this, column, except_dates=kept)) -%}
        {%- call statement('snapshot_table_record', auto_begin=true) -%}
            create table {{ state_table }} as
            select * from (values
                ('sql', '{{ code_digest }}')
                {%- for date, digest in inputs.items() %},
                ('input:{{ date }}', '{{ digest }}')
                {%- endfor %}
                {%- for date, digest in outputs.items() %},
                ('output:{{ date }}', '{{ digest }}')
                {%- endfor %}
            ) as record(part, digest)
        {%- endcall -%}
        {% do adapter.commit() %}
    {%- endif -%}
    {% do persist_docs(target, model) %}
    {{ run_hooks(post_hooks) }}
    {% do adapter.commit() %}
    {{ return({'relations': [target]}) }}
{% endmaterialization %}

{#-
    Where the model's snapshot dates enter its query: a condition on `column` that leaves out
    the snapshots the plan keeps (`true` when it keeps none, outside a run, or in a full build).
    with_previous=true leaves in, besides, the snapshot before each one rebuilt, for a model
    that compares a snapshot with the one before it (it then filters its output without it).
    plan: a model that filters in two places makes the plan once (snapshot_table_plan()) and
    passes it to both, since each plan digests every input.
-#}
{% macro snapshot_table_filter(column, with_previous=false, plan=none) -%}
    {%- if execute and model.config.materialized == 'snapshot_table' -%}
        {%- set plan = plan if plan is not none else snapshot_table_plan() -%}
        {%- set kept = plan['kept'] -%}
    {%- else -%}
        {%- set plan = {'dates': []} -%}
        {%- set kept = [] -%}
    {%- endif -%}
    {%- if with_previous -%}
        {%- set previous = [] -%}
        {%- set dates = (plan['dates'] or []) | sort -%}
        {%- for date in dates -%}
            {%- if date not in kept and not loop.first -%}
                {%- do previous.append(dates[loop.index0 - 1]) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set kept = kept | reject('in', previous) | list -%}
    {%- endif -%}
    {{- snapshot_table_filter_text(column, kept, plan if plan.get('dates') else none) -}}
{%- endmacro %}

{% macro snapshot_table_filter_text(column, kept, plan=none) -%}
    /*snapshot_table:kept*/ {% if plan is not none -%}
        {#- a '/' escaped (still JSON) so that no string can end or open the comment -#}
        /*snapshot_table:plan {{ tojson(plan) | replace('/', '\\/') }}*/ {% endif -%}
    {%- if kept -%}
        cast({{ column }} as date) not in ({{ snapshot_table_date_list(kept) }})
    {%- else -%} true {%- endif %} /*snapshot_table:end*/
{%- endmacro %}

{% macro snapshot_table_date_list(dates) -%}
    {%- for date in dates -%}date '{{ date }}'{{ ', ' if not loop.last }}{%- endfor -%}
{%- endmacro %}

{#-
    The plan for the model being built: {'dates': the snapshot dates now, 'inputs': {date:
    digest of the inputs as that snapshot sees them} (none when an input cannot be digested),
    'outputs': {date: digest of the rows the table holds for it}, 'record': the last build's
    record, 'kept': the dates whose inputs and rows are as recorded, 'reason': why the others
    are rebuilt}.
-#}
{% macro snapshot_table_plan() -%}
    {%- set column = config.get('snapshot_column', 'snapshot_date') -%}
    {%- set state_table = 'incremental_state."' ~ model.name ~ '__snapshots"' -%}
    {%- set plan = {'dates': none, 'inputs': none, 'outputs': {}, 'record': {}, 'kept': [], 'reason': none} -%}
    {%- set existing = adapter.get_relation(database=this.database, schema=this.schema, identifier=this.identifier) -%}
    {#- the cases decided without reading anything first: the linter compiles on an empty database -#}
    {%- if should_full_refresh() -%}
        {%- do plan.update({'reason': 'full refresh'}) -%}
    {%- elif invocation_args_dict.get('empty') -%}
        {%- do plan.update({'reason': 'an --empty build'}) -%}
    {%- elif existing is none or not existing.is_table -%}
        {%- do plan.update({'reason': 'no table yet'}) -%}
    {%- else -%}
        {%- set record = reusable_table_record(state_table) -%}
        {%- if record is none -%}
            {%- do plan.update({'reason': 'no record of its last build'}) -%}
        {%- else -%}
            {%- set dates = snapshot_table_dates() -%}
            {%- set inputs = snapshot_table_input_digests(dates) -%}
            {%- do plan.update({'dates': dates, 'inputs': inputs, 'record': record}) -%}
            {%- if inputs is none -%}
                {%- do plan.update({'reason': 'an input has no table to digest'}) -%}
            {%- else -%}
                {%- set outputs = snapshot_table_output_digests(this, column) -%}
                {%- set kept = [] -%}
                {%- set why = [] -%}
                {%- for date in dates -%}
                    {%- if record.get('input:' ~ date) != inputs[date] -%}
                        {%- do why.append('inputs') -%}
                    {%- elif record.get('output:' ~ date) != outputs.get(date) -%}
                        {%- do why.append('rows') -%}
                    {%- else -%}
                        {%- do kept.append(date) -%}
                    {%- endif -%}
                {%- endfor -%}
                {%- set reasons = [] -%}
                {%- if 'inputs' in why -%}{%- do reasons.append('their inputs changed') -%}{%- endif -%}
                {%- if 'rows' in why -%}{%- do reasons.append('their rows changed since the last build') -%}{%- endif -%}
                {%- do plan.update({'kept': kept, 'outputs': outputs, 'reason': reasons | join(' and ')}) -%}
            {%- endif -%}
        {%- endif -%}
    {%- endif -%}
    {{- return(plan) -}}
{%- endmacro %}

{#- The snapshot dates now (int_snapshot_dates), as 'YYYY-MM-DD' strings in ascending order. -#}
{% macro snapshot_table_dates() -%}
    {%- set spine = graph.nodes.get('model.' ~ project_name ~ '.int_snapshot_dates') -%}
    {{- return(run_query(
        'select distinct cast(snapshot_date as varchar) from ' ~ spine.relation_name ~ ' order by 1'
    ).columns[0].values() | list) -}}
{%- endmacro %}

{#-
    {snapshot date: one string} for the model's ref() and source() inputs as each snapshot
    sees them: a dated input's rows up to the date (undated rows counted for every snapshot),
    every other input in full; none when an input has no relation.
-#}
{% macro snapshot_table_input_digests(dates) -%}
    {%- set dated = config.get('snapshot_dated_inputs') or {} -%}
    {%- set digests = {} -%}
    {%- for date in dates -%}{%- do digests.update({date: ''}) -%}{%- endfor -%}
    {%- for unique_id in model.depends_on.nodes | sort -%}
        {%- set relation = reusable_table_input(unique_id) -%}
        {%- if relation is none -%}
            {{- return(none) -}}
        {%- endif -%}
        {%- set name = unique_id.split('.')[-1] -%}
        {%- if name in dated and dates -%}
            {%- set date_column = dated[name] -%}
            {%- set query -%}
                with snapshots as (
                    select * from (values
                        {%- for date in dates %}
                        ({{ loop.index }}, date '{{ date }}'){{ ',' if not loop.last }}
                        {%- endfor %}
                    ) as s(bucket, snapshot_date)
                ),

                bucketed as (
                    select
                        case
                            when {{ date_column }} is null then 1
                            {%- for date in dates %}
                            when {{ date_column }} <= date '{{ date }}' then {{ loop.index }}
                            {%- endfor %}
                        end as bucket,
                        hash(*columns(*))::hugeint as row_hash
                    from {{ relation }}
                ),

                per_bucket as (
                    select bucket, count(*) as row_count, sum(row_hash) as hash_sum
                    from bucketed
                    where bucket is not null
                    group by bucket
                )

                select
                    cast(snapshots.snapshot_date as varchar),
                    sum(coalesce(per_bucket.row_count, 0)) over running || ':'
                    || sum(coalesce(per_bucket.hash_sum, 0)) over running
                from snapshots
                left join per_bucket on snapshots.bucket = per_bucket.bucket
                window running as (order by snapshots.bucket)
                order by snapshots.bucket
            {%- endset -%}
            {%- set columns = run_query(reusable_table_columns_sql(relation)).columns[0].values()[0] -%}
            {%- for row in run_query(query) -%}
                {%- do digests.update({row[0]: digests[row[0]] ~ unique_id ~ '=' ~ row[1] ~ ':' ~ columns ~ ';'}) -%}
            {%- endfor -%}
        {%- else -%}
            {%- set whole = reusable_table_digest(relation) -%}
            {%- for date in dates -%}
                {%- do digests.update({date: digests[date] ~ unique_id ~ '=' ~ whole ~ ';'}) -%}
            {%- endfor -%}
        {%- endif -%}
    {%- endfor -%}
    {%- for date in dates -%}{%- do digests.update({date: local_md5(digests[date])}) -%}{%- endfor -%}
    {{- return(digests) -}}
{%- endmacro %}

{#-
    {snapshot date: row count and sum of row hashes} of the rows a table holds per snapshot,
    leaving out the snapshots in except_dates.
-#}
{% macro snapshot_table_output_digests(relation, column, except_dates=[]) -%}
    {%- set query -%}
        select
            cast(cast({{ column }} as date) as varchar),
            count(*) || ':' || sum(hash(*columns(*))::hugeint)
        from {{ relation }}
        {% if except_dates -%}
            where {{ column }} is null or cast({{ column }} as date) not in ({{ snapshot_table_date_list(except_dates) }})
        {% endif -%}
        group by 1
    {%- endset -%}
    {%- set digests = {} -%}
    {%- for row in run_query(query) -%}
        {%- do digests.update({row[0]: row[1]}) -%}
    {%- endfor -%}
    {{- return(digests) -}}
{%- endmacro %}
