{#-
    The attractiveness criteria of each account, each scored 0-100 by its rule (seed
    score_criteria), with the measured value, the data date and why a criterion is not scored.
    The accounts file has no history: attributes are as delivered, dated as of the as-of date,
    and every snapshot uses them. Purchase potential scores its percentile among the accounts
    whose potential is known (100 x share of them at or below the account).
-#}
with accounts as (
    select
        account_id,
        annual_potential,
        potential_growth_rate,
        market_position,
        credit_rating,
        is_strategic,
        is_renowned,
        is_derived_from_sales
    from {{ ref('dim_accounts') }}
),

score_points as (
    select
        attribute,
        attribute_value,
        points
    from {{ ref('score_points') }}
),

score_scales as (
    select
        criterion_code,
        zero_score_at,
        full_score_at
    from {{ ref('score_scales') }}
),

growth_scale as (
    select
        max(zero_score_at) as zero_score_at,
        max(full_score_at) as full_score_at
    from score_scales
    where criterion_code = 'potential_growth'
),

potential_ranks as (
    select
        account_id,
        cume_dist() over (order by annual_potential) as potential_percentile
    from accounts
    where annual_potential is not null
),

categorised as (
    select
        accounts.*,
        (accounts.potential_growth_rate - growth_scale.zero_score_at)
        / (growth_scale.full_score_at - growth_scale.zero_score_at) as potential_growth_position,
        case
            when accounts.is_strategic then 'strategic'
            when accounts.is_renowned then 'renowned'
            when not accounts.is_strategic and not accounts.is_renowned then 'none'
        end as strategic_interest
    from accounts
    cross join growth_scale
),

scored as (
    select
        categorised.account_id,
        categorised.is_derived_from_sales,
        categorised.annual_potential,
        round(100 * potential_ranks.potential_percentile, 1) as purchase_potential_score,
        categorised.potential_growth_rate,
        -- clamped to the scale; a null stays null (least/greatest would turn it into a bound)
        round(100 * case
            when categorised.potential_growth_position < 0 then 0
            when categorised.potential_growth_position > 1 then 1
            else categorised.potential_growth_position
        end, 1) as potential_growth_score,
        categorised.market_position,
        market_position_points.points as market_position_score,
        categorised.credit_rating,
        solvency_points.points as solvency_score,
        categorised.strategic_interest,
        strategic_points.points as strategic_interest_score
    from categorised
    left join potential_ranks
        on categorised.account_id = potential_ranks.account_id
    left join score_points as market_position_points
        on market_position_points.attribute = 'market_position'
        and categorised.market_position = market_position_points.attribute_value
    left join score_points as solvency_points
        on solvency_points.attribute = 'credit_rating'
        and categorised.credit_rating = solvency_points.attribute_value
    left join score_points as strategic_points
        on strategic_points.attribute = 'strategic_interest'
        and categorised.strategic_interest = strategic_points.attribute_value
),

final as (
    select
        account_id,
        -- purchase potential
        cast(annual_potential as double) as purchase_potential_value,
        purchase_potential_score,
        case when purchase_potential_score is not null then {{ as_of_date() }} end as purchase_potential_data_date,
        case
            when purchase_potential_score is not null then null
            when is_derived_from_sales then 'accounts file not delivered'
            else 'potential unknown'
        end as purchase_potential_missing_reason,
        -- potential growth
        cast(potential_growth_rate as double) as potential_growth_value,
        potential_growth_score,
        case when potential_growth_score is not null then {{ as_of_date() }} end as potential_growth_data_date,
        case
            when potential_growth_score is not null then null
            when is_derived_from_sales then 'accounts file not delivered'
            when potential_growth_rate is not null then 'no scale for potential_growth in seed score_scales'
            else 'potential growth unknown'
        end as potential_growth_missing_reason,
        -- market position
        market_position as market_position_category,
        market_position_score,
        case when market_position_score is not null then {{ as_of_date() }} end as market_position_data_date,
        case
            when market_position_score is not null then null
            when is_derived_from_sales then 'accounts file not delivered'
            when market_position is not null then 'no points for this value in seed score_points'
            else 'market position unknown'
        end as market_position_missing_reason,
        -- solvency
        credit_rating as solvency_category,
        solvency_score,
        case when solvency_score is not null then {{ as_of_date() }} end as solvency_data_date,
        case
            when solvency_score is not null then null
            when is_derived_from_sales then 'accounts file not delivered'
            when credit_rating is not null then 'no points for this value in seed score_points'
            else 'credit rating unknown'
        end as solvency_missing_reason,
        -- strategic interest
        strategic_interest as strategic_interest_category,
        strategic_interest_score,
        case when strategic_interest_score is not null then {{ as_of_date() }} end as strategic_interest_data_date,
        case
            when strategic_interest_score is not null then null
            when is_derived_from_sales then 'accounts file not delivered'
            when strategic_interest is not null then 'no points for this value in seed score_points'
            else 'strategic flags unknown'
        end as strategic_interest_missing_reason
    from scored
)

select * from final
