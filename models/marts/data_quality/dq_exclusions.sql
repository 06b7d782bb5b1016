{#- Rows deliberately left out by a documented rule (duplicates, accounting adjustments, erasures). -#}
with rejected_rows as (
    select * from {{ ref('int_rejected_rows') }}
),

final as (
    select * exclude (disposition)
    from rejected_rows
    where disposition = 'exclusion'
)

select * from final
