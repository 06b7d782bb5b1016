{#-
    Personal data must never reach a BI-facing mart. Fails with one row per offence (column and
    kind, with the number of distinct offending values):
    - a column whose name is a column tagged personal data anywhere in the project (sources'
      `meta.personal_data`, models' `personal_data` tag or meta);
    - a text value that looks like an email address or a phone number.
    Attached to every mart (the coverage check in tests_py/test_coverage.py enforces it).
-#}
{% test no_personal_data(model) %}
    {%- set personal = [] -%}
    {%- if execute -%}
        {%- for node in graph.sources.values() -%}
            {%- for col in node.columns.values() -%}
                {%- if (col.meta or {}).get('personal_data') or ((col.config or {}).meta or {}).get('personal_data') -%}
                    {%- do personal.append(col.name | lower) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
        {%- for node in graph.nodes.values() if node.resource_type == 'model' -%}
            {%- for col in node.columns.values() -%}
                {%- if 'personal_data' in (col.tags or []) or (col.meta or {}).get('personal_data') -%}
                    {%- do personal.append(col.name | lower) -%}
                {%- endif -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endif -%}
    {%- set columns = adapter.get_columns_in_relation(model) if execute else [] -%}
    {%- set text_columns = columns | selectattr('dtype', 'in', ['VARCHAR', 'TEXT', 'STRING']) | list -%}

    with offences as (
        select
            cast(null as varchar) as column_name,
            cast(null as varchar) as offence
        where false
        {%- for col in columns if col.name | lower in personal %}
        union all
        select
            '{{ col.name }}' as column_name,
            'column tagged personal data' as offence
        {%- endfor %}
        {%- for col in text_columns %}
        union all
        select
            '{{ col.name }}' as column_name,
            'value looks like an email or phone number' as offence
        -- each distinct value once: ids repeat on millions of lines, and the regexes are the cost
        from (select distinct {{ adapter.quote(col.name) }} as value from {{ model }}) as distinct_values
        where (contains(value, '@') and regexp_matches(value, '[^@\s]+@[^@\s]+\.[A-Za-z]{2,}'))
            or regexp_matches(value, '(^|[^0-9A-Za-z])\+?[0-9]{1,3}[ .-]?\(?[0-9]{2,4}\)?[ .-][0-9]{3,4}[ .-][0-9]{3,4}([^0-9]|$)')
        {%- endfor %}
    )

    select
        column_name,
        offence,
        count(*) as offending_values
    from offences
    group by column_name, offence
{% endtest %}
