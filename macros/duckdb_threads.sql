{#-
    Some joins keep state per DuckDB thread that cannot be spilled: at 61M lines, with the 8 GB
    memory limit and DuckDB on both cores, int_segment_entity_snapshots ran out of memory in one
    build of two ("failed to pin block", decision log 39). On the medium data with the limit
    scaled down, the same query failed at 700 MB on two DuckDB threads and passed at 400 MB on
    one. A build that runs one dbt node at a time (KAM_THREADS=1, the setting for
    tens of millions of lines) therefore runs such a model's query on one DuckDB thread and gives
    the cores back afterwards; with several dbt nodes at once the setting, which is global to
    the database, is left alone, so that no other node is slowed.
-#}
{% macro one_duckdb_thread() -%}
    {%- if target.threads == 1 -%}
        set threads = 1
    {%- endif -%}
{%- endmacro %}

{% macro every_duckdb_thread() -%}
    {%- if target.threads == 1 -%}
        reset threads
    {%- endif -%}
{%- endmacro %}
