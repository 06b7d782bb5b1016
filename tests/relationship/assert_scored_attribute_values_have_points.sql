{#-
    Every market position, credit rating, decision role and seniority present in the data has
    points in seed score_points: a value without points would leave its criterion unscored.
-#}
with observed as (
    select distinct
        'market_position' as attribute,
        market_position as attribute_value
    from {{ ref('dim_accounts') }}
    where market_position is not null
    union all
    select distinct
        'credit_rating' as attribute,
        credit_rating as attribute_value
    from {{ ref('dim_accounts') }}
    where credit_rating is not null
    union all
    select distinct
        'decision_role' as attribute,
        decision_role as attribute_value
    from {{ ref('int_contacts') }}
    where decision_role is not null
    union all
    select distinct
        'seniority' as attribute,
        seniority as attribute_value
    from {{ ref('int_contacts') }}
    where seniority is not null
)

select observed.*
from observed
left join {{ ref('score_points') }} as score_points
    on observed.attribute = score_points.attribute
    and observed.attribute_value = score_points.attribute_value
where score_points.attribute is null
