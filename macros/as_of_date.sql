{#-
    The as-of date every time window is computed from.
    With var as_of_date set, its value (validated: it must be an ISO date, so nothing else can
    reach the SQL). Unset, the one-row model int_as_of_date derives it from the data.
    Use: `{{ as_of_date() }}` anywhere a date expression is expected.
-#}
{% macro as_of_date() -%}
    {%- set value = var('as_of_date', none) -%}
    {%- if value is none or value == '' -%}
        (select as_of_date from {{ ref('int_as_of_date') }})
    {%- else -%}
        date '{{ validated_date_var('as_of_date') }}'
    {%- endif -%}
{%- endmacro %}

{#- Return var `name` if it is a valid ISO date (YYYY-MM-DD); stop the build with a clear message otherwise. -#}
{% macro validated_date_var(name) -%}
    {%- set value = var(name) | string | trim -%}
    {%- set problem = date_var_problem(name) -%}
    {%- if problem -%}
        {{ exceptions.raise_compiler_error(problem) }}
    {%- endif -%}
    {{- value -}}
{%- endmacro %}

{#-
    The sentence that says why var `name` is no date, or '' when it is one: written YYYY-MM-DD
    and a day of the calendar. The calendar check is here because DuckDB would otherwise stop
    the first model that reads `2025-02-30` with its own conversion error, after other models ran.
-#}
{% macro date_var_problem(name) -%}
    {%- set value = var(name) | string | trim -%}
    {%- if not modules.re.fullmatch('[0-9]{4}-[0-9]{2}-[0-9]{2}', value) -%}
        {{- "var " ~ name ~ " must be a date written YYYY-MM-DD, got: " ~ (value | truncate(40)) -}}
    {%- else -%}
        {%- set year, month, day = value[0:4] | int, value[5:7] | int, value[8:10] | int -%}
        {%- set leap = year % 4 == 0 and (year % 100 != 0 or year % 400 == 0) -%}
        {%- set month_days = [31, 29 if leap else 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31] -%}
        {%- if year < 1 or month < 1 or month > 12 or day < 1 or day > month_days[month - 1] -%}
            {{- "var " ~ name ~ " is " ~ value ~ ", which is no day of the calendar" -}}
        {%- endif -%}
    {%- endif -%}
{%- endmacro %}

{#- Return numeric var `name`, stopping the build with a clear message if it is not a number. -#}
{% macro number_var(name) -%}
    {%- set value = var(name) -%}
    {%- if value is none or not modules.re.fullmatch('-?[0-9]+([.][0-9]+)?', value | string | trim) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a number, got: " ~ (value | string | truncate(40))) }}
    {%- endif -%}
    {{- value | string | trim -}}
{%- endmacro %}

{#- Return text var `name` as a quoted SQL string literal (quotes escaped). -#}
{% macro string_var(name) -%}
    '{{ var(name) | string | replace("'", "''") }}'
{%- endmacro %}

{#- Return var `name` if it is a 3-letter currency code (ISO 4217, upper case); stop the build with a clear message otherwise. -#}
{% macro currency_code_var(name) -%}
    {%- set value = var(name) | string | trim -%}
    {%- if not modules.re.fullmatch('[A-Z]{3}', value) -%}
        {{ exceptions.raise_compiler_error("var " ~ name ~ " must be a 3-letter currency code such as GBP, got: " ~ (value | truncate(40))) }}
    {%- endif -%}
    {{- value -}}
{%- endmacro %}
