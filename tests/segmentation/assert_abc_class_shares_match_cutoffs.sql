{#-
    ABC classes reconcile to the cut-offs, per level (account, group) and snapshot. What holds,
    ties included (entities with equal revenue always share a class):
      - the A entities are the smallest set of top revenue groups whose revenue share reaches
        var abc_a_cutoff: A's share is >= the cut-off whenever a B or C entity exists, and every A
        entity's prior share (revenue of strictly larger entities) is < the cut-off;
      - A plus B reach var abc_b_cutoff whenever a C entity exists, every B entity has a prior
        share in [abc_a_cutoff, abc_b_cutoff) and every C entity one >= abc_b_cutoff;
      - the class shares add up to 1, and there is an A entity whenever any revenue is positive.
    The same holds for the margin classes (abc_margin_class) on the margin shares.
    Returns one row per broken rule.
-#}
{%- set a_cutoff = number_var('abc_a_cutoff') -%}
{%- set b_cutoff = number_var('abc_b_cutoff') -%}
with classes as (
    select
        entity_level,
        snapshot_index,
        'revenue' as basis,
        abc_class as class,
        revenue_share as share,
        prior_revenue_share as prior_share
    from {{ ref('int_segment_entity_classes') }}
    union all
    select
        entity_level,
        snapshot_index,
        'margin' as basis,
        abc_margin_class as class,
        margin_share as share,
        prior_margin_share as prior_share
    from {{ ref('int_segment_entity_classes') }}
    where abc_margin_class is not null
),

by_class as (
    select
        entity_level,
        snapshot_index,
        basis,
        coalesce(sum(share) filter (where class = 'A'), 0) as a_share,
        coalesce(sum(share) filter (where class = 'B'), 0) as b_share,
        coalesce(sum(share) filter (where class in ('A', 'B', 'C')), 0) as total_share,
        count(*) filter (where class = 'A') as a_count,
        count(*) filter (where class in ('B', 'C')) as b_or_c_count,
        count(*) filter (where class = 'C') as c_count,
        count(*) filter (where class in ('A', 'B', 'C')) as positive_count,
        max(prior_share) filter (where class = 'A') as a_max_prior,
        min(prior_share) filter (where class = 'B') as b_min_prior,
        max(prior_share) filter (where class = 'B') as b_max_prior,
        min(prior_share) filter (where class = 'C') as c_min_prior
    from classes
    group by entity_level, snapshot_index, basis
),

broken as (
    select
        by_class.*,
        'no A entity although revenue is positive' as rule
    from by_class
    where positive_count > 0 and a_count = 0
    union all
    select
        by_class.*,
        'A share below the A cut-off while B or C entities exist' as rule
    from by_class
    where b_or_c_count > 0 and a_share < {{ a_cutoff }} - 1e-9
    union all
    select
        by_class.*,
        'A plus B share below the B cut-off while C entities exist' as rule
    from by_class
    where c_count > 0 and a_share + b_share < {{ b_cutoff }} - 1e-9
    union all
    select
        by_class.*,
        'an A entity starts at or after the A cut-off' as rule
    from by_class
    where a_max_prior >= {{ a_cutoff }}
    union all
    select
        by_class.*,
        'a B entity starts outside [A cut-off, B cut-off)' as rule
    from by_class
    where b_min_prior < {{ a_cutoff }} or b_max_prior >= {{ b_cutoff }}
    union all
    select
        by_class.*,
        'a C entity starts before the B cut-off' as rule
    from by_class
    where c_min_prior < {{ b_cutoff }}
    union all
    select
        by_class.*,
        'class shares do not add up to 1' as rule
    from by_class
    where positive_count > 0 and abs(total_share - 1) > 1e-9
)

select * from broken
