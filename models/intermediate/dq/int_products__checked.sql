{#- Every staged product row with its final data-quality reason (null = clean). -#}
{%- set value_columns = ['product_id', 'product_name', 'product_family', 'unit_cost', 'list_price', 'is_service'] %}
with staged as (
    select * from {{ ref('stg_landing__products') }}
),

duplicates_flagged as (
    {{ duplicate_checks('staged', ['product_id'], value_columns) }}
),

final as (
    select
        * exclude (dq_reason, dq_detail, is_exact_duplicate, has_conflicting_key),
        {{ final_dq_reason([
            ("is_exact_duplicate", "exact_duplicate", "'product_id ' || product_id"),
            ("has_conflicting_key", "conflicting_duplicate_key", "'product_id ' || product_id"),
        ]) }}
    from duplicates_flagged
)

select * from final
