{#-
    Cell transitions between consecutive snapshots: one row per pair of snapshots (previous,
    next) and pair of cells (from, to) observed, with the number of accounts that made the move
    and their revenue before and after. Rows where from = to are kept (accounts that stayed), so
    each snapshot pair accounts for every account exactly once and a director can read the full
    transition matrix, e.g. AX accounts sliding to BY. abc_direction compares ABC letters.
-#}
with history as (
    select
        account_id,
        snapshot_index,
        snapshot_date,
        previous_snapshot_date,
        previous_abc_xyz_cell,
        abc_xyz_cell,
        previous_net_revenue_window,
        net_revenue_window
    from {{ ref('fct_account_segment_history') }}
),

-- the oldest snapshot has no previous one: it starts the history, it is not a transition
transitions as (
    select
        account_id,
        snapshot_index as to_snapshot_index,
        previous_snapshot_date as from_snapshot_date,
        snapshot_date as to_snapshot_date,
        previous_abc_xyz_cell as from_cell,
        abc_xyz_cell as to_cell,
        previous_net_revenue_window as from_net_revenue_window,
        net_revenue_window as to_net_revenue_window
    from history
    where previous_snapshot_date is not null
),

aggregated as (
    select
        to_snapshot_index,
        from_snapshot_date,
        to_snapshot_date,
        from_cell,
        to_cell,
        count(*) as account_count,
        sum(from_net_revenue_window) as from_net_revenue_window,
        sum(to_net_revenue_window) as to_net_revenue_window
    from transitions
    group by all
),

final as (
    select
        cast(strftime(from_snapshot_date, '%Y-%m-%d') || '>' || strftime(to_snapshot_date, '%Y-%m-%d')
            || ':' || from_cell || '>' || to_cell as varchar) as segment_migration_id,
        cast(from_snapshot_date as date) as from_snapshot_date,
        cast(to_snapshot_date as date) as to_snapshot_date,
        cast(to_snapshot_index = 0 as boolean) as is_latest_period,
        cast(from_cell as varchar) as from_cell,
        cast(to_cell as varchar) as to_cell,
        cast(from_cell = to_cell as boolean) as is_unchanged,
        cast(
            case
                when left(from_cell, 1) not in ('A', 'B', 'C') or left(to_cell, 1) not in ('A', 'B', 'C')
                    then 'not_comparable'
                when left(to_cell, 1) < left(from_cell, 1) then 'up'
                when left(to_cell, 1) > left(from_cell, 1) then 'down'
                else 'same'
            end as varchar
        ) as abc_direction,
        cast(account_count as integer) as account_count,
        cast(from_net_revenue_window as decimal(18, 4)) as from_net_revenue_window,
        cast(to_net_revenue_window as decimal(18, 4)) as to_net_revenue_window,
        cast(account_count / sum(account_count) over (partition by from_snapshot_date, from_cell) as double)
            as share_of_from_cell_accounts
    from aggregated
)

select * from final
