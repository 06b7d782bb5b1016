"""Validate the marts with Great Expectations, reading the warehouse read-only.

GX's SQL data source does not work on DuckDB, so each mart is read with the duckdb API into a
pandas batch and validated by a checkpoint per mart. Results gate the exit code; Data Docs are
written as HTML under build/gx/ (path printed at the end).
"""

from __future__ import annotations

import contextlib
import logging
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import duckdb

from kam.contract import PROJECT_DIR
from kam.gx_suites import SUITES, MartSuite

GX_ROOT = PROJECT_DIR / "build"


@dataclass
class SuiteResult:
    table: str
    success: bool
    failed: list[str]
    skipped_reason: str = ""


def _table_exists(con: duckdb.DuckDBPyConnection, table: str) -> bool:
    schema, name = table.split(".")
    return bool(
        con.execute(
            "select count(*) from duckdb_tables() where schema_name = ? and table_name = ?",
            [schema, name],
        ).fetchall()[0][0]
    )


def _resolve(kwargs: dict, con: duckdb.DuckDBPyConnection) -> dict:
    return {k: (v(con) if callable(v) else v) for k, v in kwargs.items()}


def validate(
    db: Path, suites: tuple[MartSuite, ...] = SUITES, docs_root: Path = GX_ROOT
) -> tuple[list[SuiteResult], str | None]:
    """Run every suite; return the results and the Data Docs index path."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    warnings.filterwarnings("ignore")
    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    docs_root.mkdir(parents=True, exist_ok=True)
    ctx = gx.get_context(mode="file", project_root_dir=str(docs_root))
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    source_name = "warehouse"
    with contextlib.suppress(Exception):  # first run: nothing to delete
        ctx.data_sources.delete(source_name)
    ds = ctx.data_sources.add_pandas(source_name)
    results: list[SuiteResult] = []
    con = duckdb.connect(str(db), read_only=True)
    try:
        for suite in suites:
            if not _table_exists(con, suite.table):
                results.append(
                    SuiteResult(suite.table, suite.optional, [], "table not in the warehouse")
                )
                continue
            frame = con.sql(f"select * from {suite.table}").df()
            if frame.empty and suite.allow_empty:
                results.append(
                    SuiteResult(
                        suite.table, True, [], "table is empty (its source was not delivered)"
                    )
                )
                continue
            name = suite.table.replace(".", "__")
            asset = ds.add_dataframe_asset(name=name)
            batch = asset.add_batch_definition_whole_dataframe("whole_table")
            for existing in (name,):
                for store in (ctx.checkpoints, ctx.validation_definitions, ctx.suites):
                    with contextlib.suppress(Exception):  # not there yet
                        store.delete(existing)
            gx_suite = ctx.suites.add(gx.ExpectationSuite(name=name))
            for check in suite.checks:
                cls = getattr(gx.expectations, check.expectation)
                gx_suite.add_expectation(
                    cls(**_resolve(check.kwargs, con), meta={"why": check.why})
                )
            vd = ctx.validation_definitions.add(
                gx.ValidationDefinition(name=name, data=batch, suite=gx_suite)
            )
            checkpoint = ctx.checkpoints.add(
                gx.Checkpoint(
                    name=name,
                    validation_definitions=[vd],
                    result_format="SUMMARY",
                    actions=[gx.checkpoint.UpdateDataDocsAction(name="data_docs")],
                )
            )
            run = checkpoint.run(batch_parameters={"dataframe": frame})
            failed = []
            for vr in run.run_results.values():
                for r in vr.results:
                    if not r.success:
                        why = (r.expectation_config.meta or {}).get("why", "")
                        failed.append(f"{r.expectation_config.type}: {why}")
            results.append(SuiteResult(suite.table, bool(run.success), failed))
    finally:
        con.close()
    sites = ctx.get_docs_sites_urls()
    index = sites[0]["site_url"] if sites else None
    return results, index


def main(db: Path) -> int:
    if not db.exists():
        print(f"ERROR: no warehouse at {db}: build it first (make run).")
        return 1
    print("==> Great Expectations validation of the marts (read-only)", flush=True)
    results, index = validate(db)
    ok = True
    for r in results:
        if r.skipped_reason:
            print(f"    {r.table:<40} skipped: {r.skipped_reason}")
            ok &= r.success
            continue
        print(f"    {r.table:<40} {'passed' if r.success else 'FAILED'}")
        for f in r.failed:
            print(f"        - {f}")
        ok &= r.success
    if index:
        print(f"    Data Docs: {index}")
    if not ok:
        print("ERROR: validation failed: see the expectations above and the Data Docs.")
    return 0 if ok else 1
