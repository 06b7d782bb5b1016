{#-
    A criterion whose scoring rule reads seed score_scales has a scale there, and one that reads
    seed score_points has points there: without them it would silently score null (or 0).
-#}
select
    score_criteria.criterion_code,
    score_criteria.scoring_rule
from {{ ref('score_criteria') }} as score_criteria
where (
    score_criteria.scoring_rule like '%score_scales%'
    and score_criteria.criterion_code not in (
        select score_scales.criterion_code from {{ ref('score_scales') }} as score_scales
    )
) or (
    score_criteria.scoring_rule like '%score_points%'
    and score_criteria.criterion_code not in (
        select score_points.criterion_code from {{ ref('score_points') }} as score_points
    )
)
