{#-
    The whale curve ends at 100% of the total contribution: the last ranked account's
    cumulative contribution is the total of the ranked accounts (share 1 when the total is
    positive), ranks run 1..n without gaps, and the summary's peak and loss-making count
    match the curve.
-#}
with curve as (
    select * from {{ ref('fct_account_whale_curve') }}
),

last_point as (
    select
        cumulative_net_contribution,
        cumulative_contribution_share
    from curve
    where curve.contribution_rank = (select max(ranked_curve.contribution_rank) from curve as ranked_curve)
),

totals as (
    select
        count(contribution_rank) as ranked,
        max(contribution_rank) as max_rank,
        count(distinct contribution_rank) as distinct_ranks,
        sum(net_contribution) as total,
        max(cumulative_net_contribution) as peak,
        count(*) filter (where is_loss_making) as loss_making
    from curve
),

summary as (
    select * from {{ ref('agg_whale_curve_summary') }}
)

select 'last point is not the total' as failure
from last_point
cross join totals
where abs(last_point.cumulative_net_contribution - totals.total) > 0.01
    or (totals.total > 0 and abs(last_point.cumulative_contribution_share - 1) > 0.000001)
union all
select 'ranks are not 1..n' as failure
from totals
where totals.ranked > 0 and (totals.max_rank != totals.ranked or totals.distinct_ranks != totals.ranked)
union all
select 'summary disagrees with the curve' as failure
from totals
cross join summary
where summary.ranked_account_count != totals.ranked
    or abs(coalesce(summary.peak_cumulative_net_contribution, 0) - coalesce(totals.peak, 0)) > 0.01
    or (totals.ranked > 0 and summary.loss_making_account_count != totals.loss_making)
