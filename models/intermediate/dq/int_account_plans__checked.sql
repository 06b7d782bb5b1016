{#- Every staged account_plans row with its final data-quality reason (null = clean). -#}
{%- set value_columns = ['plan_id', 'account_id', 'owner_rep_id', 'plan_start_date', 'plan_end_date',
    'swot_updated_date', 'is_co_built_with_client', 'has_objectives'] %}
with staged as (
    select * from {{ ref('stg_landing__account_plans') }}
),

known_accounts as (
    select account_id from {{ ref('int_accounts') }}
),

-- duplicates, conflicting keys, orphans and the final reason: macros/duplicate_checks.sql
{{ account_keyed_checks('plan_id', value_columns) }}

select * from final
