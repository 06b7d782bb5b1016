{#-
    Portfolio review: the account portfolio by ABC-XYZ cell as of the as-of date, one row per
    cell (empty cells included, in the display order of seed segment_cells): accounts, key
    accounts, at-risk accounts, net revenue of the trailing window and its share, net
    contribution of the trailing 12 months with how many accounts have it unknown, loss-making
    accounts, mean QRC and attractiveness, and the visits planned for the next period.
    Sums of unknown values stay unknown: net_contribution covers the accounts whose contribution
    is known (contribution_unknown_account_count says how many are not); an empty cell has
    counts 0 and null sums.

    Parameters (dbt vars, all optional):
      analysis_region   only the accounts of this sales region (dim_accounts.region);
                        default (none): every account.

    Run: dbt compile --select analyses/portfolio_review.sql [--vars '{analysis_region: North}'],
    then run target/compiled/kam/analyses/portfolio_review.sql on the warehouse, read-only.
-#}
{%- set region = var('analysis_region', none) -%}
with cells as (
    select
        abc_xyz_cell,
        cell_order,
        recommended_treatment
    from {{ ref('agg_segment_cells') }}
    where entity_level = 'account'
),

accounts as (
    select
        account_id,
        region
    from {{ ref('dim_accounts') }}
),

segments as (
    select
        account_id,
        as_of_date,
        abc_xyz_cell,
        is_key_account,
        lifecycle_stage,
        net_revenue_window
    from {{ ref('fct_account_segments') }}
),

profitability as (
    select
        account_id,
        net_revenue,
        net_contribution
    from {{ ref('fct_account_profitability_classes') }}
),

scores as (
    select
        account_id,
        qrc_score,
        attractiveness_score
    from {{ ref('fct_account_scores') }}
),

visit_plan as (
    select
        account_id,
        demand_visits,
        planned_visits
    from {{ ref('fct_account_visit_plan') }}
),

selected_accounts as (
    select
        segments.account_id,
        segments.as_of_date,
        segments.abc_xyz_cell,
        segments.is_key_account,
        segments.lifecycle_stage,
        segments.net_revenue_window
    from segments
    inner join accounts
        on segments.account_id = accounts.account_id
    {%- if region is not none %}
    where accounts.region = '{{ region | string | replace("'", "''") }}'
    {%- endif %}
),

account_facts as (
    select
        selected_accounts.account_id,
        selected_accounts.as_of_date,
        selected_accounts.abc_xyz_cell,
        selected_accounts.is_key_account,
        selected_accounts.lifecycle_stage,
        selected_accounts.net_revenue_window,
        profitability.net_revenue as net_revenue_t12m,
        profitability.net_contribution as net_contribution_t12m,
        scores.qrc_score,
        scores.attractiveness_score,
        visit_plan.demand_visits,
        visit_plan.planned_visits
    from selected_accounts
    left join profitability
        on selected_accounts.account_id = profitability.account_id
    left join scores
        on selected_accounts.account_id = scores.account_id
    left join visit_plan
        on selected_accounts.account_id = visit_plan.account_id
),

by_cell as (
    select
        abc_xyz_cell,
        max(as_of_date) as as_of_date,
        count(*) as account_count,
        count_if(is_key_account) as key_account_count,
        count_if(lifecycle_stage = 'at_risk') as at_risk_account_count,
        sum(net_revenue_window) as net_revenue_window,
        -- shares of the positive revenue, like agg_segment_cells: the 'none' cell holds 0
        sum(greatest(net_revenue_window, 0)) as positive_net_revenue_window,
        sum(net_contribution_t12m) as net_contribution_t12m,
        count_if(net_revenue_t12m is not null and net_contribution_t12m is null)
            as contribution_unknown_account_count,
        count_if(net_contribution_t12m < 0) as loss_making_account_count,
        avg(qrc_score) as mean_qrc_score,
        avg(attractiveness_score) as mean_attractiveness_score,
        sum(demand_visits) as visit_demand,
        sum(planned_visits) as planned_visits
    from account_facts
    group by abc_xyz_cell
),

portfolio_total as (
    select sum(positive_net_revenue_window) as positive_net_revenue_window
    from by_cell
),

final as (
    select
        cells.cell_order,
        cells.abc_xyz_cell,
        cells.recommended_treatment,
        by_cell.as_of_date,
        coalesce(by_cell.account_count, 0) as account_count,
        coalesce(by_cell.key_account_count, 0) as key_account_count,
        coalesce(by_cell.at_risk_account_count, 0) as at_risk_account_count,
        by_cell.net_revenue_window,
        coalesce(by_cell.positive_net_revenue_window, 0)
        / nullif(portfolio_total.positive_net_revenue_window, 0) as revenue_share,
        by_cell.net_contribution_t12m,
        coalesce(by_cell.contribution_unknown_account_count, 0) as contribution_unknown_account_count,
        coalesce(by_cell.loss_making_account_count, 0) as loss_making_account_count,
        by_cell.mean_qrc_score,
        by_cell.mean_attractiveness_score,
        by_cell.visit_demand,
        by_cell.planned_visits
    from cells
    left join by_cell
        on cells.abc_xyz_cell = by_cell.abc_xyz_cell
    cross join portfolio_total
)

select * from final
order by cell_order, abc_xyz_cell
