"""The Great Expectations validation passes on a good warehouse and fails on a tampered one."""

from __future__ import annotations

import shutil

import duckdb

from kam.validation import validate


def test_validation_passes_on_the_demo(demo_warehouse, tmp_path):
    results, index = validate(demo_warehouse, docs_root=tmp_path / "gx")
    assert results and all(r.success for r in results), [r for r in results if not r.success]
    assert index and index.endswith("index.html")


def test_validation_fails_when_rows_go_missing(demo_warehouse, tmp_path):
    tampered = tmp_path / "tampered.duckdb"
    shutil.copy(demo_warehouse, tampered)
    con = duckdb.connect(str(tampered))
    con.execute(
        "update marts.dq_reconciliation set unaccounted_rows = 3 where entity = 'sales_lines'"
    )
    con.execute("update marts.dim_reps set practical_minutes_per_year = paid_minutes_per_year + 1")
    con.close()
    results, _ = validate(tampered, docs_root=tmp_path / "gx")
    failed = {r.table for r in results if not r.success}
    assert failed == {"marts.dq_reconciliation", "marts.dim_reps"}
