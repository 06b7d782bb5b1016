{#- Every staged activities row with its final data-quality reason (null = clean). -#}
{%- set value_columns = ['activity_id', 'activity_date', 'rep_id', 'account_id', 'contact_id', 'activity_type',
    'duration_minutes', 'travel_minutes', 'travel_cost', 'is_billable'] %}
with staged as (
    select * from {{ ref('stg_landing__activities') }}
),

known_accounts as (
    select account_id from {{ ref('int_accounts') }}
),

-- duplicates, conflicting keys, orphans and the final reason: macros/duplicate_checks.sql
{{ account_keyed_checks('activity_id', value_columns) }}

select * from final
