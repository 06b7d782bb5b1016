-- dated more than var max_future_days after the as-of date: quarantined (int_far_future_rows)
with far_future as (
    select
        source_file,
        source_row
    from {{ ref('int_far_future_rows') }}
    where entity = 'opportunities'
),

clean_opportunities as (
    select checked.*
    from {{ ref('int_opportunities__checked') }} as checked
    left join far_future
        on checked.source_file = far_future.source_file
        and checked.source_row = far_future.source_row
    where checked.dq_reason is null and far_future.source_row is null
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
