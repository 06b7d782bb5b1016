{#-
    Account dossier: everything the warehouse knows about one account, in one row: who it is
    and who owns it, its segment (ABC-XYZ, key-account types, relationship, lifecycle, share of
    wallet), its trailing-12-month profitability and recommendation with its place on the whale
    curve, attractiveness and QRC with the QRC criteria scoring in the low band (below var
    score_band_low, weakest first), its cell and planned visits, and its opportunities. Unknown
    values stay null (the marts' missing-reason columns say why).

    Parameters (dbt vars, all optional):
      analysis_account_id   the account (dim_accounts.account_id); default (none): the account
                            with the largest net revenue of the trailing window (ties by
                            account_id), so the analysis runs without arguments.

    Run: dbt compile --select analyses/account_dossier.sql [--vars '{analysis_account_id: ACC0000001}'],
    then run target/compiled/kam/analyses/account_dossier.sql on the warehouse, read-only.
-#}
{%- set account_id = var('analysis_account_id', none) -%}
{%- if account_id is none -%}
    {%- set account_filter = "revenue_position = 1" -%}
{%- else -%}
    {%- set account_filter = "account_id = '" ~ (account_id | string | replace("'", "''")) ~ "'" -%}
{%- endif -%}
with accounts as (
    select
        account_id,
        account_name,
        group_account_name,
        sector,
        country,
        region,
        size_band,
        status,
        owner_rep_id
    from {{ ref('dim_accounts') }}
),

reps as (
    select
        rep_id,
        rep_name
    from {{ ref('dim_reps') }}
),

segments as (
    select
        account_id,
        as_of_date,
        abc_class,
        xyz_class,
        abc_xyz_cell,
        demand_class,
        is_key_account,
        key_account_types,
        relationship_type,
        lifecycle_stage,
        portfolio_class,
        annual_potential,
        share_of_wallet,
        net_revenue_window,
        revenue_rank,
        first_purchase_date,
        last_purchase_date,
        days_since_last_purchase
    from {{ ref('fct_account_segments') }}
),

profitability as (
    select
        account_id,
        net_revenue,
        gross_margin,
        cost_of_sales,
        net_contribution,
        cos_to_revenue_ratio,
        net_revenue_growth_vs_previous,
        profitability_class,
        recommendation,
        rationale
    from {{ ref('fct_account_profitability_classes') }}
),

whale_curve as (
    select
        account_id,
        contribution_rank,
        is_in_tail
    from {{ ref('fct_account_whale_curve') }}
),

scores as (
    select
        account_id,
        attractiveness_score,
        attractiveness_band,
        qrc_score,
        qrc_band,
        qrc_coverage,
        qrc_score_change
    from {{ ref('fct_account_scores') }}
),

criterion_scores as (
    select
        account_id,
        criterion_code,
        score
    from {{ ref('fct_account_criterion_scores') }}
    where family = 'qrc'
),

priorities as (
    select
        account_id,
        matrix_cell_code,
        matrix_cell_label
    from {{ ref('fct_account_visit_priorities') }}
),

visit_plan as (
    select
        account_id,
        demand_visits,
        planned_visits,
        plan_status
    from {{ ref('fct_account_visit_plan') }}
),

opportunity_flow as (
    select
        account_id,
        open_count,
        open_amount,
        win_rate_by_count,
        opportunity_flow_missing_reason
    from {{ ref('fct_account_opportunity_flow') }}
),

ranked_accounts as (
    select
        accounts.account_id,
        row_number() over (
            order by segments.net_revenue_window desc nulls last, accounts.account_id asc
        ) as revenue_position
    from accounts
    left join segments
        on accounts.account_id = segments.account_id
),

selected_account as (
    select account_id
    from ranked_accounts
    where {{ account_filter }}
),

low_criteria as (
    select
        criterion_scores.account_id,
        string_agg(
            criterion_scores.criterion_code, ', '
            order by criterion_scores.score, criterion_scores.criterion_code
        ) as low_qrc_criteria
    from criterion_scores
    inner join selected_account
        on criterion_scores.account_id = selected_account.account_id
    where criterion_scores.score < {{ number_var('score_band_low') }}
    group by criterion_scores.account_id
),

final as (
    select
        accounts.account_id,
        accounts.account_name,
        accounts.group_account_name,
        accounts.sector,
        accounts.country,
        accounts.region,
        accounts.size_band,
        accounts.status,
        accounts.owner_rep_id,
        reps.rep_name as owner_rep_name,
        segments.as_of_date,
        segments.abc_class,
        segments.xyz_class,
        segments.abc_xyz_cell,
        segments.demand_class,
        segments.is_key_account,
        segments.key_account_types,
        segments.relationship_type,
        segments.lifecycle_stage,
        segments.portfolio_class,
        segments.annual_potential,
        segments.share_of_wallet,
        segments.net_revenue_window,
        segments.revenue_rank,
        segments.first_purchase_date,
        segments.last_purchase_date,
        segments.days_since_last_purchase,
        profitability.net_revenue as net_revenue_t12m,
        profitability.gross_margin as gross_margin_t12m,
        profitability.cost_of_sales as cost_of_sales_t12m,
        profitability.net_contribution as net_contribution_t12m,
        profitability.cos_to_revenue_ratio,
        profitability.net_revenue_growth_vs_previous,
        profitability.profitability_class,
        profitability.recommendation,
        profitability.rationale,
        whale_curve.contribution_rank,
        whale_curve.is_in_tail,
        scores.attractiveness_score,
        scores.attractiveness_band,
        scores.qrc_score,
        scores.qrc_band,
        scores.qrc_coverage,
        scores.qrc_score_change,
        low_criteria.low_qrc_criteria,
        priorities.matrix_cell_code,
        priorities.matrix_cell_label,
        visit_plan.demand_visits,
        visit_plan.planned_visits,
        visit_plan.plan_status,
        opportunity_flow.open_count as open_opportunity_count,
        opportunity_flow.open_amount as open_opportunity_amount,
        opportunity_flow.win_rate_by_count,
        opportunity_flow.opportunity_flow_missing_reason
    from selected_account
    inner join accounts
        on selected_account.account_id = accounts.account_id
    left join reps
        on accounts.owner_rep_id = reps.rep_id
    left join segments
        on accounts.account_id = segments.account_id
    left join profitability
        on accounts.account_id = profitability.account_id
    left join whale_curve
        on accounts.account_id = whale_curve.account_id
    left join scores
        on accounts.account_id = scores.account_id
    left join low_criteria
        on accounts.account_id = low_criteria.account_id
    left join priorities
        on accounts.account_id = priorities.account_id
    left join visit_plan
        on accounts.account_id = visit_plan.account_id
    left join opportunity_flow
        on accounts.account_id = opportunity_flow.account_id
)

select * from final
