{#- Rows held back because they break a hard rule: fix them at the source and re-deliver. -#}
with rejected_rows as (
    select * from {{ ref('int_rejected_rows') }}
),

final as (
    select * exclude (disposition)
    from rejected_rows
    where disposition = 'quarantine'
)

select * from final
