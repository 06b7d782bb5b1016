{#-
    Profitability class and recommendation (develop, protect, reduce cost to serve,
    renegotiate, withdraw) per account, as of the as-of date: one row per account with a row in
    the current trailing 12 months of fct_account_profitability.
    The rules are the rows of seed profitability_rules, tried in priority order; the first
    whose every condition matches wins ('any' matches everything, a null input matches only
    'any'). Conditions are read from:
    - contribution_status: positive / non_positive / unknown (net contribution, trailing 12m);
    - cos_ratio_band: low / high / very_high against vars cos_ratio_reduce and
      cos_ratio_renegotiate; a cost with no positive revenue is very_high, no cost at all is
      low, an unknown cost of sales is unknown;
    - revenue_trend of the trailing year against the previous one (var growth_threshold);
    - the segment of fct_account_segments: lifecycle_stage, abc_class, is_key_account,
      relationship_type;
    - was_productive: the previous trailing year's net contribution was positive.
    An at-risk account that used to be productive is flagged for attention and protected, never
    withdrawn (first rule).
-#}
with current_trailing_year as (
    select
        account_id,
        as_of_date,
        net_revenue,
        gross_margin,
        cost_of_sales,
        cost_of_sales_coverage,
        net_contribution,
        cos_to_revenue_ratio,
        is_period_to_date,
        previous_period_net_revenue,
        previous_period_to_date_net_revenue,
        previous_period_net_contribution,
        net_revenue_growth_vs_previous,
        revenue_trend
    from {{ ref('fct_account_profitability') }}
    where period_type = 'trailing_12m'
        and is_current_period
),

segments as (
    select
        account_id,
        abc_class,
        xyz_class,
        abc_xyz_cell,
        is_key_account,
        lifecycle_stage,
        relationship_type
    from {{ ref('fct_account_segments') }}
),

rules as (
    select
        rule_id,
        priority,
        contribution_status,
        cos_ratio_band,
        revenue_trend,
        lifecycle_stage,
        abc_class,
        is_key_account,
        relationship_type,
        was_productive,
        profitability_class,
        -- an empty cell is no recommendation, however the csv was read
        nullif(trim(recommendation), '') as recommendation,
        needs_attention,
        rationale
    from {{ ref('profitability_rules') }}
),

rule_inputs as (
    select
        current_trailing_year.*,
        segments.abc_class,
        segments.xyz_class,
        segments.abc_xyz_cell,
        segments.is_key_account,
        segments.lifecycle_stage,
        segments.relationship_type,
        case
            when current_trailing_year.net_contribution is null then 'unknown'
            when current_trailing_year.net_contribution > 0 then 'positive'
            else 'non_positive'
        end as contribution_status,
        case
            when current_trailing_year.cost_of_sales_coverage = 'no_cost_drivers' then 'low'
            when current_trailing_year.cost_of_sales is null then 'unknown'
            -- a cost without positive revenue is the costliest case there is
            when current_trailing_year.net_revenue <= 0 then 'very_high'
            when current_trailing_year.cos_to_revenue_ratio > {{ number_var('cos_ratio_renegotiate') }} then 'very_high'
            when current_trailing_year.cos_to_revenue_ratio > {{ number_var('cos_ratio_reduce') }} then 'high'
            else 'low'
        end as cos_ratio_band,
        case
            when current_trailing_year.previous_period_net_contribution > 0 then 'true'
            when current_trailing_year.previous_period_net_contribution <= 0 then 'false'
        end as was_productive
    from current_trailing_year
    left join segments
        on current_trailing_year.account_id = segments.account_id
),

matched as (
    select
        rule_inputs.*,
        rules.rule_id,
        rules.profitability_class,
        rules.recommendation,
        rules.needs_attention,
        rules.rationale
    from rule_inputs
    left join rules
        on rules.contribution_status in ('any', rule_inputs.contribution_status)
        and rules.cos_ratio_band in ('any', rule_inputs.cos_ratio_band)
        and rules.revenue_trend in ('any', rule_inputs.revenue_trend)
        and rules.lifecycle_stage in ('any', rule_inputs.lifecycle_stage)
        and rules.abc_class in ('any', rule_inputs.abc_class)
        and rules.is_key_account in ('any', cast(rule_inputs.is_key_account as varchar))
        and rules.relationship_type in ('any', rule_inputs.relationship_type)
        and rules.was_productive in ('any', rule_inputs.was_productive)
    qualify row_number() over (partition by rule_inputs.account_id order by rules.priority, rules.rule_id) = 1
),

final as (
    select
        account_id,
        as_of_date,
        -- what the rules read
        net_revenue,
        gross_margin,
        cost_of_sales,
        net_contribution,
        cos_to_revenue_ratio,
        is_period_to_date,
        previous_period_net_revenue,
        previous_period_to_date_net_revenue,
        previous_period_net_contribution,
        net_revenue_growth_vs_previous,
        contribution_status,
        cos_ratio_band,
        revenue_trend,
        cast(was_productive as boolean) as was_productive,
        abc_class,
        xyz_class,
        abc_xyz_cell,
        is_key_account,
        lifecycle_stage,
        relationship_type,
        -- what they decide
        rule_id,
        profitability_class,
        recommendation,
        case when recommendation is null then 'net_contribution_unknown' end as recommendation_missing_reason,
        coalesce(needs_attention, false) as needs_attention,
        rationale
    from matched
)

select * from final
