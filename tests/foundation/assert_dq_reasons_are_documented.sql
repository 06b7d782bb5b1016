{#-
    Every data-quality reason produced anywhere (staging, the __checked models and the DQ marts)
    is a reason_code of seed dq_reason_codes, so each one has a documented meaning and a
    disposition (quarantine or exclusion). Fails with one row per undocumented reason and model.
-#}
{%- set entities = ['sales_lines', 'accounts', 'products', 'reps', 'contacts', 'activities',
    'opportunities', 'relationship_assessments', 'account_plans', 'plan_actions'] %}
with produced_reasons as (
    {%- for entity in entities %}
    select distinct 'stg_landing__{{ entity }}' as model_name, dq_reason as reason_code
    from {{ ref('stg_landing__' ~ entity) }}
    where dq_reason is not null
    union all
    select distinct 'int_{{ entity }}__checked' as model_name, dq_reason as reason_code
    from {{ ref('int_' ~ entity ~ '__checked') }}
    where dq_reason is not null
    union all
    {%- endfor %}
    select distinct
        'int_rejected_rows' as model_name,
        reason_code
    from {{ ref('int_rejected_rows') }}
    union all
    select distinct
        'dq_quarantine' as model_name,
        reason_code
    from {{ ref('dq_quarantine') }}
    union all
    select distinct
        'dq_exclusions' as model_name,
        reason_code
    from {{ ref('dq_exclusions') }}
),

documented_reasons as (
    select reason_code from {{ ref('dq_reason_codes') }}
)

select
    produced_reasons.model_name,
    produced_reasons.reason_code
from produced_reasons
left join documented_reasons
    on produced_reasons.reason_code = documented_reasons.reason_code
where documented_reasons.reason_code is null
