{#-
    Activities, opportunities and relationship assessments that passed every row rule but are
    dated more than var max_future_days after the as-of date: a typo such as 2099, which no
    period or window would ever count. Held back as date_out_of_range, as a sales line of the
    same date is (int_sales_lines__checked).

    A table of its own because it is the only check of these entities that reads the as-of date,
    which moves with every delivery of sales lines: the __checked and conformed models stay
    reusable_tables, kept across daily builds, and read this table, which a new day seldom
    changes. Opportunities are checked on created_date (a closing date can be planned). Without
    any sales line (as-of date origin 'no sales lines: var min_valid_date') nothing is checked.
-#}
{{ config(materialized='table') }}
{%- set dated_entities = [
    ('activities', 'activity_id', 'activity_date'),
    ('opportunities', 'opportunity_id', 'created_date'),
    ('relationship_assessments', 'assessment_id', 'assessment_date'),
] %}
-- without any sales line the as-of date is only a placeholder (var min_valid_date): nothing to
-- judge other dates against, so nothing is held back
with valid_range as (
    select as_of_date + to_days({{ number_var('max_future_days') }}) as last_valid_date
    from {{ ref('int_as_of_date') }}
    where as_of_date_origin != 'no sales lines: var min_valid_date'
),
{% for entity, key, date_column in dated_entities %}
    far_future_{{ entity }} as (
        select
            '{{ entity }}' as entity,
            checked.source_file,
            checked.source_row,
            checked.source_line,
            cast(checked.{{ key }} as varchar) as record_key,
            'date_out_of_range' as reason_code,
            '{{ date_column }} ' || checked.{{ date_column }} as reason_detail,
            checked.raw_record
        from {{ ref('int_' ~ entity ~ '__checked') }} as checked
        inner join valid_range
            on checked.{{ date_column }} > valid_range.last_valid_date
        where checked.dq_reason is null
    ),
{% endfor %}

final as (
    {% for entity, key, date_column in dated_entities %}
        select * from far_future_{{ entity }}
        {% if not loop.last %}union all{% endif %}
    {% endfor %}
)

select * from final
