{#-
    Commitments kept at each account and snapshot: the actions of the account's plans that fell
    due in the trailing window and can be judged on the snapshot date, and how many were done on
    time (completed by then, at most var action_grace_days after the due date). An action not
    done whose grace period has not yet run out cannot be judged yet and is left out.
-#}
with spine as (
    select
        account_snapshot_id,
        account_id,
        snapshot_date,
        window_start_date
    from {{ ref('int_account_snapshots') }}
),

plans as (
    select
        plan_id,
        account_id
    from {{ ref('int_account_plans') }}
),

actions as (
    select
        action_id,
        plan_id,
        due_date,
        completed_date
    from {{ ref('int_plan_actions') }}
),

delivery as (
    select count(*) > 0 as is_plan_actions_delivered
    from actions
),

account_actions as (
    select
        plans.account_id,
        actions.action_id,
        actions.due_date,
        actions.completed_date
    from actions
    inner join plans
        on actions.plan_id = plans.plan_id
),

judged_actions as (
    select
        spine.account_snapshot_id,
        account_actions.due_date,
        coalesce(
            account_actions.completed_date <= spine.snapshot_date
            and account_actions.completed_date
            <= account_actions.due_date + to_days({{ number_var('action_grace_days') }}),
            false
        ) as is_on_time
    from spine
    inner join account_actions
        on spine.account_id = account_actions.account_id
        and account_actions.due_date between spine.window_start_date and spine.snapshot_date
    where account_actions.completed_date <= spine.snapshot_date
        or account_actions.due_date + to_days({{ number_var('action_grace_days') }}) < spine.snapshot_date
),

commitments as (
    select
        account_snapshot_id,
        count(*) as judged_action_count,
        count(*) filter (where is_on_time) as on_time_action_count,
        max(due_date) as latest_judged_due_date
    from judged_actions
    group by account_snapshot_id
),

final as (
    select
        spine.account_snapshot_id,
        delivery.is_plan_actions_delivered,
        coalesce(commitments.judged_action_count, 0) as judged_action_count,
        coalesce(commitments.on_time_action_count, 0) as on_time_action_count,
        commitments.latest_judged_due_date
    from spine
    cross join delivery
    left join commitments
        on spine.account_snapshot_id = commitments.account_snapshot_id
)

select * from final
