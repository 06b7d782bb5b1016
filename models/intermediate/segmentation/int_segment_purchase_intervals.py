"""Purchase-interval statistics, ADI, CV^2 and demand class per account/group and snapshot.

DuckDB aggregates (kam.segmentation.GATHER_SQL: gaps between purchase days up to each snapshot,
purchase periods of the window with exact revenue sums); only one small row per entity and
snapshot reaches pandas, where kam.segmentation turns it into figures (pytest-covered).
"""

from kam.segmentation import GATHER_SQL, purchase_interval_statistics


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
