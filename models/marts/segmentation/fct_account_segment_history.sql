{#-
    One row per account and snapshot (int_snapshot_dates: the as-of date and the quarter ends
    before it): the ABC class, XYZ class, cell and lifecycle stage the account had at that date,
    each computed with the same rules as fct_account_segments over the window ending on that
    date. Snapshot 0 equals fct_account_segments. Read by fct_segment_migrations.
-#}
with classes as (
    select
        entity_id,
        group_account_id,
        snapshot_index,
        snapshot_date,
        window_start_date,
        window_end_date,
        net_revenue_window,
        gross_margin_window,
        gross_margin_missing_reason,
        revenue_rank,
        cumulative_revenue_share,
        abc_class,
        abc_margin_class,
        xyz_class,
        coefficient_of_variation,
        demand_class,
        abc_xyz_cell,
        lifecycle_stage,
        days_since_last_purchase,
        lost_threshold_days,
        revenue_z_score
    from {{ ref('int_segment_entity_classes') }}
    where entity_level = 'account'
),

with_previous as (
    select
        classes.*,
        -- snapshots are numbered backwards in time: the previous one has the next index
        lead(snapshot_date) over (partition by entity_id order by snapshot_index) as previous_snapshot_date,
        lead(abc_xyz_cell) over (partition by entity_id order by snapshot_index) as previous_abc_xyz_cell,
        lead(lifecycle_stage) over (partition by entity_id order by snapshot_index) as previous_lifecycle_stage,
        lead(net_revenue_window) over (partition by entity_id order by snapshot_index) as previous_net_revenue_window
    from classes
),

final as (
    select
        cast(entity_id || ':' || strftime(snapshot_date, '%Y-%m-%d') as varchar) as account_snapshot_id,
        cast(entity_id as varchar) as account_id,
        cast(snapshot_index as integer) as snapshot_index,
        cast(snapshot_date as date) as snapshot_date,
        cast(snapshot_index = 0 as boolean) as is_current,
        cast(group_account_id as varchar) as group_account_id,
        cast(window_start_date as date) as window_start_date,
        cast(window_end_date as date) as window_end_date,
        cast(net_revenue_window as decimal(18, 4)) as net_revenue_window,
        cast(gross_margin_window as decimal(18, 4)) as gross_margin_window,
        cast(gross_margin_missing_reason as varchar) as gross_margin_missing_reason,
        cast(revenue_rank as integer) as revenue_rank,
        cast(cumulative_revenue_share as double) as cumulative_revenue_share,
        cast(abc_class as varchar) as abc_class,
        cast(abc_margin_class as varchar) as abc_margin_class,
        cast(xyz_class as varchar) as xyz_class,
        cast(coefficient_of_variation as double) as coefficient_of_variation,
        cast(demand_class as varchar) as demand_class,
        cast(abc_xyz_cell as varchar) as abc_xyz_cell,
        cast(lifecycle_stage as varchar) as lifecycle_stage,
        cast(days_since_last_purchase as integer) as days_since_last_purchase,
        cast(lost_threshold_days as double) as lost_threshold_days,
        cast(revenue_z_score as double) as revenue_z_score,
        cast(previous_snapshot_date as date) as previous_snapshot_date,
        cast(previous_abc_xyz_cell as varchar) as previous_abc_xyz_cell,
        cast(previous_lifecycle_stage as varchar) as previous_lifecycle_stage,
        cast(previous_net_revenue_window as decimal(18, 4)) as previous_net_revenue_window
    from with_previous
)

select * from final
