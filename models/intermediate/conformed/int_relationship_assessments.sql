-- dated more than var max_future_days after the as-of date: quarantined (int_far_future_rows)
with far_future as (
    select
        source_file,
        source_row
    from {{ ref('int_far_future_rows') }}
    where entity = 'relationship_assessments'
),

clean_assessments as (
    select checked.*
    from {{ ref('int_relationship_assessments__checked') }} as checked
    left join far_future
        on checked.source_file = far_future.source_file
        and checked.source_row = far_future.source_row
    where checked.dq_reason is null and far_future.source_row is null
),

final as (
    select
        source_file,
        source_row,
        assessment_id,
        account_id,
        assessment_date,
        assessor_rep_id,
        criterion_code,
        score
    from clean_assessments
)

select * from final
