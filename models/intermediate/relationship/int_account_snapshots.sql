{#-
    One row per account and history snapshot (int_snapshot_dates) at which the account existed:
    created on or before the snapshot, or buying by then, or of unknown creation date. The
    current snapshot holds every account, so the current scores cover the whole portfolio.
    Each snapshot's trailing window (int_snapshot_windows) ends on the snapshot date.
-#}
with accounts as (
    select
        account_id,
        created_date
    from {{ ref('dim_accounts') }}
),

monthly_sales as (
    select
        account_id,
        month_start_date
    from {{ ref('int_account_monthly_sales') }}
),

snapshots as (
    select
        snapshot_index,
        snapshot_date,
        is_current,
        window_start_date
    from {{ ref('int_snapshot_windows') }}
),

first_purchases as (
    select
        account_id,
        min(month_start_date) as first_purchase_month
    from monthly_sales
    group by account_id
),

existing as (
    select
        accounts.account_id,
        snapshots.snapshot_index,
        snapshots.snapshot_date,
        snapshots.is_current,
        snapshots.window_start_date
    from accounts
    cross join snapshots
    left join first_purchases
        on accounts.account_id = first_purchases.account_id
    where snapshots.is_current
        or accounts.created_date <= snapshots.snapshot_date
        or first_purchases.first_purchase_month <= snapshots.snapshot_date
        or (accounts.created_date is null and first_purchases.first_purchase_month is null)
),

final as (
    select
        account_id || ':' || strftime(snapshot_date, '%Y-%m-%d') as account_snapshot_id,
        account_id,
        snapshot_index,
        snapshot_date,
        is_current,
        window_start_date
    from existing
)

select * from final
