{#-
    Every row that did not make it into a clean model, from every entity, with its reason: the
    rejected rows of the ten __checked models and the far-future rows of int_far_future_rows.
-#}
{#- a plain table, not reusable_table: it reads the sales lines, which every delivery changes -#}
{{ config(materialized='table') }}
{%- set entities = [
    ('sales_lines', "invoice_id || '-' || line_number"),
    ('accounts', 'account_id'),
    ('products', 'product_id'),
    ('reps', 'rep_id'),
    ('contacts', 'contact_id'),
    ('activities', 'activity_id'),
    ('opportunities', 'opportunity_id'),
    ('relationship_assessments', 'assessment_id'),
    ('account_plans', 'plan_id'),
    ('plan_actions', 'action_id'),
] %}
with
{% for entity, key in entities %}
    rejected_{{ entity }} as (
        select
            '{{ entity }}' as entity,
            source_file,
            source_row,
            source_line,
            {{ key }} as record_key,
            dq_reason as reason_code,
            dq_detail as reason_detail,
            raw_record
        from {{ ref('int_' ~ entity ~ '__checked') }}
        where dq_reason is not null
    ),
{% endfor %}

reason_codes as (
    select * from {{ ref('dq_reason_codes') }}
),

unioned as (
    {% for entity, key in entities %}
        select * from rejected_{{ entity }}
        union all
    {% endfor %}
    -- rows that passed every row rule but are dated far after the as-of date
    select * from {{ ref('int_far_future_rows') }}
),

final as (
    select
        unioned.entity || ':' || unioned.source_file || ':' || unioned.source_row as rejected_row_id,
        unioned.entity,
        unioned.source_file,
        unioned.source_row,
        unioned.source_line,
        unioned.record_key,
        unioned.reason_code,
        unioned.reason_detail,
        reason_codes.disposition,
        reason_codes.description as reason_description,
        unioned.raw_record
    from unioned
    left join reason_codes
        on unioned.reason_code = reason_codes.reason_code
)

select * from final
