{#- Every staged contacts row with its final data-quality reason (null = clean). -#}
{%- set value_columns = ['contact_id', 'account_id', 'first_name', 'last_name', 'email', 'phone', 'job_function',
    'decision_role', 'seniority', 'closeness', 'active_from_date', 'left_date'] %}
with staged as (
    select * from {{ ref('stg_landing__contacts') }}
),

known_accounts as (
    select account_id from {{ ref('int_accounts') }}
),

-- duplicates, conflicting keys, orphans and the final reason: macros/duplicate_checks.sql
{{ account_keyed_checks('contact_id', value_columns) }}

select * from final
