{#-
    One row per plan action and history snapshot at which the action can be judged: due in the
    snapshot's trailing window, and either completed by the snapshot date or past its grace
    period (due date + var action_grace_days before the snapshot). An action not done whose
    grace period has not run out cannot be judged yet. On time = completed by the snapshot and
    at most var action_grace_days after the due date. Read by the QRC criterion commitments_kept
    (per account) and the KAM conductor role (per plan owner).
-#}
with snapshots as (
    select
        snapshot_index,
        snapshot_date,
        is_current,
        window_start_date
    from {{ ref('int_snapshot_windows') }}
),

plans as (
    select
        plan_id,
        account_id,
        owner_rep_id
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

judged as (
    select
        actions.action_id,
        snapshots.snapshot_index,
        snapshots.snapshot_date,
        snapshots.is_current,
        plans.plan_id,
        plans.account_id,
        plans.owner_rep_id as plan_owner_rep_id,
        actions.due_date,
        actions.completed_date,
        coalesce(
            actions.completed_date <= snapshots.snapshot_date
            and actions.completed_date <= actions.due_date + to_days({{ number_var('action_grace_days') }}),
            false
        ) as is_on_time
    from actions
    inner join plans
        on actions.plan_id = plans.plan_id
    inner join snapshots
        on actions.due_date between snapshots.window_start_date and snapshots.snapshot_date
    where actions.completed_date <= snapshots.snapshot_date
        or actions.due_date + to_days({{ number_var('action_grace_days') }}) < snapshots.snapshot_date
),

final as (
    select
        action_id || ':' || strftime(snapshot_date, '%Y-%m-%d') as action_snapshot_id,
        action_id,
        snapshot_index,
        snapshot_date,
        is_current,
        plan_id,
        account_id,
        plan_owner_rep_id,
        due_date,
        completed_date,
        is_on_time
    from judged
)

select * from final
