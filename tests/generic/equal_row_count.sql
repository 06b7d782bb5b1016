{#-
    The model has exactly as many rows as another model (optionally filtered on either side).
    With add_model, the rows of add_model (filtered by add_where) are added to the model's own:
    a model that leaves rows to another (int_activities and int_far_future_rows) together hold
    exactly the rows of their source.
-#}
{% test equal_row_count(model, compare_model, where=none, compare_where=none, add_model=none, add_where=none) %}
    with actual as (
        select
            (select count(*) from {{ model }} {% if where %}where {{ where }}{% endif %})
            {%- if add_model is not none %}
            + (select count(*) from {{ add_model }} {% if add_where %}where {{ add_where }}{% endif %})
            {%- endif %} as row_count
    ),

    expected as (
        select count(*) as row_count from {{ compare_model }} {% if compare_where %}where {{ compare_where }}{% endif %}
    )

    select
        actual.row_count as actual_rows,
        expected.row_count as expected_rows
    from actual
    cross join expected
    where actual.row_count != expected.row_count
{% endtest %}
