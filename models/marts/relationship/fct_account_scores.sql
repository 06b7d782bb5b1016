{#-
    One row per account as of the as-of date: attractiveness (what the rep cannot change) and
    QRC, the quality of the commercial relationship (what the rep can influence), each a weighted
    mean of 0-100 criteria re-normalised over the criteria that have data (coverage says how much
    of the weight was measured), banded and compared with the previous snapshot; then every
    criterion's score and data date (the latest fact it rests on). Rules and weights: seed
    score_criteria; per-criterion detail (measured value, weight used, why unscored):
    fct_account_criterion_scores.
-#}
{%- set criteria = ['purchase_potential', 'potential_growth', 'market_position', 'solvency', 'strategic_interest',
    'share_of_wallet', 'product_family_breadth', 'decision_maker_access', 'contact_network_breadth',
    'interaction_regularity', 'interaction_recency', 'commitments_kept', 'purchase_regularity',
    'purchase_recency', 'trust', 'responsiveness', 'strategic_alignment', 'satisfaction'] %}
{%- set attractiveness_criteria = criteria[:5] %}
{%- set assessment_criteria = ['trust', 'responsiveness', 'strategic_alignment', 'satisfaction'] %}

with scores as (
    select * from {{ ref('int_account_snapshot_scores') }}
    where is_current
),

qrc_criteria as (
    select * from {{ ref('int_account_snapshot_qrc_criteria') }}
    where is_current
),

attractiveness_criteria as (
    select * from {{ ref('int_account_attractiveness_criteria') }}
),

final as (
    select
        scores.account_id,
        scores.snapshot_date as as_of_date,
        {%- for family in ['attractiveness', 'qrc'] %}
        scores.{{ family }}_score,
        scores.{{ family }}_band,
        scores.{{ family }}_band_label,
        scores.{{ family }}_coverage,
        scores.{{ family }}_score_change,
        scores.previous_{{ family }}_band,
        scores.unscored_{{ family }}_criteria,
        {%- endfor %}
        cast(scores.stale_assessment_count as integer) as stale_assessment_count,
        {%- for criterion in criteria %}
        {%- set source = 'attractiveness_criteria' if criterion in attractiveness_criteria else 'qrc_criteria' %}
        scores.{{ criterion }}_score,
        {{ source }}.{{ criterion }}_data_date
        {%- if criterion in assessment_criteria %},
        qrc_criteria.{{ criterion }}_is_stale
        {%- endif %}
        {{- "," if not loop.last }}
        {%- endfor %}
    from scores
    inner join qrc_criteria
        on scores.account_snapshot_id = qrc_criteria.account_snapshot_id
    left join attractiveness_criteria
        on scores.account_id = attractiveness_criteria.account_id
)

select * from final
