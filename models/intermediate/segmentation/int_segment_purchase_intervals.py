"""Purchase-interval statistics, ADI, CV^2 and demand class per account/group and snapshot.

DuckDB aggregates, one snapshot at a time (kam.segmentation.GATHER_SQL: gaps between purchase
days up to the snapshot, purchase periods of its window with exact revenue sums); only one small
row per entity and snapshot reaches pandas, where kam.segmentation turns it into figures
(pytest-covered).
"""

from kam.segmentation import gather_statistics


def model(dbt, session):
    dbt.config(materialized="table")
    return gather_statistics(
        session,
        entity_days=dbt.ref("int_segment_entity_days"),
        entity_periods=dbt.ref("int_segment_entity_periods"),
        snapshots=dbt.ref("int_snapshot_dates"),
        adi_cutoff=float(dbt.config.get("sbc_adi_cutoff")),
        cv2_cutoff=float(dbt.config.get("sbc_cv2_cutoff")),
    )
