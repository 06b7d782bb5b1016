{#-
    int_rejected_rows holds exactly the rejected rows (dq_reason not null) of the ten __checked
    models and the far-future rows of int_far_future_rows (clean in their __checked model),
    entity by entity and reason by reason: none lost, none added, none relabelled.
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
    union all
    {%- endfor %}
    select
        far_future.entity,
        far_future.reason_code,
        count(*) as row_count
    from {{ ref('int_far_future_rows') }} as far_future
    group by far_future.entity, far_future.reason_code
),

-- a reason can come from both sides (date_out_of_range: too early in staging, too late here)
expected_rejections as (
    select
        entity,
        reason_code,
        sum(row_count) as row_count
    from checked_rejections
    group by entity, reason_code
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
    coalesce(expected_rejections.entity, listed_rejections.entity) as entity,
    coalesce(expected_rejections.reason_code, listed_rejections.reason_code) as reason_code,
    expected_rejections.row_count as expected_rows,
    listed_rejections.row_count as listed_rows
from expected_rejections
full outer join listed_rejections
    on expected_rejections.entity = listed_rejections.entity
    and expected_rejections.reason_code = listed_rejections.reason_code
where expected_rejections.row_count is distinct from listed_rejections.row_count
