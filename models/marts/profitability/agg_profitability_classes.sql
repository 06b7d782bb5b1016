{#-
    The portfolio by profitability class and recommendation (current trailing 12 months): how
    many accounts, how much revenue, margin, cost of sales and contribution each combination
    holds, and how many accounts are flagged for attention. A money total is null when any
    account in the group has it unknown (unknown is not zero).
-#}
with classes as (
    select
        account_id,
        as_of_date,
        profitability_class,
        recommendation,
        needs_attention,
        net_revenue,
        gross_margin,
        cost_of_sales,
        net_contribution
    from {{ ref('fct_account_profitability_classes') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

grouped as (
    select
        profitability_class,
        recommendation,
        count(*) as account_count,
        count(*) filter (where needs_attention) as needs_attention_count,
        sum(net_revenue) as net_revenue,
        case when count(gross_margin) = count(*) then sum(gross_margin) end as gross_margin,
        case when count(cost_of_sales) = count(*) then sum(cost_of_sales) end as cost_of_sales,
        case when count(net_contribution) = count(*) then sum(net_contribution) end as net_contribution,
        count(*) filter (where net_contribution < 0) as loss_making_account_count
    from classes
    group by profitability_class, recommendation
),

final as (
    select
        grouped.profitability_class || ':' || coalesce(grouped.recommendation, 'none') as class_recommendation_id,
        as_of.as_of_date,
        grouped.profitability_class,
        grouped.recommendation,
        grouped.account_count,
        cast(grouped.account_count as double) / sum(grouped.account_count) over () as account_share,
        grouped.needs_attention_count,
        grouped.loss_making_account_count,
        cast(grouped.net_revenue as decimal(18, 4)) as net_revenue,
        cast(grouped.gross_margin as decimal(18, 4)) as gross_margin,
        cast(grouped.cost_of_sales as decimal(18, 4)) as cost_of_sales,
        cast(grouped.net_contribution as decimal(18, 4)) as net_contribution,
        case when grouped.net_revenue > 0 then grouped.cost_of_sales / grouped.net_revenue end as cos_to_revenue_ratio
    from grouped
    cross join as_of
)

select * from final
