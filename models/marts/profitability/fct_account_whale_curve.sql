{#-
    The whale curve, ready to plot: one row per account with a row in the current trailing 12
    months of fct_account_profitability, ranked by net contribution (highest first, ties by
    account_id), with the cumulative contribution and its share of the total (y axis) against
    the cumulative share of ranked accounts (x axis). The curve rises over the profitable
    accounts, peaks, then falls to 100% of the total as the loss-making tail destroys profit.
    Only accounts whose net contribution is known are ranked: the others keep a row with null
    rank and cumulative values (and their reason), so the curve never mixes in a zero for an
    unknown and agg_whale_curve_summary says how much revenue was left out. Shares of the total
    are null when the total contribution is not positive (a share of a loss has no meaning).
-#}
with current_trailing_year as (
    select
        account_id,
        as_of_date,
        period_start_date,
        period_end_date,
        net_revenue,
        gross_margin,
        cost_of_sales,
        net_contribution,
        net_contribution_missing_reason
    from {{ ref('fct_account_profitability') }}
    where period_type = 'trailing_12m'
        and is_current_period
),

ranked as (
    select
        *,
        case
            when net_contribution is not null
                then row_number() over (
                    partition by net_contribution is not null
                    order by net_contribution desc, account_id asc
                )
        end as contribution_rank
    from current_trailing_year
),

accumulated as (
    select
        *,
        case
            when contribution_rank is not null
                then sum(net_contribution) over (
                    partition by contribution_rank is not null
                    order by contribution_rank
                    rows between unbounded preceding and current row
                )
        end as cumulative_net_contribution,
        count(contribution_rank) over () as ranked_account_count,
        sum(net_contribution) over () as total_net_contribution
    from ranked
),

peaked as (
    select
        *,
        max(cumulative_net_contribution) over () as peak_cumulative_net_contribution
    from accumulated
),

peak_rank as (
    -- the first rank reaching the peak, so the peak is one account even if the curve is flat there
    select min(contribution_rank) as peak_contribution_rank
    from peaked
    where cumulative_net_contribution = peak_cumulative_net_contribution
),

final as (
    select
        peaked.account_id,
        peaked.as_of_date,
        peaked.period_start_date,
        peaked.period_end_date,
        peaked.net_revenue,
        peaked.gross_margin,
        peaked.cost_of_sales,
        peaked.net_contribution,
        peaked.net_contribution_missing_reason,
        peaked.net_contribution < 0 as is_loss_making,
        cast(peaked.contribution_rank as bigint) as contribution_rank,
        cast(peaked.contribution_rank as double) / nullif(peaked.ranked_account_count, 0) as cumulative_account_share,
        cast(peaked.cumulative_net_contribution as decimal(18, 4)) as cumulative_net_contribution,
        case
            when peaked.total_net_contribution > 0
                then peaked.cumulative_net_contribution / peaked.total_net_contribution
        end as cumulative_contribution_share,
        peaked.contribution_rank = peak_rank.peak_contribution_rank as is_curve_peak,
        peaked.contribution_rank > peak_rank.peak_contribution_rank as is_in_tail
    from peaked
    cross join peak_rank
)

select * from final
