{#-
    A boolean SQL expression holds for every row (optionally only rows matching `where`).
    Used for business rules: `net_amount = gross_amount - discount_amount`, score bounds, ...
    A null result counts as a failure: a rule that cannot be evaluated is not a rule that holds.
-#}
{% test expression_is_true(model, expression, where=none) %}
    select *
    from {{ model }}
    where not coalesce(({{ expression }}), false)
    {%- if where %}
      and ({{ where }})
    {%- endif %}
{% endtest %}
