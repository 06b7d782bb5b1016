with clean_opportunities as (
    select * from {{ ref('int_opportunities__checked') }}
    where dq_reason is null
),

final as (
    select
        source_file,
        source_row,
        opportunity_id,
        account_id,
        rep_id,
        created_date,
        closed_date,
        stage,
        status,
        amount,
        discount_amount,
        competitor,
        loss_reason
    from clean_opportunities
)

select * from final
