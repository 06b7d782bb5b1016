{#- Every staged account row with its final data-quality reason (null = clean). -#}
{%- set value_columns = ['account_id', 'account_name', 'parent_account_id', 'sector', 'country', 'region',
    'size_band', 'annual_potential', 'potential_growth_rate', 'market_position', 'credit_rating',
    'is_strategic', 'is_renowned', 'has_strict_quality_requirements', 'owner_rep_id', 'created_date', 'status'] %}
with staged as (
    select * from {{ ref('stg_landing__accounts') }}
),

duplicates_flagged as (
    {{ duplicate_checks('staged', ['account_id'], value_columns) }}
),

final as (
    select
        * exclude (dq_reason, dq_detail, is_exact_duplicate, has_conflicting_key),
        {{ final_dq_reason([
            ("is_exact_duplicate", "exact_duplicate", "'account_id ' || account_id"),
            ("has_conflicting_key", "conflicting_duplicate_key", "'account_id ' || account_id"),
        ]) }}
    from duplicates_flagged
)

select * from final
