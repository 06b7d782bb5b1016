"""Purchase-interval statistics, ADI, CV^2 and demand class per account/group and snapshot.

DuckDB aggregates, one snapshot at a time (kam.segmentation.GATHER_SQL: gaps between purchase
days up to the snapshot, purchase periods of its window with exact revenue sums); only one small
row per entity and snapshot reaches pandas, where kam.segmentation turns it into figures
(pytest-covered). A snapshot_table (macros/snapshot_table.sql): a snapshot reads the entity days
up to its date and its own periods, so the snapshots it keeps are skipped here.
"""

from kam.segmentation import gather_statistics, kept_snapshot_dates


def model(dbt, session):
    dbt.config(
        materialized="snapshot_table",
        snapshot_dated_inputs={
            "int_segment_entity_days": "sales_date",
            "int_segment_entity_periods": "snapshot_date",
            "int_snapshot_dates": "snapshot_date",
        },
    )
    return gather_statistics(
        session,
        entity_days=dbt.ref("int_segment_entity_days"),
        entity_periods=dbt.ref("int_segment_entity_periods"),
        snapshots=dbt.ref("int_snapshot_dates"),
        adi_cutoff=float(dbt.config.get("sbc_adi_cutoff")),
        cv2_cutoff=float(dbt.config.get("sbc_cv2_cutoff")),
        kept_dates=kept_snapshot_dates(session, "int_segment_purchase_intervals"),
    )
