{#-
    The column's values lie within [min_value, max_value] (either bound optional; `inclusive`
    false makes the bounds strict). Nulls pass: pair with not_null where null is wrong.
    Fails with one row per offending value.
-#}
{% test accepted_range(model, column_name, min_value=none, max_value=none, inclusive=true) %}
    {%- if min_value is none and max_value is none -%}
        {{ exceptions.raise_compiler_error("accepted_range needs min_value, max_value or both") }}
    {%- endif %}
    select {{ column_name }} as offending_value
    from {{ model }}
    where {{ column_name }} is not null
      and not (
        true
        {%- if min_value is not none %}
        and {{ column_name }} {{ '>=' if inclusive else '>' }} {{ min_value }}
        {%- endif %}
        {%- if max_value is not none %}
        and {{ column_name }} {{ '<=' if inclusive else '<' }} {{ max_value }}
        {%- endif %}
      )
{% endtest %}
