{#-
    Use the folder's custom schema name as is (staging, intermediate, marts, config), not
    dbt's default `<target schema>_<custom>`: analysts and BI tools read `marts.<table>`.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
