{#- Per level, the cells' account, revenue and (when any margin is positive) margin shares add up to 1. -#}
select
    entity_level,
    sum(entity_share) as entity_share_total,
    sum(revenue_share) as revenue_share_total,
    sum(margin_share) as margin_share_total
from {{ ref('agg_segment_cells') }}
group by entity_level
having (sum(entity_count) > 0 and abs(sum(entity_share) - 1) > 1e-9)
    or (sum(revenue_share) is not null and abs(sum(revenue_share) - 1) > 1e-9)
    or (sum(margin_share) is not null and abs(sum(margin_share) - 1) > 1e-9)
