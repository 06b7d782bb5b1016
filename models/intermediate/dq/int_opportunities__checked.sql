{#- Every staged opportunities row with its final data-quality reason (null = clean). -#}
{%- set value_columns = ['opportunity_id', 'account_id', 'rep_id', 'created_date', 'closed_date', 'stage',
    'status', 'amount', 'discount_amount', 'competitor', 'loss_reason'] %}
with staged as (
    select * from {{ ref('stg_landing__opportunities') }}
),

known_accounts as (
    select account_id from {{ ref('int_accounts') }}
),

-- duplicates, conflicting keys, orphans and the final reason: macros/duplicate_checks.sql
{{ account_keyed_checks('opportunity_id', value_columns) }}

select * from final
