"""Incremental builds give exactly what a full rebuild gives.

The sales-line chain (stg_landing__sales_lines -> int_sales_lines__checked -> int_sales_lines
-> fct_sales_lines -> int_account_monthly_sales) is incremental, and the landing plugin
appends new files instead of reloading every file. This suite proves both:

- the loader: appending a new file to a landing table gives the table and load log a full
  reload gives; a changed, removed or earlier-sorting file, or a new mapping, reloads in full;
- end to end: a warehouse built in full, then given a day of new lines with late lines (dated
  earlier, one on an existing invoice), a corrected line (same key, other values: a
  conflicting key), an exact duplicate, a re-sent file, an orphan account, an unknown
  currency, a line without line number, far-future dates, a far-future line that the moving
  as-of date makes valid, an account removed from the accounts file, a subsidiary leaving its
  group and a product whose unit cost changed, then built incrementally (twice: the second run
  has nothing new), holds the same rows, in every mart and in the chain and data-quality tables,
  as a full build of the same files into another database (compared order-insensitively);
- the day grain: `int_segment_entity_days` recomputes the accounts whose lines or group
  changed, and their groups (a subsidiary leaving its group, without a new line: exactly that
  account and both groups);
- reuse: the models that a delivery did not change are kept (`reusable_table`), and the
  segmentation models keep their earlier snapshots (`snapshot_table`): a next-day delivery
  (built after the two above, before the full build it is compared with) recomputes the
  current snapshot only; a late line, rows edited by hand and a moved as-of date recompute
  exactly the snapshots they reach, each compared with a rebuild in full.

Speed: the project is parsed once; dbt runs in this process (`dbt seed` + `dbt run`, no data
tests except the chain's and the reconciliation's on the incremental warehouse), on a
300-account demo.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import os
import shutil
from pathlib import Path

import duckdb
import pytest

from kam import bench
from kam.contract import PROJECT_DIR
from tests_py.conftest import run_dbt

#: The dbt project under test (another checkout can be tested with KAM_TEST_PROJECT_DIR).
PROJECT = Path(os.environ.get("KAM_TEST_PROJECT_DIR") or PROJECT_DIR)
CHAIN = (
    "stg_landing__sales_lines",
    "int_sales_lines__checked",
    "int_sales_lines",
    "fct_sales_lines",
    "int_account_monthly_sales",
)
#: The snapshot_table models (macros/snapshot_table.sql): earlier snapshots kept, others computed.
SNAPSHOT_TABLES = (
    "int_segment_entity_periods",
    "int_segment_entity_snapshots",
    "int_segment_purchase_intervals",
    "int_segment_entity_classes",
)


# ---------------------------------------------------------------------------------------------
# The loader (no dbt)
# ---------------------------------------------------------------------------------------------


def _plugin(landing: Path, conn: duckdb.DuckDBPyConnection, mapping: str | None = None):
    from kam.landing_plugin import Plugin

    plugin = Plugin(name="kam", plugin_config={"landing_dir": str(landing), "mapping": mapping})
    plugin.configure_connection(conn)
    return plugin


def _source(entity: str = "sales_lines"):
    from dbt.adapters.duckdb.utils import SourceConfig

    return SourceConfig(entity, entity, "landing", None, {"entity": entity}, [])


def _rows(conn, sql: str) -> list[tuple]:
    return sorted(conn.sql(sql).fetchall(), key=repr)


def _write(path: Path, rows: list[list[str]]) -> None:
    header = ["invoice_id", "line_number", "invoice_date", "account_id", "product_id",
              "quantity", "unit_price"]  # fmt: skip
    with path.open("w", encoding="utf-8", newline="") as f:
        csv.writer(f).writerows([header, *rows])


def _load(landing: Path, db: Path, mapping: str | None = None) -> tuple[list, list, str]:
    """Load sales_lines with the plugin; return (table rows, load log rows, state files)."""
    conn = duckdb.connect(str(db))
    try:
        _plugin(landing, conn, mapping).load_in_place(_source())
        table = _rows(conn, "select * from landing.sales_lines")
        log = _rows(conn, "select * from landing.load_log where entity = 'sales_lines'")
        [(files,)] = conn.sql(
            "select files from landing.load_state where entity = 'sales_lines'"
        ).fetchall()
        return table, log, files
    finally:
        conn.close()


def test_loader_appends_new_files_and_equals_a_full_reload(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    _write(landing / "sales_lines.csv", [["I1", "1", "2025-01-02", "A1", "P1", "1", "10"]])
    db = tmp_path / "inc.duckdb"
    first, _, _ = _load(landing, db)
    assert len(first) == 1
    # a new day, and the same content re-sent under a later name: flagged duplicate_file
    _write(
        landing / "sales_lines_2025-01-03.csv", [["I2", "1", "2025-01-03", "A1", "P1", "2", "10"]]
    )
    shutil.copyfile(landing / "sales_lines_2025-01-03.csv", landing / "sales_lines_2025-01-03b.csv")
    table, log, files = _load(landing, db)
    full_table, full_log, _ = _load(landing, tmp_path / "full.duckdb")
    assert table == full_table and log == full_log
    assert len(json.loads(files)) == 3
    assert next(r for r in log if r[5] == "duplicate_file")[1] == "sales_lines_2025-01-03b.csv"
    # nothing new: nothing read, same table
    assert _load(landing, db)[0] == full_table


@pytest.mark.parametrize("change", ["edited", "removed", "earlier_name", "mapping"])
def test_loader_reloads_in_full_when_not_an_append(tmp_path, change):
    landing = tmp_path / "landing"
    landing.mkdir()
    _write(landing / "sales_lines_b.csv", [["I1", "1", "2025-01-02", "A1", "P1", "1", "10"]])
    _write(landing / "sales_lines_c.csv", [["I2", "1", "2025-01-03", "A1", "P1", "1", "10"]])
    db = tmp_path / "inc.duckdb"
    _load(landing, db)
    mapping = None
    if change == "edited":
        _write(landing / "sales_lines_c.csv", [["I2", "1", "2025-01-03", "A1", "P1", "5", "10"]])
    elif change == "removed":
        (landing / "sales_lines_b.csv").unlink()
    elif change == "earlier_name":  # sorts before a loaded file: a full reload decides
        shutil.copyfile(landing / "sales_lines_c.csv", landing / "sales_lines_a.csv")
    else:
        mapping_file = tmp_path / "mapping.yml"
        mapping_file.write_text("entities:\n  sales_lines:\n    defaults: {currency: EUR}\n")
        mapping = str(mapping_file)
    table, log, _ = _load(landing, db, mapping)
    full_table, full_log, _ = _load(landing, tmp_path / "full.duckdb", mapping)
    assert table == full_table and log == full_log
    if change == "earlier_name":  # the earlier name is now the original, the old file the copy
        assert {r[1]: r[5] for r in log}["sales_lines_c.csv"] == "duplicate_file"


# ---------------------------------------------------------------------------------------------
# End to end through dbt
# ---------------------------------------------------------------------------------------------


class Dbt:
    """dbt commands in this process on one parsed manifest."""

    def __init__(self, work: Path):
        from dbt.cli.main import dbtRunner

        self.work = work
        self.target = work / "target"
        self.foreign_failures: dict[str, str] = {}
        #: per command, what each reusable_table model did: {model: "kept, ..." or "rebuilt, ..."}
        self.decisions: list[dict[str, str]] = []
        #: per command, what each snapshot_table model did: {model: "kept snapshots ..." or
        #: "rebuilt all snapshots, ..."}
        self.snapshot_decisions: list[dict[str, str]] = []
        #: per command, the snapshot_table models that read the plan from their compiled SQL
        self.plans_read: list[set[str]] = []
        #: per command, the statements that set DuckDB's threads (macros/duckdb_threads.sql)
        self.thread_settings: list[list[str]] = []
        with contextlib.chdir(PROJECT):
            res = dbtRunner().invoke(["parse", *self._flags()])
        assert res.success, res.exception
        self.manifest = res.result

    def _flags(self) -> list[str]:
        return ["--profiles-dir", str(PROJECT), "--project-dir", str(PROJECT),
                "--target-path", str(self.target), "--log-path", str(self.work / "logs"),
                "--quiet"]  # fmt: skip

    def __call__(self, db: Path, landing: Path, *args: str, whole_chain: bool = True) -> None:
        from dbt.cli.main import dbtRunner

        from kam.inprocess import _environment, close_duckdb_environment

        db.parent.mkdir(parents=True, exist_ok=True)
        env = {
            "KAM_DUCKDB_PATH": str(db),
            "KAM_LANDING_DIR": str(landing),
            "KAM_TEMP_DIR": str(db.parent / "tmp"),
            "KAM_MAPPING": None,
        }
        self.decisions.append({})
        self.snapshot_decisions.append({})
        self.plans_read.append(set())
        self.thread_settings.append([])
        with _environment(env), contextlib.chdir(PROJECT):
            try:
                res = dbtRunner(manifest=self.manifest, callbacks=[self._listen]).invoke(
                    [*args, *self._flags()]
                )
            finally:
                close_duckdb_environment()
        assert res.result is not None, f"dbt {' '.join(args)} stopped: {res.exception}"
        status = {r.node.name: str(r.status) for r in res.result.results}
        failed = {
            r.node.name: (r.message or "").strip()[:300]
            for r in res.result.results
            if str(r.status) in ("error", "fail")
        }
        # the chain and the data-quality marts must build; a mart of another area that fails
        # (work in progress) fails in both warehouses and is left out of the comparison
        ours = [n for n in status if n in CHAIN or n.startswith(("dq_", "stg_landing__sales"))]
        if args[0] == "run":
            assert not whole_chain or all(n in status for n in CHAIN), "the chain was not selected"
        else:  # the chain's own data tests: every one must pass
            assert not failed, f"dbt {' '.join(args)}: {failed}"
        broken = {n: failed[n] for n in ours if n in failed}
        not_built = [n for n in ours if status[n] == "skipped"]
        assert not broken and not not_built, f"dbt {' '.join(args)}: {broken or not_built}"
        self.foreign_failures.update(failed)

    def _listen(self, event) -> None:
        # macros/reusable_table.sql logs "<model>: kept, <why>" or "<model>: rebuilt, <why>"
        if event.info.name == "JinjaLogInfo":
            model, _, decision = event.info.msg.partition(": ")
            # models/marts/core/fct_sales_lines.sql: "<model>: recreated, <why>"
            if decision.startswith(("kept, ", "rebuilt, ", "recreated, ")):
                self.decisions[-1][model] = decision
            # macros/snapshot_table.sql: "<model>: kept snapshots <dates>; rebuilt <dates>, <why>"
            elif decision.startswith(("kept snapshots ", "rebuilt all snapshots, ")):
                self.snapshot_decisions[-1][model] = decision
        # macros/snapshot_table.sql, at debug level: the plan made when the SQL compiled was used
        elif event.info.name == "JinjaLogDebug" and event.info.msg.endswith(
            ": plan read from its compiled SQL"
        ):
            self.plans_read[-1].add(event.info.msg.partition(": ")[0])
        elif event.info.name == "SQLQuery":
            # the statement without dbt's /* {...} */ query comment: the hook's, not a model's
            # SQL that happens to mention threads
            statement = event.data.sql.rsplit("*/", 1)[-1].strip()
            if statement.split(" ", 1)[0] in ("set", "reset") and "threads" in statement:
                self.thread_settings[-1].append(statement)


def _first_file(landing: Path, entity: str) -> Path:
    return next(landing.glob(f"{entity}.*"))


def _edit_csv(path: Path, edit) -> None:
    with path.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    fields = list(rows[0])
    rows = edit(rows)
    with path.open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields)
        w.writeheader()
        w.writerows(rows)


def _query(db: Path, sql: str) -> list[tuple]:
    conn = duckdb.connect(str(db), read_only=True)
    try:
        return conn.sql(sql).fetchall()
    finally:
        conn.close()


@pytest.fixture(scope="module")
def warehouses(tmp_path_factory):
    """(incremental warehouse, full rebuild, the warehouse after its first build, landing, dbt)."""
    from kam import generate

    work = tmp_path_factory.mktemp("incremental")
    landing = work / "landing"
    generate.generate(landing, scale="small", seed=7, accounts=300, fmt="csv")
    # the first delivery also holds a line 32 days after the last invoice date (far future
    # now, inside the window once the as-of date moves) and a 2099 typo
    [(last,)] = duckdb.sql(
        f"select max(invoice_date) from read_csv('{landing / 'sales_lines.csv'}', "
        "all_varchar=true) where invoice_date < '2030'"
    ).fetchall()
    zone_day = (dt.date.fromisoformat(last) + dt.timedelta(days=32)).isoformat()
    with (landing / "sales_lines.csv").open(encoding="utf-8") as f:
        first = next(csv.DictReader(f))
    zone = [
        {**first, "invoice_id": "ZONE1", "line_number": "1", "invoice_date": zone_day},
        {**first, "invoice_id": "TYPO1", "line_number": "1", "invoice_date": "2099-01-01"},
    ]
    with (landing / "sales_lines_a_zone.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(first))
        w.writeheader()
        w.writerows(zone)

    dbt = Dbt(work)
    inc, full = work / "inc" / "kam.duckdb", work / "full" / "kam.duckdb"
    dbt(inc, landing, "seed")
    dbt(inc, landing, "run")
    first_build = work / "first" / "kam.duckdb"
    first_build.parent.mkdir()
    shutil.copyfile(inc, first_build)

    # the next delivery, as a new file
    extra = [
        {
            **first,
            "invoice_id": "NEW-ORPHAN",
            "account_id": "NO-SUCH-ACCOUNT",
            "invoice_date": last,
        },
        {**first, "invoice_id": "NEW-FX", "currency": "XYZ", "invoice_date": last},
        {**first, "line_number": None},  # an existing invoice, a line without number
        {**first, "invoice_id": "NEW-TYPO", "invoice_date": "2098-05-05"},
        {**first, "invoice_id": "NEW-NOPRODUCT", "product_id": None},
    ]
    counts = bench.write_increment(landing, landing / "sales_lines_b_day.csv", extra_rows=extra)
    assert all(n > 0 for n in counts.values()), counts
    shutil.copyfile(landing / "sales_lines_b_day.csv", landing / "sales_lines_c_resent.csv")
    # reference data changes: an account that bought leaves the accounts file, a unit cost moves
    [(gone,)] = _query(
        first_build,
        "select account_id from marts.fct_sales_lines group by 1 order by count(*) desc limit 1",
    )
    # and a subsidiary that bought leaves its group: both groups' days change
    [(moved,)] = _query(
        first_build,
        "select account_id from marts.dim_accounts where parent_account_id is not null "
        "and account_id in (select account_id from marts.fct_sales_lines) and account_id != "
        f"'{gone}' order by account_id limit 1",
    )

    def edit_accounts(rows):
        for r in rows:
            if r["account_id"].strip().upper() == moved:
                r["parent_account_id"] = ""
        return [r for r in rows if r["account_id"].strip().upper() != gone]

    _edit_csv(_first_file(landing, "accounts"), edit_accounts)

    def new_cost(rows):
        for r in rows:
            if r["unit_cost"]:
                r["unit_cost"] = str(round(float(r["unit_cost"]) * 1.1 + 0.5, 2))
                break
        return rows

    _edit_csv(_first_file(landing, "products"), new_cost)

    dbt(inc, landing, "run")
    dbt.runs = {"delivery": dbt.decisions[-1]}
    dbt(inc, landing, "run")  # nothing new: must change nothing
    dbt.runs["nothing_new"] = dbt.decisions[-1]
    dbt.snapshot_runs = {"nothing_new": dbt.snapshot_decisions[-1]}
    # the next day, within the same month (the earlier snapshots are month ends that move with
    # the as-of date's month): new, late (30 days back), corrected and duplicated lines only
    [(as_of,)] = _query(inc, "select as_of_date from intermediate.int_as_of_date")
    day = as_of + dt.timedelta(days=1) if (as_of + dt.timedelta(days=1)).day > 1 else as_of
    bench.write_increment(landing, landing / "sales_lines_d_next_day.csv", day=day.isoformat())
    dbt(inc, landing, "run")
    dbt.snapshot_runs["next_day"] = dbt.snapshot_decisions[-1]
    dbt.plans_read_next_day = dbt.plans_read[-1]
    dbt.snapshot_dates = {
        "before": as_of,
        "after": _query(
            inc, "select snapshot_date from intermediate.int_snapshot_dates order by snapshot_date"
        ),
    }
    dbt(full, landing, "seed")
    dbt(full, landing, "run")
    return inc, full, first_build, landing, dbt


def test_incremental_build_equals_full_rebuild(warehouses):
    inc, full, _, _, _ = warehouses
    present = {
        t for (t,) in _query(full, "select schema_name || '.' || table_name from duckdb_tables()")
    }
    # the snapshot_table models, built from kept and recomputed snapshots, too
    snapshot_tables = [f"intermediate.{name}" for name in SNAPSHOT_TABLES]
    tables = [t for t in bench.CHAIN_TABLES] + sorted(t for t in present if t.startswith("marts."))
    tables += snapshot_tables
    assert all(t in present for t in snapshot_tables)
    diffs = bench.compare_databases(inc, full, tables=[t for t in tables if t in present])
    # the chain and data-quality tables are identical; a mart or a snapshot_table may only
    # differ by one unit of the 4th decimal where it rounds a sum of doubles (summation order)
    assert bench.real_differences(diffs) == {}
    assert not [
        t
        for t in diffs
        if not t.startswith(("marts.", "intermediate.int_segment_")) or t.startswith("marts.dq_")
    ]
    exact = ["marts.fct_sales_lines", "intermediate.int_segment_entity_days"]
    assert bench.compare_databases(inc, full, tables=exact, float_digits=12) == {}


def test_chain_models_are_incremental_and_were_built_incrementally(warehouses):
    inc, _, _, _, _ = warehouses
    # the delta state exists and nothing is left to hand over after the last run
    state = dict(_query(inc, "select table_name, estimated_size from duckdb_tables() "
                             "where schema_name = 'incremental_state'"))  # fmt: skip
    assert "stg_sales_lines__files" in state and "checked__affected" in state
    for table in ("stg_sales_lines__delta", "checked__delta", "int_sales_lines__delta",
                  "fct_sales_lines__delta", "segment_entity_days__delta"):  # fmt: skip
        assert _query(inc, f"select count(*) from incremental_state.{table}") == [(0,)]
    [(is_full,)] = _query(inc, "select is_full from incremental_state.checked__run")
    assert is_full is False
    # int_segment_entity_days recomputed the entities of the last delivery only
    [(is_full,)] = _query(inc, "select is_full from incremental_state.segment_entity_days__run")
    [(affected, entities)] = _query(
        inc,
        "select (select count(*) from incremental_state.segment_entity_days__affected), "
        "(select count(distinct segment_entity_id) from intermediate.int_segment_entity_days)",
    )
    assert is_full is False and 0 < affected < entities / 2, (affected, entities)


def test_the_delivery_cases_end_where_the_rules_say(warehouses):
    inc, _, first_build, _, _ = warehouses
    reasons = dict(
        _query(
            inc,
            "select record_key || ':' || source_file, reason_code from marts.dq_quarantine "
            "where entity = 'sales_lines' union all select record_key || ':' || source_file, "
            "reason_code from marts.dq_exclusions where entity = 'sales_lines'",
        )
    )
    assert reasons["NEW-ORPHAN-1:sales_lines_b_day.csv"] == "orphan_key"
    assert reasons["NEW-FX-1:sales_lines_b_day.csv"] == "unknown_currency"
    assert reasons["NEW-TYPO-1:sales_lines_b_day.csv"] == "date_out_of_range"
    # the corrected line: both the original and the correction are quarantined
    conflicting = [k for k, v in reasons.items() if v == "conflicting_duplicate_key"]
    assert {k.split(":")[1] for k in conflicting} >= {"sales_lines.csv", "sales_lines_b_day.csv"}
    assert "exact_duplicate" in reasons.values()
    assert {v for k, v in reasons.items() if k.endswith("sales_lines_c_resent.csv")} == {
        "duplicate_file"
    }
    # the line 32 days ahead was far-future at the first build, the moving as-of date cleared it
    before = _query(first_build, "select reason_code from marts.dq_quarantine "
                                 "where record_key = 'ZONE1-1'")  # fmt: skip
    after = _query(inc, "select count(*) from marts.fct_sales_lines where invoice_id = 'ZONE1'")
    assert before == [("date_out_of_range",)] and after == [(1,)]
    # late lines dated earlier reach the fact
    late = _query(
        inc,
        "select count(*) from marts.fct_sales_lines "
        "where invoice_id like '%-L' "
        "and invoice_date < (select max(invoice_date) - 20 from marts.fct_sales_lines)",
    )
    assert late[0][0] > 0
    # nothing lost
    assert _query(inc, "select sum(abs(unaccounted_rows)) from marts.dq_reconciliation") == [(0,)]


def test_dbt_tests_of_the_chain_pass_on_the_incremental_warehouse(warehouses):
    inc, _, _, landing, dbt = warehouses
    dbt(inc, landing, "test", "--select", *CHAIN, "dq_reconciliation",
        "--exclude", "resource_type:unit_test")  # fmt: skip


# ---------------------------------------------------------------------------------------------
# reusable_table: kept only when its SQL, its inputs and itself are as at its last build
# ---------------------------------------------------------------------------------------------


def _reusable_models(dbt) -> set[str]:
    return {
        n.name
        for n in dbt.manifest.nodes.values()
        if n.resource_type == "model" and n.config.materialized == "reusable_table"
    }


def test_a_delivery_rebuilds_what_it_changed_and_keeps_the_rest(warehouses):
    _, _, _, _, dbt = warehouses
    reusable = _reusable_models(dbt)
    assert {"stg_landing__activities", "int_activities__checked", "int_activities"} <= reusable
    delivery = dbt.runs["delivery"]
    assert set(delivery) == reusable
    # the accounts and products files were edited: their staging is rebuilt, and says why
    assert (
        delivery["stg_landing__accounts"] == "rebuilt, input changed: source.kam.landing.accounts"
    )
    assert (
        delivery["stg_landing__products"] == "rebuilt, input changed: source.kam.landing.products"
    )
    # the activity, contact and opportunity files were not: their staging is kept
    for name in ("stg_landing__activities", "stg_landing__contacts", "stg_landing__opportunities"):
        assert delivery[name].startswith("kept, "), (name, delivery[name])
    # an account left the accounts file: every check against the account list runs again
    assert delivery["int_activities__checked"] == "rebuilt, input changed: model.kam.int_accounts"
    # nothing new: everything is kept (and the equality test above proves the result exact)
    nothing_new = dbt.runs["nothing_new"]
    assert set(nothing_new) == reusable
    assert {d for d in nothing_new.values() if not d.startswith("kept, ")} == set()


def _digest(db: Path, table: str) -> tuple:
    return _query(db, f"select count(*), sum(hash(*columns(*))::hugeint) from {table}")[0]


def test_a_reusable_table_is_rebuilt_when_anything_it_depends_on_changed(warehouses, tmp_path):
    inc, full, _, landing, dbt = warehouses
    db = tmp_path / "kam.duckdb"
    shutil.copyfile(inc, db)
    table = "staging.stg_landing__activities"
    built = _digest(full, table)

    def run(*args, landing_dir=landing):
        dbt(db, landing_dir, "run", "--select", "stg_landing__activities", *args,
            whole_chain=False)  # fmt: skip
        return dbt.decisions[-1]["stg_landing__activities"]

    assert run().startswith("kept, ")
    # the table itself was edited (a row deleted): rebuilt, and the row is back
    conn = duckdb.connect(str(db))
    conn.execute(f"delete from {table} where rowid = (select min(rowid) from {table})")
    conn.close()
    assert run() == "rebuilt, the table changed since its last build"
    assert _digest(db, table) == built
    # a var the model's SQL uses: rebuilt; and back to the old value: rebuilt again
    assert run("--vars", "{min_valid_date: '2001-01-02'}") == (
        "rebuilt, its SQL changed (code, macros or vars)"
    )
    assert run() == "rebuilt, its SQL changed (code, macros or vars)"
    assert run("--full-refresh") == "rebuilt, full refresh"
    assert run().startswith("kept, ")
    # a delivered file changed: rebuilt from the new file
    edited = tmp_path / "landing"
    shutil.copytree(landing, edited)
    source = _first_file(edited, "activities")
    _edit_csv(source, lambda rows: rows[:-1])
    assert run(landing_dir=edited) == "rebuilt, input changed: source.kam.landing.activities"
    assert _digest(db, table)[0] == built[0] - 1


def test_one_node_at_a_time_runs_the_memory_bound_model_on_one_duckdb_thread(warehouses, tmp_path):
    inc, full, _, landing, dbt = warehouses
    db = tmp_path / "kam.duckdb"
    shutil.copyfile(inc, db)
    model, table = "int_segment_entity_snapshots", "intermediate.int_segment_entity_snapshots"

    def run(*args):
        dbt(db, landing, "run", "--select", model, "--full-refresh", *args, whole_chain=False)
        assert dbt.snapshot_decisions[-1][model].startswith("rebuilt all snapshots, ")
        return dbt.thread_settings[-1]

    def differing_rows() -> int:
        # bit for bit, doubles included: the statistics come from exact decimal sums, so the
        # order in which one thread or several add the months up does not reach them
        con = duckdb.connect()
        con.execute(f"attach '{db}' as built (read_only); attach '{full}' as ref (read_only)")
        differs = " or ".join(
            f"a.{name} is distinct from b.{name}"
            for name, *_ in con.sql(f"describe ref.{table}").fetchall()
        )
        [(n,)] = con.sql(
            f"select count(*) from built.{table} as a full join ref.{table} as b"
            f" using (segment_entity_snapshot_id) where {differs}"
        ).fetchall()
        con.close()
        return n

    # one dbt node at a time (KAM_THREADS=1): one DuckDB thread for the query, then every core
    assert run("--threads", "1") == ["set threads = 1", "reset threads"]
    assert differing_rows() == 0
    # several nodes at once: DuckDB's setting, global to the database, is not touched
    assert run("--threads", "2") == []
    assert differing_rows() == 0


def test_a_group_change_recomputes_the_account_and_both_groups(warehouses, tmp_path):
    inc, _, _, landing, dbt = warehouses
    db = tmp_path / "kam.duckdb"
    shutil.copyfile(inc, db)
    [(moved, group)] = _query(
        db,
        "select account_id, group_account_id from marts.dim_accounts "
        "where parent_account_id is not null "
        "and account_id in (select account_id from marts.fct_sales_lines) order by 1 limit 1",
    )
    # no new line: only the accounts file says the subsidiary left its group
    edited = tmp_path / "landing"
    shutil.copytree(landing, edited)

    def leave_group(rows):
        for r in rows:
            if r["account_id"].strip().upper() == moved:
                r["parent_account_id"] = ""
        return rows

    _edit_csv(_first_file(edited, "accounts"), leave_group)
    dbt(db, edited, "run", "--select", "+int_segment_entity_days", whole_chain=False)
    assert _query(db, "select is_full from incremental_state.segment_entity_days__run") == [
        (False,)
    ]
    assert set(_query(db, "select * from incremental_state.segment_entity_days__affected")) == {
        ("account", moved),
        ("group", group),
        ("group", moved),
    }
    table = "intermediate.int_segment_entity_days"
    after = _digest(db, table)
    assert (
        _query(db, f"select count(*) from {table} where segment_entity_id = 'group:{moved}'")[0][0]
        > 0
    )
    dbt(db, edited, "run", "--select", "int_segment_entity_days", "--full-refresh",
        whole_chain=False)  # fmt: skip
    assert _digest(db, table) == after


def _constraints(db: Path, table: str) -> set[tuple[str, str]]:
    schema, name = table.split(".")
    return set(
        _query(
            db,
            "select constraint_type, unnest(constraint_column_names) from duckdb_constraints() "
            f"where schema_name = '{schema}' and table_name = '{name}' "
            "and constraint_type in ('NOT NULL', 'PRIMARY KEY')",
        )
    )


def test_a_fact_built_under_an_older_contract_is_recreated_with_the_declared_constraints(
    warehouses, tmp_path
):
    inc, _, _, landing, dbt = warehouses
    db = tmp_path / "kam.duckdb"
    shutil.copyfile(inc, db)
    table = "marts.fct_sales_lines"
    declared, content = _constraints(db, table), _digest(db, table)
    assert ("NOT NULL", "invoice_id") in declared and (
        "PRIMARY KEY",
        "sales_line_id",
    ) not in declared
    # the table as an older warehouse has it (decision log 36): a primary key on the line key,
    # and the not-null rules that were data tests then
    conn = duckdb.connect(str(db))
    conn.execute(f"create table {table}__old as select * from {table}")
    conn.execute(f"drop table {table}")
    conn.execute(f"alter table {table}__old rename to fct_sales_lines")
    conn.execute(f"alter table {table} add primary key (sales_line_id)")
    conn.close()
    assert _constraints(db, table) == {
        ("PRIMARY KEY", "sales_line_id"),
        ("NOT NULL", "sales_line_id"),
    }

    dbt(db, landing, "run", "--select", "fct_sales_lines", whole_chain=False)
    assert dbt.decisions[-1]["fct_sales_lines"].startswith("recreated, ")
    assert _query(db, "select is_full from incremental_state.fct_sales_lines__run") == [(True,)]
    assert _constraints(db, table) == declared
    assert _digest(db, table) == content
    # and the next build finds the constraints it declares: a delta build again
    dbt(db, landing, "run", "--select", "fct_sales_lines", whole_chain=False)
    assert "fct_sales_lines" not in dbt.decisions[-1]
    assert _query(db, "select is_full from incremental_state.fct_sales_lines__run") == [(False,)]


def test_an_older_warehouse_gets_the_columns_the_code_adds_filled_in_full(warehouses, tmp_path):
    """Two incremental models gained a column (decision log 60): a warehouse built before has
    tables without it. The build adds it, and drops a column the code no longer has
    (on_schema_change sync_all_columns); the code having changed, it recomputes every row, so
    the table equals a fresh build's, column for column."""
    inc, full, _, landing, dbt = warehouses
    db = tmp_path / "kam.duckdb"
    shutil.copyfile(inc, db)
    column = "unknown_cost_free_line_count"
    tables = ("intermediate.int_account_monthly_sales", "intermediate.int_segment_entity_days")

    def digest(path: Path, table: str) -> tuple:
        # by name: an appended column stands last, where a fresh build has it elsewhere
        schema, name = table.split(".")
        names = [
            n
            for (n,) in _query(
                full,
                "select column_name from information_schema.columns where table_schema = "
                f"'{schema}' and table_name = '{name}' order by column_name",
            )
        ]
        return _query(
            path, f"select count(*), sum(hash({', '.join(names)})::hugeint) from {table}"
        )[0]

    fresh = {t: digest(full, t) for t in tables}
    conn = duckdb.connect(str(db))
    for table in tables:
        conn.execute(f"alter table {table} drop column {column}")
        # and a column the code no longer has
        conn.execute(f"alter table {table} add column retired_measure integer")
    # and what the older code recorded: its own fingerprint
    conn.execute("update incremental_state.account_monthly_sales__config set config = 'older code'")
    conn.execute(
        "update incremental_state.segment_entity_days__deps set value = 'older code' "
        "where kind = 'config'"
    )
    conn.close()

    dbt(db, landing, "run", "--select", "int_account_monthly_sales", "int_segment_entity_days",
        whole_chain=False)  # fmt: skip
    # a row kept from the older build would hold null in the appended column
    for table in tables:
        assert _query(db, f"select count(*) from {table} where {column} is null") == [(0,)]
        columns = f"select column_name from (describe {table}) order by all"
        assert _query(db, columns) == _query(full, columns)
    assert {t: digest(db, t) for t in tables} == fresh


