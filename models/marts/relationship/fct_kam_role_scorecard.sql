{#-
    One row per key account manager (dim_reps role 'kam') as of the as-of date: the four roles of
    the KAM, each 0-100 from data, null where the data does not exist (with the reason).
    - watcher: share of the KAM's current account plans whose SWOT was updated within var
      swot_stale_days;
    - businessman: mean of the shares of current plans co-built with the client and with
      objectives set;
    - networker: mean, over the KAM's current accounts, of the QRC criteria contact_network_breadth
      (contacts across functions) and decision_maker_access (contacts by level);
    - conductor: share of the plan actions of the KAM's plans, judged in the trailing window, done
      on time (the rule of the QRC criterion commitments_kept).
    Current plan: started on or before the as-of date and not ended before it.
-#}
with reps as (
    select
        rep_id,
        rep_name
    from {{ ref('dim_reps') }}
    where role = 'kam'
),

plans as (
    select
        plan_id,
        owner_rep_id,
        plan_start_date,
        plan_end_date,
        swot_updated_date,
        is_co_built_with_client,
        has_objectives
    from {{ ref('int_account_plans') }}
),

action_status as (
    select
        plan_owner_rep_id,
        is_on_time
    from {{ ref('int_plan_action_snapshot_status') }}
    where is_current
),

accounts as (
    select
        account_id,
        owner_rep_id
    from {{ ref('dim_accounts') }}
    where status != 'former'
),

network_scores as (
    select
        account_id,
        score
    from {{ ref('fct_account_criterion_scores') }}
    where criterion_code in ('contact_network_breadth', 'decision_maker_access')
),

as_of as (
    select {{ as_of_date() }} as as_of_date
),

deliveries as (
    select
        (select count(*) from plans) > 0 as is_plans_delivered,
        (select count(*) from {{ ref('int_plan_actions') }}) > 0 as is_plan_actions_delivered,
        (select count(*) from {{ ref('int_contacts') }}) > 0 as is_contacts_delivered
),

current_plans as (
    select
        plans.owner_rep_id,
        count(*) as current_plan_count,
        count(*) filter (
            where plans.swot_updated_date <= as_of.as_of_date
            and plans.swot_updated_date > as_of.as_of_date - to_days({{ number_var('swot_stale_days') }})
        ) as current_swot_plan_count,
        avg(cast(plans.is_co_built_with_client as double))
            filter (where plans.is_co_built_with_client is not null) as co_built_plan_share,
        avg(cast(plans.has_objectives as double))
            filter (where plans.has_objectives is not null) as objectives_plan_share
    from plans
    cross join as_of
    where plans.plan_start_date <= as_of.as_of_date
        and (plans.plan_end_date is null or plans.plan_end_date >= as_of.as_of_date)
    group by plans.owner_rep_id
),

judged_actions as (
    select
        plan_owner_rep_id,
        count(*) as judged_action_count,
        count(*) filter (where is_on_time) as on_time_action_count
    from action_status
    group by plan_owner_rep_id
),

networks as (
    select
        accounts.owner_rep_id,
        count(distinct accounts.account_id) as account_count,
        -- the mean of exact sums (scores to 18 decimals, finer than a double holds them): a mean of
        -- doubles changes in its last bits with the order the rows arrive in
        avg(cast(network_scores.score as decimal(38, 18))) as network_score
    from accounts
    left join network_scores
        on accounts.account_id = network_scores.account_id
    group by accounts.owner_rep_id
),

final as (
    select
        reps.rep_id,
        reps.rep_name,
        as_of.as_of_date,
        cast(coalesce(networks.account_count, 0) as integer) as account_count,
        cast(coalesce(current_plans.current_plan_count, 0) as integer) as current_plan_count,
        -- watcher
        round(100 * current_plans.current_swot_plan_count / current_plans.current_plan_count, 1)
            as watcher_score,
        case
            when current_plans.current_plan_count > 0 then null
            when not deliveries.is_plans_delivered then 'account plans not delivered'
            else 'no current account plan'
        end as watcher_missing_reason,
        -- businessman
        current_plans.co_built_plan_share,
        current_plans.objectives_plan_share,
        round(100 * case
            when current_plans.co_built_plan_share is null then current_plans.objectives_plan_share
            when current_plans.objectives_plan_share is null then current_plans.co_built_plan_share
            else (current_plans.co_built_plan_share + current_plans.objectives_plan_share) / 2
        end, 1) as businessman_score,
        case
            when current_plans.co_built_plan_share is not null or current_plans.objectives_plan_share is not null
                then null
            when not deliveries.is_plans_delivered then 'account plans not delivered'
            when current_plans.current_plan_count > 0 then 'co-building and objectives not recorded'
            else 'no current account plan'
        end as businessman_missing_reason,
        -- networker
        round(networks.network_score, 1) as networker_score,
        case
            when networks.network_score is not null then null
            when not deliveries.is_contacts_delivered then 'contacts not delivered'
            else 'no current account'
        end as networker_missing_reason,
        -- conductor
        cast(coalesce(judged_actions.judged_action_count, 0) as integer) as judged_action_count,
        round(100 * judged_actions.on_time_action_count / judged_actions.judged_action_count, 1)
            as conductor_score,
        case
            when judged_actions.judged_action_count > 0 then null
            when not deliveries.is_plan_actions_delivered then 'plan actions not delivered'
            else 'no plan action due in the window'
        end as conductor_missing_reason
    from reps
    cross join as_of
    cross join deliveries
    left join current_plans
        on reps.rep_id = current_plans.owner_rep_id
    left join judged_actions
        on reps.rep_id = judged_actions.plan_owner_rep_id
    left join networks
        on reps.rep_id = networks.owner_rep_id
)

select * from final
