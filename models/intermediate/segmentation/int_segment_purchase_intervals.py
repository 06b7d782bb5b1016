"""Purchase-interval statistics, ADI, CV^2 and demand class per account/group and snapshot.

DuckDB gathers the lists (day gaps between purchase days up to each snapshot, purchase periods
of the window with their revenue); kam.segmentation turns them into figures (pytest-covered).
"""

from kam.segmentation import purchase_interval_statistics

GATHER_SQL = """
with purchase_days as (
    select segment_entity_id, sales_date
    from entity_days
    where is_purchase_day
),
gaps as (
    select
        segment_entity_id,
        sales_date,
        sales_date - lag(sales_date) over (partition by segment_entity_id order by sales_date)
            as interval_days
    from purchase_days
),
history as (
    select
        gaps.segment_entity_id || ':' || snapshots.snapshot_index as segment_entity_snapshot_id,
        count(*) as purchase_day_count,
        list(gaps.interval_days order by gaps.sales_date)
            filter (where gaps.interval_days is not null) as interval_days
    from gaps
    inner join snapshots on gaps.sales_date <= snapshots.snapshot_date
    group by all
),
window_periods as (
    select
        segment_entity_id || ':' || snapshot_index as segment_entity_snapshot_id,
        list(period_index order by period_index) as window_purchase_periods,
        list(cast(net_revenue as double) order by period_index) as window_purchase_revenues
    from entity_periods
    where is_in_window and is_purchase_period
    group by all
)
select
    history.segment_entity_snapshot_id,
    history.purchase_day_count,
    history.interval_days,
    window_periods.window_purchase_periods,
    window_periods.window_purchase_revenues
from history
left join window_periods
    on history.segment_entity_snapshot_id = window_periods.segment_entity_snapshot_id
order by history.segment_entity_snapshot_id
"""


def model(dbt, session):
    dbt.config(materialized="table")
    entity_days = dbt.ref("int_segment_entity_days")  # noqa: F841 (read by GATHER_SQL)
    entity_periods = dbt.ref("int_segment_entity_periods")  # noqa: F841
    snapshots = dbt.ref("int_snapshot_dates")  # noqa: F841
    gathered = session.sql(GATHER_SQL).df()
    return purchase_interval_statistics(
        gathered,
        adi_cutoff=float(dbt.config.get("sbc_adi_cutoff")),
        cv2_cutoff=float(dbt.config.get("sbc_cv2_cutoff")),
    )