# ---------------------------------------------------------------------------------------------
# snapshot_table: an earlier snapshot is kept while what it reads is unchanged
# ---------------------------------------------------------------------------------------------


def test_the_next_day_recomputes_the_current_snapshot_and_keeps_the_others(warehouses):
    _, _, _, _, dbt = warehouses
    assert {
        n.name
        for n in dbt.manifest.nodes.values()
        if n.resource_type == "model" and n.config.materialized == "snapshot_table"
    } == set(SNAPSHOT_TABLES)
    dates = [d for (d,) in dbt.snapshot_dates["after"]]
    current, history = dates[-1], [d.isoformat() for d in dates[:-1]]
    assert len(history) >= 1 and current >= dbt.snapshot_dates["before"]
    for name in SNAPSHOT_TABLES:
        assert dbt.snapshot_runs["next_day"][name] == (
            f"kept snapshots {', '.join(history)}; rebuilt {current.isoformat()}, "
            "their inputs changed"
        ), name
        # nothing new: every snapshot kept (the equality test above proves both results exact)
        assert dbt.snapshot_runs["nothing_new"][name].endswith("; rebuilt none"), name
    # the SQL models used the plan their filter made when they compiled (the Python one has none)
    assert dbt.plans_read_next_day == set(SNAPSHOT_TABLES) - {"int_segment_purchase_intervals"}


