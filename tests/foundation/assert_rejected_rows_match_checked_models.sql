{#-
    int_rejected_rows holds exactly the rejected rows (dq_reason not null) of the ten __checked
    models, entity by entity and reason by reason: none lost, none added, none relabelled.
    Fails with one row per entity and reason whose counts differ.
-#}
{%- set entities = ['sales_lines', 'accounts', 'products', 'reps', 'contacts', 'activities',
    'opportunities', 'relationship_assessments', 'account_plans', 'plan_actions'] %}
with checked_rejections as (
    {%- for entity in entities %}
    select '{{ entity }}' as entity, dq_reason as reason_code, count(*) as row_count
    from {{ ref('int_' ~ entity ~ '__checked') }}
    where dq_reason is not null
    group by dq_reason
    {%- if not loop.last %}
    union all
    {%- endif %}
    {%- endfor %}
),

listed_rejections as (
    select
        entity,
        reason_code,
        count(*) as row_count
    from {{ ref('int_rejected_rows') }}
    group by entity, reason_code
)

select
    coalesce(checked_rejections.entity, listed_rejections.entity) as entity,
    coalesce(checked_rejections.reason_code, listed_rejections.reason_code) as reason_code,
    checked_rejections.row_count as checked_rows,
    listed_rejections.row_count as listed_rows
from checked_rejections
full outer join listed_rejections
    on checked_rejections.entity = listed_rejections.entity
    and checked_rejections.reason_code = listed_rejections.reason_code
where checked_rejections.row_count is distinct from listed_rejections.row_count
