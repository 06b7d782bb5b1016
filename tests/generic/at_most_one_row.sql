{#- The model has at most one row per value of the grouping columns; with no columns, at most one row overall. -#}
{% test at_most_one_row(model, group_by_columns=[]) %}
    select {% if group_by_columns %}{{ group_by_columns | join(', ') }}, {% endif %}count(*) as row_count
    from {{ model }}
    {% if group_by_columns %}group by {{ group_by_columns | join(', ') }}{% endif %}
    having count(*) > 1
{% endtest %}
