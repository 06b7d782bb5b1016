with clean_assessments as (
    select * from {{ ref('int_relationship_assessments__checked') }}
    where dq_reason is null
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
