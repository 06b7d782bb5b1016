{#-
    Interactions with each account at each snapshot: months of the trailing window with at least
    one activity tied to the account (any type: visit, call, email, meeting, support,
    consulting, demo), and the last one on or before the snapshot. A window that starts before
    the activity history does is not covered (is_activity_window_covered false).
-#}
with spine as (
    select
        account_snapshot_id,
        account_id,
        snapshot_date,
        window_start_date
    from {{ ref('int_account_snapshots') }}
),

activities as (
    select
        account_id,
        activity_date
    from {{ ref('int_activities') }}
),

activity_history as (
    select
        count(*) > 0 as is_activities_delivered,
        min(activity_date) as activity_history_start_date
    from activities
),

account_days as (
    select distinct
        account_id,
        activity_date
    from activities
    where account_id is not null
),

window_interactions as (
    select
        spine.account_snapshot_id,
        count(distinct date_sub('month', account_days.activity_date, spine.snapshot_date))
            as interaction_month_count
    from spine
    inner join account_days
        on spine.account_id = account_days.account_id
        and account_days.activity_date between spine.window_start_date and spine.snapshot_date
    group by spine.account_snapshot_id
),

last_interactions as (
    select
        spine.account_snapshot_id,
        account_days.activity_date as last_interaction_date
    from spine
    asof inner join account_days
        on spine.account_id = account_days.account_id
        and spine.snapshot_date >= account_days.activity_date
),

final as (
    select
        spine.account_snapshot_id,
        activity_history.is_activities_delivered,
        activity_history.activity_history_start_date,
        coalesce(
            date_trunc('month', activity_history.activity_history_start_date)
            <= date_trunc('month', spine.window_start_date),
            false
        ) as is_activity_window_covered,
        coalesce(window_interactions.interaction_month_count, 0) as interaction_month_count,
        last_interactions.last_interaction_date
    from spine
    cross join activity_history
    left join window_interactions
        on spine.account_snapshot_id = window_interactions.account_snapshot_id
    left join last_interactions
        on spine.account_snapshot_id = last_interactions.account_snapshot_id
)

select * from final
