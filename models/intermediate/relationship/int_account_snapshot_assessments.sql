{#-
    The latest manual assessment of each account, criterion and snapshot: the last one dated on
    or before the snapshot (ties on the same day: the highest assessment_id, so the choice is
    repeatable), flagged stale when older than var assessment_stale_days. Only accounts and
    criteria that were ever assessed have rows.
-#}
with spine as (
    select
        account_snapshot_id,
        account_id,
        snapshot_date
    from {{ ref('int_account_snapshots') }}
),

assessments as (
    select
        assessment_id,
        account_id,
        assessment_date,
        criterion_code,
        score
    from {{ ref('int_relationship_assessments') }}
),

latest as (
    select
        spine.account_snapshot_id,
        spine.snapshot_date,
        assessments.criterion_code,
        assessments.assessment_id,
        assessments.assessment_date,
        assessments.score
    from spine
    inner join assessments
        on spine.account_id = assessments.account_id
        and spine.snapshot_date >= assessments.assessment_date
    qualify row_number() over (
        partition by spine.account_snapshot_id, assessments.criterion_code
        order by assessments.assessment_date desc, assessments.assessment_id desc
    ) = 1
),

final as (
    select
        account_snapshot_id || ':' || criterion_code as account_snapshot_criterion_id,
        account_snapshot_id,
        criterion_code,
        assessment_id,
        assessment_date,
        cast(score as double) as assessment_score,
        snapshot_date - assessment_date > {{ number_var('assessment_stale_days') }} as is_stale
    from latest
)

select * from final
