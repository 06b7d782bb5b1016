{#-
    Rep review: one rep's book of accounts, one row per account the rep owns (dim_accounts
    owner_rep_id), in the order of the visit plan (rep_priority_rank, then net revenue, then
    account_id): segment and lifecycle, trailing-12-month profitability and its recommendation,
    attractiveness and QRC with the matrix cell, and the visits planned for the next period,
    with the rep's capacity and utilisation repeated on every row.

    Parameters (dbt vars, all optional):
      analysis_rep_id   the rep to review (dim_reps.rep_id); default (none): the rep owning the
                        most net revenue of the trailing window (ties by rep_id), so the analysis
                        runs without arguments.

    Run: dbt compile --select analyses/rep_review.sql [--vars '{analysis_rep_id: REP00004}'],
    then run target/compiled/kam/analyses/rep_review.sql on the warehouse, read-only.
-#}
{%- set rep_id = var('analysis_rep_id', none) -%}
{%- if rep_id is none -%}
    {%- set rep_filter = "owned_revenue_position = 1" -%}
{%- else -%}
    {%- set rep_filter = "rep_id = '" ~ (rep_id | string | replace("'", "''")) ~ "'" -%}
{%- endif -%}
with reps as (
    select
        rep_id,
        rep_name,
        role,
        region
    from {{ ref('dim_reps') }}
),

accounts as (
    select
        account_id,
        account_name,
        owner_rep_id,
        region,
        status
    from {{ ref('dim_accounts') }}
),

segments as (
    select
        account_id,
        as_of_date,
        abc_xyz_cell,
        is_key_account,
        lifecycle_stage,
        relationship_type,
        net_revenue_window
    from {{ ref('fct_account_segments') }}
),

profitability as (
    select
        account_id,
        net_contribution,
        cos_to_revenue_ratio,
        profitability_class,
        recommendation,
        needs_attention
    from {{ ref('fct_account_profitability_classes') }}
),

priorities as (
    select
        account_id,
        attractiveness_score,
        qrc_score,
        matrix_cell_code,
        priority_score
    from {{ ref('fct_account_visit_priorities') }}
),

visit_plan as (
    select
        account_id,
        rep_priority_rank,
        demand_visits,
        planned_visits,
        plan_status,
        shortfall_reason
    from {{ ref('fct_account_visit_plan') }}
),

rep_plan as (
    select
        rep_id,
        capacity_visits,
        utilisation
    from {{ ref('fct_rep_visit_plan') }}
),

owned_revenue as (
    select
        accounts.owner_rep_id as rep_id,
        sum(segments.net_revenue_window) as owned_net_revenue_window
    from accounts
    inner join segments
        on accounts.account_id = segments.account_id
    where accounts.owner_rep_id is not null
    group by accounts.owner_rep_id
),

ranked_reps as (
    select
        reps.rep_id,
        reps.rep_name,
        reps.role,
        reps.region,
        row_number() over (
            order by owned_revenue.owned_net_revenue_window desc nulls last, reps.rep_id asc
        ) as owned_revenue_position
    from reps
    left join owned_revenue
        on reps.rep_id = owned_revenue.rep_id
),

selected_rep as (
    select
        rep_id,
        rep_name,
        role,
        region
    from ranked_reps
    where {{ rep_filter }}
),

final as (
    select
        selected_rep.rep_id,
        selected_rep.rep_name,
        selected_rep.role as rep_role,
        selected_rep.region as rep_region,
        rep_plan.capacity_visits as rep_capacity_visits,
        rep_plan.utilisation as rep_utilisation,
        segments.as_of_date,
        accounts.account_id,
        accounts.account_name,
        accounts.region as account_region,
        accounts.status as account_status,
        segments.abc_xyz_cell,
        segments.is_key_account,
        segments.lifecycle_stage,
        segments.relationship_type,
        segments.net_revenue_window,
        profitability.net_contribution as net_contribution_t12m,
        profitability.cos_to_revenue_ratio,
        profitability.profitability_class,
        profitability.recommendation,
        profitability.needs_attention,
        priorities.attractiveness_score,
        priorities.qrc_score,
        priorities.matrix_cell_code,
        priorities.priority_score,
        visit_plan.rep_priority_rank,
        visit_plan.demand_visits,
        visit_plan.planned_visits,
        visit_plan.plan_status,
        visit_plan.shortfall_reason
    from selected_rep
    inner join accounts
        on selected_rep.rep_id = accounts.owner_rep_id
    left join rep_plan
        on selected_rep.rep_id = rep_plan.rep_id
    left join segments
        on accounts.account_id = segments.account_id
    left join profitability
        on accounts.account_id = profitability.account_id
    left join priorities
        on accounts.account_id = priorities.account_id
    left join visit_plan
        on accounts.account_id = visit_plan.account_id
)

select * from final
order by rep_priority_rank asc nulls last, net_revenue_window desc nulls last, account_id asc
