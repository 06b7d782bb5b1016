{#- The weights of each score family in seed score_criteria add up to 1 (100%): fails per family that does not. -#}
select
    family,
    sum(weight) as total_weight
from {{ ref('score_criteria') }}
group by family
having abs(sum(weight) - 1) > 1e-9
