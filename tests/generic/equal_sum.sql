{#-
    The sum of an expression over the model equals the sum of another expression over another
    model, within an absolute `tolerance` (rounding of decimals). Used for reconciliations:
    revenue in a mart equals revenue in the line-level fact for the same window.
-#}
{% test equal_sum(model, column_name, compare_model, compare_expression, where=none, compare_where=none, tolerance=0.01) %}
    with actual as (
        select coalesce(sum({{ column_name }}), 0) as total
        from {{ model }} {% if where %}where {{ where }}{% endif %}
    ),

    expected as (
        select coalesce(sum({{ compare_expression }}), 0) as total
        from {{ compare_model }} {% if compare_where %}where {{ compare_where }}{% endif %}
    )

    select
        actual.total as actual_total,
        expected.total as expected_total
    from actual
    cross join expected
    where abs(actual.total - expected.total) > {{ tolerance }}
{% endtest %}
