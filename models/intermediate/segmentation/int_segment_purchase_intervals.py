"""Purchase-interval statistics, ADI, CV^2 and demand class per account/group and snapshot.

All in DuckDB, one snapshot at a time (kam.segmentation: GATHER_SQL, the gaps between purchase
days up to the snapshot and the purchase periods of its window with exact revenue sums;
STATISTICS_SQL, ADI, CV^2 and the class; pytest checks both against the reference functions).
The model returns a DuckDB relation, so no row passes through pandas. A snapshot_table
(macros/snapshot_table.sql): a snapshot reads the entity days up to its date and its own
periods, so the snapshots it keeps are skipped here.
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