def test_a_late_line_or_edited_rows_recompute_the_snapshots_they_reach(warehouses, tmp_path):
    inc, _, _, landing, dbt = warehouses
    db = tmp_path / "inc" / "kam.duckdb"
    db.parent.mkdir()
    shutil.copyfile(inc, db)
    dates = [d for (d,) in dbt.snapshot_dates["after"]]
    assert len(dates) >= 5
    # a late line dated the day after the third snapshot reaches that snapshot's successors
    [(account, product)] = _query(
        db,
        "select account_id, product_id from marts.fct_sales_lines "
        "order by invoice_date desc, invoice_id, line_number limit 1",
    )
    edited = tmp_path / "landing"
    shutil.copytree(landing, edited)
    with (landing / "sales_lines.csv").open(encoding="utf-8") as f:
        first = next(csv.DictReader(f))
    late_day = (dates[2] + dt.timedelta(days=1)).isoformat()
    late = {**first, "invoice_id": "LATE-OLD", "line_number": "1", "account_id": account,
            "product_id": product, "invoice_date": late_day}  # fmt: skip
    with (edited / "sales_lines_e_late.csv").open("w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(first))
        w.writeheader()
        w.writerow(late)
    # the first snapshot's rows edited by hand: recomputed too
    conn = duckdb.connect(str(db))
    conn.execute(
        "delete from intermediate.int_segment_entity_periods where rowid = (select min(rowid) "
        "from intermediate.int_segment_entity_periods where snapshot_date = ?)",
        [dates[0]],
    )
    conn.close()
    dbt(db, edited, "run", "--select", "+int_segment_entity_classes", whole_chain=False)
    decisions = dbt.snapshot_decisions[-1]
    iso = [d.isoformat() for d in dates]
    assert decisions["int_segment_entity_periods"] == (
        f"kept snapshots {', '.join(iso[1:3])}; rebuilt {iso[0]}, {', '.join(iso[3:])}, "
        "their inputs changed and their rows changed since the last build"
    )
    for name in SNAPSHOT_TABLES[1:]:
        assert decisions[name] == (
            f"kept snapshots {', '.join(iso[:3])}; rebuilt {', '.join(iso[3:])}, "
            "their inputs changed"
        ), name
    # the same rows as the four models rebuilt in full on the same inputs
    partial = tmp_path / "partial.duckdb"
    shutil.copyfile(db, partial)
    dbt(db, edited, "run", "--select", *SNAPSHOT_TABLES, "--full-refresh", whole_chain=False)
    assert {d.split(",")[0] for d in dbt.snapshot_decisions[-1].values()} == {
        "rebuilt all snapshots"
    }
    tables = [f"intermediate.{name}" for name in SNAPSHOT_TABLES]
    assert bench.real_differences(bench.compare_databases(partial, db, tables=tables)) == {}
    [(n,)] = _query(db, "select count(*) from intermediate.int_segment_entity_periods")
    assert n > 0


def test_a_build_after_an_empty_build_recomputes_from_the_real_inputs(warehouses, tmp_path):
    inc, _, _, landing, dbt = warehouses
    db = tmp_path / "kam.duckdb"
    shutil.copyfile(inc, db)
    models = ("stg_landing__activities", "int_segment_entity_periods", "int_segment_entity_days")
    tables = (
        "staging.stg_landing__activities",
        "intermediate.int_segment_entity_periods",
        "intermediate.int_segment_entity_days",
    )
    before = {t: _digest(db, t) for t in tables}
    # dbt build --empty writes the tables without rows; what it recorded must not keep them so
    dbt(db, landing, "run", "--select", *models, "--empty", whole_chain=False)
    assert dbt.decisions[-1]["stg_landing__activities"] == "rebuilt, an --empty build"
    assert dbt.snapshot_decisions[-1]["int_segment_entity_periods"] == (
        "rebuilt all snapshots, an --empty build"
    )
    assert {t: _digest(db, t)[0] for t in tables} == dict.fromkeys(tables, 0)
    dbt(db, landing, "run", "--select", *models, whole_chain=False)
    assert dbt.decisions[-1]["stg_landing__activities"] == "rebuilt, no record of its last build"
    assert dbt.snapshot_decisions[-1]["int_segment_entity_periods"] == (
        "rebuilt all snapshots, no record of its last build"
    )
    assert {t: _digest(db, t) for t in tables} == before


def test_an_as_of_date_moved_within_its_month_keeps_the_month_ends(warehouses, tmp_path):
    inc, _, _, landing, dbt = warehouses
    db = tmp_path / "kam.duckdb"
    shutil.copyfile(inc, db)
    dates = [d for (d,) in dbt.snapshot_dates["after"]]
    # another day of the same month
    moved = dates[-1].replace(day=1) if dates[-1].day > 1 else dates[-1] + dt.timedelta(days=1)
    assert moved != dates[-1] and moved.month == dates[-1].month
    as_of = "{as_of_date: '" + moved.isoformat() + "'}"
    dbt(db, landing, "run", "--select", "+int_segment_entity_classes", "--vars", as_of,
        whole_chain=False)  # fmt: skip
    history = ", ".join(d.isoformat() for d in dates[:-1])
    for name in SNAPSHOT_TABLES:
        assert dbt.snapshot_decisions[-1][name] == (
            f"kept snapshots {history}; rebuilt {moved.isoformat()}, their inputs changed"
        ), name
    # the old as-of date's rows are gone, the new date's are there
    found = _query(
        db, "select distinct snapshot_date from intermediate.int_segment_entity_classes order by 1"
    )
    assert [d for (d,) in found] == [*dates[:-1], moved]
    partial = tmp_path / "partial.duckdb"
    shutil.copyfile(db, partial)
    dbt(db, landing, "run", "--select", *SNAPSHOT_TABLES, "--full-refresh", "--vars", as_of,
        whole_chain=False)  # fmt: skip
    tables = [f"intermediate.{name}" for name in SNAPSHOT_TABLES]
    assert bench.real_differences(bench.compare_databases(partial, db, tables=tables)) == {}


def test_incremental_models_fingerprint_the_macros_they_call(tmp_path):
    """An incremental model rebuilds in full when its code changed: its config row holds
    code_signature(), which digests the text of the project macros it calls, transitively (a
    change to rounds_to_zero must restage the sales lines, not only a change to the model)."""
    env = {
        "KAM_DUCKDB_PATH": str(tmp_path / "kam.duckdb"),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    inline = "select $${{ project_macro_texts(['macro.kam.rounds_to_zero']) }}$$ as texts"
    out = run_dbt(["compile", "--inline", inline], env).stdout
    # rounds_to_zero calls to_decimal and number_text, and to_decimal calls number_text again
    for name in ("rounds_to_zero", "to_decimal", "number_text"):
        assert out.count(f"macro {name}(") == 1, name
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    incremental = {
        n["name"]: n["raw_code"]
        for n in manifest["nodes"].values()
        if n["resource_type"] == "model" and n["config"]["materialized"] == "incremental"
    }
    assert len(incremental) >= 6
    for name, code in incremental.items():
        assert "code_signature()" in code and "local_md5(model.raw_code" not in code, name
