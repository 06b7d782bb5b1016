{#-
    One row per account and criterion (seed score_criteria) as of the as-of date: the measured
    value, the 0-100 score, the weight of the seed and the weight actually used after
    re-normalising over the criteria that have data, the criterion's contribution to its
    composite (the contributions of a family add up to the account's composite score), the data
    date, whether a manual assessment is stale, and why a criterion is not scored. The drill-down
    behind fct_account_scores, and the input of the coaching priorities.
-#}
{%- set attractiveness_criteria = ['purchase_potential', 'potential_growth', 'market_position', 'solvency',
    'strategic_interest'] %}
{%- set categorical_criteria = ['market_position', 'solvency', 'strategic_interest'] %}
{%- set qrc_criteria = ['share_of_wallet', 'product_family_breadth', 'decision_maker_access', 'contact_network_breadth',
    'interaction_regularity', 'interaction_recency', 'commitments_kept', 'purchase_regularity',
    'purchase_recency', 'trust', 'responsiveness', 'strategic_alignment', 'satisfaction'] %}
{%- set assessment_criteria = ['trust', 'responsiveness', 'strategic_alignment', 'satisfaction'] %}

with qrc_criteria as (
    select * from {{ ref('int_account_snapshot_qrc_criteria') }}
    where is_current
),

attractiveness_criteria as (
    select * from {{ ref('int_account_attractiveness_criteria') }}
),

score_criteria as (
    select
        family,
        criterion_code,
        source,
        weight
    from {{ ref('score_criteria') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

unpivoted as (
    {%- for criterion in attractiveness_criteria %}
    select
        account_id,
        '{{ criterion }}' as criterion_code,
        {%- if criterion in categorical_criteria %}
        cast(null as double) as measured_value,
        {{ criterion }}_category as measured_category,
        {%- else %}
        {{ criterion }}_value as measured_value,
        cast(null as varchar) as measured_category,
        {%- endif %}
        {{ criterion }}_score as score,
        {{ criterion }}_data_date as data_date,
        cast(null as boolean) as is_stale,
        {{ criterion }}_missing_reason as missing_reason
    from attractiveness_criteria
    union all
    {%- endfor %}
    {%- for criterion in qrc_criteria %}
    select
        account_id,
        '{{ criterion }}' as criterion_code,
        {{ criterion }}_value as measured_value,
        cast(null as varchar) as measured_category,
        {{ criterion }}_score as score,
        {{ criterion }}_data_date as data_date,
        {%- if criterion in assessment_criteria %}
        {{ criterion }}_is_stale as is_stale,
        {%- else %}
        cast(null as boolean) as is_stale,
        {%- endif %}
        {{ criterion }}_missing_reason as missing_reason
    from qrc_criteria
    {{- "\n    union all" if not loop.last }}
    {%- endfor %}
),

weighted as (
    select
        unpivoted.*,
        score_criteria.family,
        score_criteria.source,
        score_criteria.weight,
        case when unpivoted.score is not null then score_criteria.weight else 0 end as measured_weight,
        -- added up as exact decimals: doubles added in whatever order the rows arrive gave other
        -- last bits from one build to the next
        cast(sum(
            case when unpivoted.score is not null then cast(score_criteria.weight as decimal(38, 18)) else 0 end
        ) over (partition by unpivoted.account_id, score_criteria.family) as double) as family_measured_weight
    from unpivoted
    inner join score_criteria
        on unpivoted.criterion_code = score_criteria.criterion_code
),

final as (
    select
        weighted.account_id || ':' || weighted.criterion_code as account_criterion_id,
        weighted.account_id,
        as_of.as_of_date,
        weighted.family,
        weighted.criterion_code,
        weighted.source,
        weighted.measured_value,
        weighted.measured_category,
        weighted.score,
        weighted.weight,
        coalesce(weighted.measured_weight / nullif(weighted.family_measured_weight, 0), 0) as effective_weight,
        weighted.score * weighted.measured_weight / nullif(weighted.family_measured_weight, 0) as score_contribution,
        weighted.data_date,
        weighted.is_stale,
        weighted.missing_reason
    from weighted
    cross join as_of
)

select * from final
