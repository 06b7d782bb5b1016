{#-
    One row per account and history snapshot (as-of date and the quarter ends before it): the
    attractiveness and QRC composites with their bands, coverage and change against the previous
    snapshot, and every criterion's 0-100 score. Attractiveness rests on the accounts file as
    delivered (no history in the source), so its history moves only with the potential ranks.
-#}
{%- set criteria = ['purchase_potential', 'potential_growth', 'market_position', 'solvency', 'strategic_interest',
    'share_of_wallet', 'product_family_breadth', 'decision_maker_access', 'contact_network_breadth',
    'interaction_regularity', 'interaction_recency', 'commitments_kept', 'purchase_regularity',
    'purchase_recency', 'trust', 'responsiveness', 'strategic_alignment', 'satisfaction'] %}

with scores as (
    select * from {{ ref('int_account_snapshot_scores') }}
),

final as (
    select
        account_snapshot_id,
        account_id,
        cast(snapshot_index as integer) as snapshot_index,
        snapshot_date,
        is_current,
        {%- for family in ['attractiveness', 'qrc'] %}
        {{ family }}_score,
        {{ family }}_band,
        {{ family }}_band_label,
        {{ family }}_coverage,
        {{ family }}_score_change,
        previous_{{ family }}_band,
        unscored_{{ family }}_criteria,
        {%- endfor %}
        cast(stale_assessment_count as integer) as stale_assessment_count,
        {%- for criterion in criteria %}
        {{ criterion }}_score
        {{- "," if not loop.last }}
        {%- endfor %}
    from scores
)

select * from final
