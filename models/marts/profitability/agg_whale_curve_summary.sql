{#-
    The whale curve in one row (current trailing 12 months): total contribution, the peak of
    the curve (how much the profitable accounts earn before the tail destroys part of it, and
    how many accounts that takes), the share of that peak the tail destroys, and the number of
    loss-making accounts. curve_status says whether the curve covers every account
    ('complete'), only those with a known net contribution ('partial': see
    unranked_net_revenue_share), none ('not_available', e.g. a sales-only export without costs)
    or cannot be read as shares because the total is not positive ('non_positive_total').
-#}
with whale_curve as (
    select
        account_id,
        as_of_date,
        net_revenue,
        net_contribution,
        is_loss_making,
        contribution_rank,
        cumulative_net_contribution,
        cumulative_contribution_share,
        is_curve_peak
    from {{ ref('fct_account_whale_curve') }}
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

totals as (
    select
        count(*) as account_count,
        count(contribution_rank) as ranked_account_count,
        count(*) - count(contribution_rank) as unranked_account_count,
        sum(net_revenue) as total_net_revenue,
        sum(net_revenue) filter (where contribution_rank is null) as unranked_net_revenue,
        sum(net_contribution) as total_net_contribution,
        sum(net_contribution) filter (where net_contribution > 0) as positive_net_contribution,
        sum(net_contribution) filter (where net_contribution < 0) as negative_net_contribution,
        count(*) filter (where is_loss_making) as loss_making_account_count,
        max(cumulative_net_contribution) as peak_cumulative_net_contribution,
        max(contribution_rank) filter (where is_curve_peak) as peak_account_count
    from whale_curve
),

final as (
    select
        as_of.as_of_date,
        case
            when totals.ranked_account_count = 0 then 'not_available'
            when totals.total_net_contribution <= 0 then 'non_positive_total'
            when totals.unranked_account_count > 0 then 'partial'
            else 'complete'
        end as curve_status,
        totals.account_count,
        totals.ranked_account_count,
        totals.unranked_account_count,
        case
            when totals.total_net_revenue > 0
                then coalesce(totals.unranked_net_revenue, 0) / totals.total_net_revenue
        end as unranked_net_revenue_share,
        cast(totals.total_net_contribution as decimal(18, 4)) as total_net_contribution,
        cast(totals.positive_net_contribution as decimal(18, 4)) as positive_net_contribution,
        cast(totals.negative_net_contribution as decimal(18, 4)) as negative_net_contribution,
        case when totals.ranked_account_count > 0 then totals.loss_making_account_count end
            as loss_making_account_count,
        case
            when totals.ranked_account_count > 0
                then cast(totals.loss_making_account_count as double) / totals.ranked_account_count
        end as loss_making_account_share,
        cast(totals.peak_cumulative_net_contribution as decimal(18, 4)) as peak_cumulative_net_contribution,
        case
            when totals.total_net_contribution > 0
                then totals.peak_cumulative_net_contribution / totals.total_net_contribution
        end as peak_contribution_share,
        totals.peak_account_count,
        cast(totals.peak_account_count as double) / nullif(totals.ranked_account_count, 0) as peak_account_share,
        cast(totals.peak_cumulative_net_contribution - totals.total_net_contribution as decimal(18, 4))
            as tail_destroyed_contribution,
        case
            when totals.peak_cumulative_net_contribution > 0
                then (totals.peak_cumulative_net_contribution - totals.total_net_contribution)
                / totals.peak_cumulative_net_contribution
        end as tail_destroyed_share_of_peak
    from totals
    cross join as_of
    -- no as-of date means no data at all (an empty build): no summary row rather than a null key
    where as_of.as_of_date is not null
)

select * from final
