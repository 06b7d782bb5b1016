{#-
    The two composite scores of each account at each snapshot. Composite = sum(weight x score) /
    sum(weight) over the criteria that have a score (seed score_criteria): criteria without data
    are left out and the weights re-normalised; coverage = the share of the family's weight that
    was measured (0 = nothing measured: the score is null and its band 'unknown'). Bands: low
    below var score_band_low, medium below var score_band_high, high from it. The change is
    against the account's previous snapshot.
-#}
{%- set families = {
    'attractiveness': ['purchase_potential', 'potential_growth', 'market_position', 'solvency', 'strategic_interest'],
    'qrc': ['share_of_wallet', 'product_family_breadth', 'decision_maker_access', 'contact_network_breadth',
        'interaction_regularity', 'interaction_recency', 'commitments_kept', 'purchase_regularity',
        'purchase_recency', 'trust', 'responsiveness', 'strategic_alignment', 'satisfaction'],
} %}
{%- set assessment_criteria = ['trust', 'responsiveness', 'strategic_alignment', 'satisfaction'] %}

with qrc_criteria as (
    select
        account_snapshot_id,
        account_id,
        snapshot_index,
        snapshot_date,
        is_current,
        {%- for criterion in families['qrc'] %}
        {{ criterion }}_score,
        {%- endfor %}
        {%- for criterion in assessment_criteria %}
        {{ criterion }}_is_stale
        {{- "," if not loop.last }}
        {%- endfor %}
    from {{ ref('int_account_snapshot_qrc_criteria') }}
),

attractiveness_criteria as (
    select
        account_id,
        {%- for criterion in families['attractiveness'] %}
        {{ criterion }}_score
        {{- "," if not loop.last }}
        {%- endfor %}
    from {{ ref('int_account_attractiveness_criteria') }}
),

score_criteria as (
    select
        family,
        criterion_code,
        weight
    from {{ ref('score_criteria') }}
),

score_bands as (
    select
        family,
        band_code,
        band_label
    from {{ ref('score_bands') }}
),

-- one row of weights; a criterion missing from the seed weighs 0 (a test guards the seed)
weights as (
    select
        {%- for family, criteria in families.items() %}
        {%- for criterion in criteria %}
        coalesce(max(weight) filter (where family = '{{ family }}' and criterion_code = '{{ criterion }}'), 0)
            as {{ criterion }}_weight,
        {%- endfor %}
        coalesce(sum(weight) filter (where family = '{{ family }}'), 0) as {{ family }}_total_weight
        {{- "," if not loop.last }}
        {%- endfor %}
    from score_criteria
),

criteria as (
    select
        qrc_criteria.*,
        {%- for criterion in families['attractiveness'] %}
        attractiveness_criteria.{{ criterion }}_score
        {{- "," if not loop.last }}
        {%- endfor %}
    from qrc_criteria
    left join attractiveness_criteria
        on qrc_criteria.account_id = attractiveness_criteria.account_id
),

weighted as (
    select
        criteria.*,
        {%- for family, criteria_codes in families.items() %}
        (
            {%- for criterion in criteria_codes %}
            coalesce(weights.{{ criterion }}_weight * criteria.{{ criterion }}_score, 0){{ " +" if not loop.last }}
            {%- endfor %}
        ) as {{ family }}_weighted_sum,
        (
            {%- for criterion in criteria_codes %}
            case when criteria.{{ criterion }}_score is not null then weights.{{ criterion }}_weight else 0 end
            {{- " +" if not loop.last }}
            {%- endfor %}
        ) as {{ family }}_measured_weight,
        weights.{{ family }}_total_weight,
        nullif(concat_ws(', '
            {%- for criterion in criteria_codes %},
            case
                when criteria.{{ criterion }}_score is null and weights.{{ criterion }}_weight > 0
                    then '{{ criterion }}'
            end
            {%- endfor %}
        ), '') as unscored_{{ family }}_criteria
        {{- "," if not loop.last }}
        {%- endfor %}
    from criteria
    cross join weights
),

composed as (
    select
        *,
        {%- for family in families %}
        round({{ family }}_weighted_sum / nullif({{ family }}_measured_weight, 0), 1) as {{ family }}_score,
        {{ family }}_measured_weight / nullif({{ family }}_total_weight, 0) as {{ family }}_coverage
        {{- "," if not loop.last }}
        {%- endfor %}
    from weighted
),

banded as (
    select
        *,
        {%- for family in families %}
        case
            when {{ family }}_score is null then 'unknown'
            when {{ family }}_score < {{ number_var('score_band_low') }} then 'low'
            when {{ family }}_score < {{ number_var('score_band_high') }} then 'medium'
            else 'high'
        end as {{ family }}_band
        {{- "," if not loop.last }}
        {%- endfor %}
    from composed
),

final as (
    select
        banded.account_snapshot_id,
        banded.account_id,
        banded.snapshot_index,
        banded.snapshot_date,
        banded.is_current,
        {%- for family in families %}
        banded.{{ family }}_score,
        banded.{{ family }}_band,
        {{ family }}_bands.band_label as {{ family }}_band_label,
        banded.{{ family }}_coverage,
        banded.{{ family }}_score - previous.{{ family }}_score as {{ family }}_score_change,
        previous.{{ family }}_band as previous_{{ family }}_band,
        banded.unscored_{{ family }}_criteria,
        {%- endfor %}
        (
            {%- for criterion in assessment_criteria %}
            case when banded.{{ criterion }}_is_stale then 1 else 0 end{{ " +" if not loop.last }}
            {%- endfor %}
        ) as stale_assessment_count,
        {%- for family, criteria_codes in families.items() %}
        {%- for criterion in criteria_codes %}
        banded.{{ criterion }}_score
        {{- "," if not (loop.last and family == 'qrc') }}
        {%- endfor %}
        {%- endfor %}
    from banded
    left join banded as previous
        on banded.account_id = previous.account_id
        and banded.snapshot_index + 1 = previous.snapshot_index
    left join score_bands as attractiveness_bands
        on attractiveness_bands.family = 'attractiveness'
        and banded.attractiveness_band = attractiveness_bands.band_code
    left join score_bands as qrc_bands
        on qrc_bands.family = 'qrc'
        and banded.qrc_band = qrc_bands.band_code
)

select * from final
