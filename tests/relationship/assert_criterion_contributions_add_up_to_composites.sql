{#-
    The re-normalised contributions of a family's criteria (fct_account_criterion_scores) add
    up to the account's composite score (fct_account_scores, rounded to 1 decimal), and the
    effective weights of a scored family add up to 1.
-#}
with contributions as (
    select
        account_id,
        family,
        sum(score_contribution) as contribution_total,
        sum(effective_weight) as effective_weight_total
    from {{ ref('fct_account_criterion_scores') }}
    group by account_id, family
),

composites as (
    select
        account_id,
        'attractiveness' as family,
        attractiveness_score as composite_score
    from {{ ref('fct_account_scores') }}
    union all
    select
        account_id,
        'qrc' as family,
        qrc_score as composite_score
    from {{ ref('fct_account_scores') }}
)

select
    composites.account_id,
    composites.family,
    composites.composite_score,
    contributions.contribution_total,
    contributions.effective_weight_total
from composites
left join contributions
    on composites.account_id = contributions.account_id
    and composites.family = contributions.family
where not (
    (composites.composite_score is null and contributions.contribution_total is null)
    or (
        abs(composites.composite_score - contributions.contribution_total) <= 0.05 + 1e-9
        and abs(contributions.effective_weight_total - 1) <= 1e-9
    )
)
