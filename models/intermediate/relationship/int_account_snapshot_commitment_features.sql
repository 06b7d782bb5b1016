{#-
    Commitments kept at each account and snapshot: the actions of the account's plans that can
    be judged on the snapshot date (int_plan_action_snapshot_status: due in the trailing window,
    done or past their grace period) and how many were done on time.
-#}
with spine as (
    select account_snapshot_id
    from {{ ref('int_account_snapshots') }}
),

action_status as (
    select
        account_id,
        snapshot_date,
        due_date,
        is_on_time
    from {{ ref('int_plan_action_snapshot_status') }}
),

delivery as (
    select count(*) > 0 as is_plan_actions_delivered
    from {{ ref('int_plan_actions') }}
),

commitments as (
    select
        account_id || ':' || strftime(snapshot_date, '%Y-%m-%d') as account_snapshot_id,
        count(*) as judged_action_count,
        count(*) filter (where is_on_time) as on_time_action_count,
        max(due_date) as latest_judged_due_date
    from action_status
    group by account_id, snapshot_date
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
