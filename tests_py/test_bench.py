"""The benchmark's parts (kam/bench.py, kam/peer_pandas.py): not timings, their correctness.

- the pandas peer gives the warehouse's headline numbers, account by account, on the demo;
- the floor runs the compiled SQL of every model and data test of a real build without dbt;
- the increment writer, the warehouse comparison, the measurement and the target verdicts.
"""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from kam import bench, peer_pandas
from tests_py.test_incremental import Dbt


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """A 300-account demo built by dbt (seeds and models; another area's mart that fails does
    not stop it), with every node compiled: (database, landing folder, manifest)."""
    from kam import generate

    work = tmp_path_factory.mktemp("bench")
    landing = work / "landing"
    generate.generate(landing, scale="small", seed=11, accounts=300)
    dbt = Dbt(work)
    db = work / "wh" / "kam.duckdb"
    dbt(db, landing, "seed")
    dbt(db, landing, "run")
    dbt(db, landing, "compile", "--full-refresh")  # every node's full-build SQL, for the floor
    return db, landing, work / "target" / "manifest.json", dbt.foreign_failures


def test_peer_gives_the_warehouse_headline_numbers(warehouse, tmp_path):
    demo_warehouse, demo_landing, _, foreign = warehouse
    for mart in ("fct_account_segments", "fct_account_profitability"):
        if mart in foreign:
            pytest.skip(f"{mart} does not build: {foreign[mart][:200]}")
    peer = peer_pandas.headline_metrics(demo_landing)
    path = tmp_path / "peer.parquet"
    peer.to_parquet(path, index=False)
    con = duckdb.connect()
    con.execute(f"attach '{demo_warehouse}' as w (read_only)")
    con.execute(f"create view p as select * from read_parquet('{path}')")
    [(as_of,)] = con.sql("select as_of_date from w.intermediate.int_as_of_date").fetchall()
    assert peer["as_of_date"].iloc[0].date() == as_of
    [row] = con.sql(
        """
        with w as (
            select s.account_id, s.net_revenue_window, s.abc_class, s.xyz_class,
                s.coefficient_of_variation, pr.gross_margin, pr.cost_of_sales, pr.net_contribution
            from w.marts.fct_account_segments as s
            left join w.marts.fct_account_profitability as pr
                on pr.account_id = s.account_id and pr.period_type = 'trailing_12m'
                and pr.is_current_period
        )
        select
            count(*),
            count(*) filter (where abs(w.net_revenue_window - p.net_revenue_12m) <= 0.01),
            count(*) filter (where w.abc_class = p.abc_class),
            count(*) filter (where w.xyz_class = p.xyz_class),
            count(*) filter (where abs(coalesce(w.coefficient_of_variation, -1)
                - coalesce(p.coefficient_of_variation, -1)) < 1e-6),
            count(*) filter (where abs(coalesce(w.gross_margin, -1e9)
                - coalesce(p.gross_margin_12m, -1e9)) <= 0.01),
            count(*) filter (where w.cost_of_sales is null
                or abs(w.cost_of_sales - p.cost_of_sales_12m) <= 0.01),
            count(*) filter (where abs(coalesce(w.net_contribution, -1e9)
                - coalesce(p.net_contribution_12m, -1e9)) <= 0.01),
            (select count(*) from w.marts.fct_account_segments where net_revenue_window != 0)
        from w join p using (account_id)
        """
    ).fetchall()
    total, *matches, buyers = row
    assert total >= buyers > 0  # every account with revenue is in both
    assert matches == [total] * len(matches)  # same numbers, account by account


def test_peer_quarantines_a_quantity_or_price_that_rounds_to_zero_like_the_warehouse(tmp_path):
    # stg_landing__sales_lines: 0.00004 would read as 0 and make a priced line goods given free
    header = (
        "invoice_id,line_number,invoice_date,account_id,product_id,rep_id,quantity,unit_price,"
        "discount_amount,currency,document_type,product_family"
    )
    rows = [
        f"INV{n},1,2024-05-20,ACC1,PRD1,REP1,{quantity},{price},,GBP,invoice,Tools"
        for n, quantity, price in [
            (1, "2", "10.00"),
            (2, "2", "0.00004"),
            (3, "0.00004", "10.00"),
            (4, "2", "0.00006"),  # 0.0001
            (5, "2", "0.0"),
        ]
    ]
    (tmp_path / "sales_lines.csv").write_text("\n".join([header, *rows]) + "\n")
    lines, _ = peer_pandas.clean_sales_lines(tmp_path, peer_pandas.params())
    assert sorted(lines["invoice_id"]) == ["INV1", "INV4", "INV5"]


def test_floor_runs_every_model_and_test_of_a_build(warehouse, tmp_path):
    demo_warehouse, demo_landing, manifest, foreign = warehouse
    db = tmp_path / "floor" / "kam.duckdb"
    bench.prepare_floor(db, demo_warehouse)
    timings = bench.run_floor(
        manifest, db, demo_landing, threads=2, memory_limit="2GB", temp_dir=str(tmp_path / "t")
    )
    models = [n for n in json.loads(manifest.read_text())["nodes"].values()
              if n["resource_type"] == "model"]  # fmt: skip
    assert timings["test_count"] > 500 and timings["models"] > 0
    # every test's SQL runs in the floor (one ending in a `--` comment once did not)
    assert timings["failed_tests"] == {}
    # the floor fails where dbt failed, nowhere else
    assert {u.split(".")[-1] for u in timings["failed_models"]} <= set(foreign)
    # same fact and same marts as dbt's build
    tables = ["marts.fct_sales_lines", "marts.fct_account_segments", "marts.dq_reconciliation"]
    diffs = bench.compare_databases(demo_warehouse, db, tables=tables, check_types=False)
    assert bench.real_differences(diffs) == {}

    def tables(path):
        con = duckdb.connect(str(path), read_only=True)
        try:
            return {t for (t,) in con.sql("select table_name from duckdb_tables()").fetchall()}
        finally:
            con.close()

    # every model dbt built, the floor built too
    assert {n["name"] for n in models} & tables(demo_warehouse) <= tables(db)


def test_headline_floor_runs_only_the_ancestors_of_the_headline_marts():
    def model(name, *deps):
        return {"resource_type": "model", "name": name,
                "depends_on": {"nodes": [f"model.kam.{d}" for d in deps]}}  # fmt: skip

    nodes = {f"model.kam.{n}": model(n, *d) for n, d in
             [("a", ()), ("b", ("a",)), ("c", ("b",)), ("x", ("a",))]}  # fmt: skip
    keep = bench._ancestors(nodes, ("c",))
    assert keep == {"model.kam.a", "model.kam.b", "model.kam.c"}
    assert bench._topological(nodes, keep) == ["model.kam.a", "model.kam.b", "model.kam.c"]


def test_increment_holds_a_day_late_lines_a_correction_and_a_duplicate(warehouse, tmp_path):
    demo_landing = warehouse[1]
    out = tmp_path / "sales_lines_zz.csv"
    counts = bench.write_increment(demo_landing, out)
    assert all(n > 0 for n in counts.values()), counts
    new = pd.read_csv(out, dtype=str)
    old = pd.read_csv(demo_landing / "sales_lines.csv", dtype=str)
    assert len(new) == sum(counts.values())
    assert new["invoice_date"].max() > old["invoice_date"].max()  # a new day
    assert (new["invoice_id"].str.endswith("-L")).sum() == counts["late"]
    key = ["invoice_id", "line_number"]
    both = new.merge(old, on=key, suffixes=("_new", "_old"))
    assert (both["quantity_new"] != both["quantity_old"]).sum() == 1  # the correction
    assert len(new.merge(old, how="inner")) >= 1  # the exact duplicate


def test_compare_databases_tells_identical_rounding_and_different(tmp_path):
    def make(path, rows):
        con = duckdb.connect(str(path))
        con.execute("create schema marts")
        con.execute("create table marts.t (id varchar, amount decimal(18, 4), x double)")
        con.executemany("insert into marts.t values (?, ?, ?)", rows)
        con.close()
        return path

    a = make(tmp_path / "a.duckdb", [("1", 1.0, 0.1), ("2", 2.0, 1 / 3)])
    b = make(tmp_path / "b.duckdb", [("2", 2.0, 1 / 3 + 1e-12), ("1", 1.0, 0.1)])
    c = make(tmp_path / "c.duckdb", [("1", 1.0001, 0.1), ("2", 2.0, 1 / 3)])
    d = make(tmp_path / "d.duckdb", [("1", 1.5, 0.1), ("2", 2.0, 1 / 3)])
    assert bench.compare_databases(a, b, tables=["marts.t"]) == {}
    assert bench.compare_databases(a, c, tables=["marts.t"])["marts.t"].startswith("within")
    assert bench.real_differences(bench.compare_databases(a, d, tables=["marts.t"])) != {}


def test_measure_reports_wall_time_and_the_child_peak_memory(tmp_path):
    # 200 MiB held for 1.5 s, then freed: the sampler sees it, and when
    code = (
        "import time; time.sleep(0.6); b = bytearray(200 * 1024 * 1024); b[::4096] = "
        "b'x' * len(b[::4096]); t = time.time(); time.sleep(1.5); del b; time.sleep(1.2); "
        "print(t)"
    )
    m = bench.measure([sys.executable, "-c", code], {}, tmp_path / "log.txt")
    assert m["returncode"] == 0 and m["seconds"] >= 3.3
    assert m["peak_rss_bytes"] >= 200 * 1024 * 1024
    allocated_at = float((tmp_path / "log.txt").read_text().split()[-1])
    assert allocated_at <= m["sampled_peak_at"] <= allocated_at + 1.5
    ((start, highest),) = m["rss_timeline"]  # one 30 s bucket
    # VmRSS and the kernel's high-water mark count pages slightly differently
    assert start == 0 and 200 * 1024 * 1024 <= highest <= 1.05 * m["peak_rss_bytes"]


def test_the_nodes_running_at_the_memory_peak_are_named():
    def result(uid, start, end):
        return {
            "unique_id": uid,
            "timing": [
                {"name": "compile", "started_at": f"2026-11-24T05:00:{start:02d}.000000Z",
                 "completed_at": f"2026-11-24T05:00:{start:02d}.500000Z"},
                {"name": "execute", "started_at": f"2026-11-24T05:00:{start:02d}.500000Z",
                 "completed_at": f"2026-11-24T05:00:{end:02d}.000000Z"},
            ],
        }  # fmt: skip

    results = [result("model.kam.a", 0, 10), result("model.kam.b", 5, 20), result("test.t", 30, 31)]
    at = dt.datetime(2026, 11, 24, 5, 0, tzinfo=dt.UTC).timestamp()
    assert bench.nodes_running_at(results, at + 7) == ["model.kam.a", "model.kam.b"]
    assert bench.nodes_running_at(results, at + 15) == ["model.kam.b"]
    # between nodes: the one that finished last before the peak
    assert bench.nodes_running_at(results, at + 25) == ["model.kam.b"]
    assert bench.nodes_running_at(results, at - 1) == []
    # the large-scale verdict names them
    run = {
        "dbt_build": {
            "seconds": 3000.0,
            "peak_rss_bytes": 13 * bench.GIB,
            "returncode": 0,
            "nodes_at_peak": ["model.kam.b"],
        }
    }
    out = {"scale": "large", "runs": [run], "resources": {"memory_limit": "10GB"}}
    why = bench.summarise(out)["targets"]["large_peak_gib"]["why"]
    assert why.endswith("; the highest run peaked while b ran")


def test_targets_pass_and_miss_with_their_margin():
    def stat(x):
        return {"median": x, "min": x, "max": x, "n": 1}

    summary = {
        "dbt_build": {"seconds": stat(100.0), "peak_gib": stat(13.0)},
        "dbt_fixed": {"seconds": stat(10.0), "peak_gib": stat(0.5)},
        "floor": {"seconds": stat(80.0), "peak_gib": stat(5.0)},
        "peer": {"seconds": stat(50.0), "peak_gib": stat(3.0)},
        "headline_sql": {"seconds": stat(10.0), "peak_gib": stat(3.0)},
        "dbt_incremental": {"seconds": stat(10.0), "peak_gib": stat(3.0)},
    }
    t = bench.evaluate("large", summary)
    assert t["dbt_overhead_ratio"]["status"] == "PASS"  # 90 / 80 = 1.125
    assert t["peer_speedup"]["status"] == "MISS" and t["peer_speedup"]["margin"] == "-50% vs target"
    assert t["large_peak_gib"]["status"] == "MISS" and t["large_peak_gib"]["applies"]
    assert t["incremental_ratio"]["status"] == "PASS"
    out = {
        "scale": "large",
        "started": "now",
        "runs": [{}],
        "summary": {**summary, "targets": t},
        "machine": {"cpu": "x", "cores": 2, "ram_gib": 1},
        "resources": bench.resources("large"),
    }
    text = bench.table(out)
    assert "| dbt_build" in text and "MISS" in text


def test_ratio_targets_show_each_run_and_runs_on_both_sides_of_a_target():
    def run(build, fixed, floor, inc):
        def m(x):
            return {"seconds": x, "peak_rss_bytes": 1, "returncode": 0}

        return {
            "dbt_build": m(build),
            "dbt_fixed": m(fixed),
            "floor": {**m(floor), "steps": {}, "failed_nodes": []},
            "dbt_incremental": m(inc),
        }

    # overhead per run: 1.40 and 1.10 (the medians give 1.25: PASS); incremental 0.5 and 0.4
    out = {"scale": "medium", "runs": [run(150, 10, 100, 75), run(120, 10, 100, 48)]}
    t = bench.summarise(out)["targets"]
    assert t["dbt_overhead_ratio"]["runs"] == [1.4, 1.1]
    assert t["dbt_overhead_ratio"]["status"] == "PASS"
    assert t["dbt_overhead_ratio"]["margin"].endswith("both sides of the target")
    assert t["incremental_ratio"]["runs"] == [0.5, 0.4]
    assert "both sides" not in t["incremental_ratio"]["margin"]
    assert bench._value(t["dbt_overhead_ratio"]) == "1.25 (runs: 1.4, 1.1)"
    # one run: the ratio of the medians alone
    one = bench.summarise({"scale": "medium", "runs": [run(150, 10, 100, 75)]})["targets"]
    assert "runs" not in one["dbt_overhead_ratio"]


def test_the_output_says_why_a_target_was_missed_from_the_runs_figures():
    def dbt(seconds, models, tests, chain, slowest):
        return {
            "seconds": seconds,
            "peak_rss_bytes": 1,
            "returncode": 0,
            "node_seconds_by_type": {"model": models, "test": tests},
            "node_count_by_type": {"model": 10, "test": 40},
            "chain_model_seconds": chain,
            "slowest_nodes": slowest,
        }

    run = {
        "dbt_build": dbt(100.0, 150.0, 40.0, 60.0, {"model.kam.stg_landing__sales_lines": 20.0}),
        "dbt_fixed": {"seconds": 5.0, "peak_rss_bytes": 1, "returncode": 0},
        "floor": {
            "seconds": 80.0,
            "peak_rss_bytes": 1,
            "returncode": 0,
            "failed_nodes": [],
            "steps": {"models": 70.0, "tests": 9.0, "test_count": 40},
        },
        "dbt_incremental": dbt(
            70.0,
            90.0,
            38.0,
            4.5,
            {
                "model.kam.int_segment_entity_periods": 30.0,
                "test.kam.not_null_x": 29.0,
                "model.kam.fct_sales_lines": 3.0,
            },
        ),
    }
    out = {"scale": "medium", "runs": [run], "resources": {"dbt_threads": 2}}
    targets = bench.summarise(out)["targets"]
    assert targets["dbt_overhead_ratio"]["status"] == "PASS"  # (100 - 5) / 80
    assert "why" not in targets["dbt_overhead_ratio"]
    why = targets["incremental_ratio"]["why"]  # 70 / 100
    assert "sales-line chain 4.5 s (a full build: 60.0 s)" in why
    assert "the other models 86 s" in why
    assert "int_segment_entity_periods 30.0 s" in why and "not_null_x" not in why
    assert "40 data tests 38 s" in why and "in the floor: 9 s" in why
    assert "kept" not in why  # a results file from before reusable_table says nothing of it
    text = bench._why_lines(targets)
    assert text[1] == "Why the misses (from these runs):" and len(text) == 3
    run["dbt_incremental"]["kept_models"] = ["stg_landing__activities", "int_activities"]
    why = bench.summarise(out)["targets"]["incremental_ratio"]["why"]
    assert "; 2 models whose inputs the day did not change were kept, not rebuilt;" in why
    run["dbt_incremental"]["kept_snapshots"] = {"a": [7, 1], "b": [7, 1]}
    why = bench.summarise(out)["targets"]["incremental_ratio"]["why"]
    assert "not rebuilt; the 2 snapshot_table models kept 14 snapshots and computed 2;" in why


def test_kept_models_are_read_from_the_dbt_log(tmp_path):
    log = tmp_path / "log_incremental_1.txt"
    log.write_text(
        "10:46:03  stg_landing__activities: kept, its SQL and inputs are unchanged since ...\n"
        "10:46:03  stg_landing__accounts: rebuilt, input changed: source.kam.landing.accounts\n"
        "10:46:04  int_activities: kept, its SQL and inputs are unchanged since its last build\n"
    )
    assert bench.kept_models(log) == ["int_activities", "stg_landing__activities"]
    assert bench.kept_models(tmp_path / "missing.txt") == []


def test_kept_snapshots_are_read_from_the_dbt_log(tmp_path):
    log = tmp_path / "log_incremental_1.txt"
    log.write_text(
        "10:46:03  int_segment_entity_periods: kept snapshots 2025-03-31, 2025-06-30; rebuilt "
        "2025-12-31, their inputs changed\n"
        "10:46:04  int_segment_entity_classes: kept snapshots 2025-03-31, 2025-06-30, "
        "2025-12-31; rebuilt none\n"
        "10:46:05  int_segment_entity_snapshots: rebuilt all snapshots, no table yet\n"
    )
    assert bench.kept_snapshots(log) == {
        "int_segment_entity_periods": [2, 1],
        "int_segment_entity_classes": [3, 0],
        "int_segment_entity_snapshots": [0, -1],
    }
    assert bench.kept_snapshots(tmp_path / "missing.txt") == {}


def test_a_build_that_did_not_complete_meets_no_target():
    def stat(x):
        return {"median": x, "min": x, "max": x, "n": 1}

    # dbt exits 1 on a failed data test after building everything: that run completed
    assert bench.completed({"returncode": 1, "failed_nodes": ["test.kam.not_null_x"]})
    assert bench.completed({"returncode": 0, "failed_nodes": []})
    # a model error, or a stop before dbt wrote its results, did not
    assert not bench.completed({"returncode": 1, "failed_nodes": ["model.kam.fct_sales_lines"]})
    assert not bench.completed({"returncode": 2, "failed_nodes": []})
    # a floor that could not run a test's SQL did less work than the build it is compared with
    floor = {"returncode": 0, "steps": {}, "failed_nodes": []}
    assert bench.completed(floor)
    assert not bench.completed({**floor, "failed_nodes": ["floor_test.assert_x"]})
    low_peak = {"seconds": stat(1250.0), "peak_gib": stat(6.25), "incomplete_runs": 1}
    t = bench.evaluate("large", {"dbt_build": low_peak})
    assert t["large_peak_gib"]["status"] == "MISS"
    assert "did not complete" in t["large_peak_gib"]["margin"]
    t = bench.evaluate("large", {"dbt_build": {**low_peak, "incomplete_runs": 0}})
    assert t["large_peak_gib"]["status"] == "PASS"
    out = {
        "scale": "large",
        "runs": [
            {
                "dbt_build": {
                    "seconds": 1.0,
                    "peak_rss_bytes": 1,
                    "returncode": 2,
                    "failed_nodes": [],
                }
            }
        ],
    }
    assert bench.summarise(out)["dbt_build"]["incomplete_runs"] == 1


def test_a_target_missed_by_a_stopped_run_says_which_model_stopped_and_why():
    message = (
        "Runtime Error in model int_sales_lines__checked (models/intermediate/dq/x.sql)\n"
        '  IO Error: Failed to create directory "/spill/large": No such file or directory'
    )
    assert bench._error_text(message) == (
        'IO Error: Failed to create directory "/spill/large": No such file or directory'
    )
    assert bench._error_text("out of memory") == "out of memory"
    assert bench._error_text(None) == ""
    uid = "model.kam.int_sales_lines__checked"
    build = {"seconds": 792.8, "peak_rss_bytes": 10 * 2**30, "returncode": 1,
             "failed_nodes": [uid], "errors": {uid: bench._error_text(message)}}  # fmt: skip
    out = {"scale": "large", "resources": {"memory_limit": "10GB"}, "runs": [{"dbt_build": build}]}
    why = bench.summarise(out)["targets"]["large_peak_gib"]["why"]
    assert why.startswith("a run did not complete, so its figure is of an unfinished build: ")
    assert 'int_sales_lines__checked (IO Error: Failed to create directory "/spill/large"' in why
    # a run that completed does not get that reason
    build = {**build, "returncode": 0, "failed_nodes": [], "errors": {}}
    targets = bench.summarise({**out, "runs": [{"dbt_build": build}]})["targets"]
    assert targets["large_peak_gib"]["status"] == "PASS"
    assert "why" not in targets["large_peak_gib"]


def test_the_benchmark_creates_its_spill_folder_before_dbt_runs(tmp_path):
    # DuckDB creates only the last level, and only when it first spills
    spill = tmp_path / "tmp" / "large"
    fake = type("B", (), {"res": {"temp_dir": str(spill), "dbt_threads": 1, "memory_limit": "1GB"}})
    env = bench.Bench.env(fake(), tmp_path / "kam.duckdb", tmp_path / "landing")
    assert spill.is_dir()
    assert env["KAM_TEMP_DIR"] == str(spill)


def test_resources_follow_the_machine():
    res = bench.resources("medium")
    assert res["threads"] >= 1
    assert 1 <= int(res["memory_limit"].removesuffix("GB")) <= 8
    assert Path(res["temp_dir"]).name == "medium"
    assert res["dbt_threads"] == res["threads"]
    # one dbt node at a time at the large scale: two big models shared one memory limit and
    # both ran out
    assert bench.resources("large")["dbt_threads"] == 1
    # the project's default limit at every scale: 10 GB let the large build peak at 13.26 GiB
    assert bench.resources("large")["memory_limit"] == res["memory_limit"]


@pytest.mark.parametrize("scale", ["small", "medium", "large"])
def test_every_scale_is_known_to_the_generator(scale):
    from kam import generate

    assert scale in generate.SCALES


def test_the_project_cli_runs_the_benchmark_command(tmp_path, capsys):
    """`python -m kam bench ...` is kam.bench's own command line (here: print a results file)."""
    from kam.cli import main

    results = {
        "scale": "small",
        "started": "2026-01-01T00:00:00+00:00",
        "runs": [{}],
        "machine": {"cpu": "x", "cores": 2, "ram_gib": 1},
        "resources": bench.resources("small"),
        "data": {"rows": {"sales_lines": 10, "accounts": 2}},
    }
    path = tmp_path / "small.json"
    path.write_text(json.dumps(results), encoding="utf-8")
    assert main(["bench", "--report", str(path)]) == 0
    assert "**small** (10 sales lines, 2 accounts)" in capsys.readouterr().out


def _one_run_results(started: str, peak_gib: float, seconds: float, **extra) -> dict:
    """A results file as `run` saves it, with one dbt_build run."""
    run = {
        "dbt_build": {
            "seconds": seconds,
            "cpu_seconds": seconds,
            "peak_rss_bytes": int(peak_gib * bench.GIB),
            "returncode": 0,
            "failed_nodes": [],
        }
    }
    return {
        "scale": "large",
        "started": started,
        "machine": {"cpu": "x", "cores": 2, "ram_gib": 23.5},
        "resources": {"threads": 2, "dbt_threads": 1, "memory_limit": "10GB", "temp_dir": "t"},
        "data": {"spec": {"scale": "large", "seed": 42}, "rows": {"sales_lines": 9, "accounts": 2}},
        "increment_rows": {"new": 1},
        "runs": [run],
        **extra,
    }


def test_results_files_of_the_same_setup_merge_and_the_peak_is_judged_on_the_highest_run(
    tmp_path, capsys
):
    """Two one-run large builds summarise as two runs; the memory ceiling is judged on the
    highest run (a median of 11.6 and 12.2 would pass while one run went over)."""
    code = {"commit": "abc", "modified": False}
    a = _one_run_results("2026-01-01T00:00:00+00:00", 11.0, 3000.0, code=code)
    b = _one_run_results("2026-01-02T00:00:00+00:00", 11.5, 3400.0)  # no code record
    merged = bench.merge([a, b])
    s = merged["summary"]
    assert s["dbt_build"]["seconds"] == {"median": 3200.0, "min": 3000.0, "max": 3400.0, "n": 2}
    t = s["targets"]["large_peak_gib"]
    assert (t["value"], t["status"]) == (11.5, "PASS")
    assert merged["merged_from"] == [a["started"], b["started"]]
    assert merged["code_unrecorded"] == [b["started"]] and merged["code"] == code
    assert merged["load_average_start"] == [None, None]  # one per file, none recorded here

    over = _one_run_results("2026-01-03T00:00:00+00:00", 12.2, 3300.0)
    low = _one_run_results("2026-01-04T00:00:00+00:00", 11.0, 3300.0)
    t = bench.merge([over, low])["summary"]["targets"]["large_peak_gib"]
    assert (t["value"], t["status"]) == (12.2, "MISS")

    # the command line: several files in, the merged results out
    for name, out in (("a.json", a), ("b.json", b)):
        (tmp_path / name).write_text(json.dumps(out), encoding="utf-8")
    merged_path = tmp_path / "merged.json"
    argv = [
        "--report",
        str(tmp_path / "a.json"),
        str(tmp_path / "b.json"),
        "--out",
        str(merged_path),
    ]
    assert bench.main(argv) == 0
    assert "2 run(s)" in capsys.readouterr().out
    assert len(json.loads(merged_path.read_text())["runs"]) == 2


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"scale": "medium"}, "scale differs"),
        ({"resources": {"threads": 2, "dbt_threads": 2, "memory_limit": "8GB"}}, "resources"),
        ({"data": {"spec": {"scale": "large", "seed": 7}, "rows": {}}}, "other arguments"),
        ({"machine": {"cpu": "y", "cores": 4, "ram_gib": 64}}, "another machine"),
        ({"code": {"commit": "def", "modified": False}}, "different commits"),
        ({"code": {"commit": "abc", "modified": True}}, "modified or unknown code"),
    ],
)
def test_results_that_do_not_compare_are_not_merged(change, message, capsys, tmp_path):
    code = {"commit": "abc", "modified": False}
    a = _one_run_results("2026-01-01T00:00:00+00:00", 11.0, 3000.0, code=code)
    b = {**_one_run_results("2026-01-02T00:00:00+00:00", 11.0, 3000.0, code=code), **change}
    with pytest.raises(ValueError, match=message):
        bench.merge([a, b])
    # the command line exits 2, the reason on stderr after the usage, no traceback
    for name, out in (("a.json", a), ("b.json", b)):
        (tmp_path / name).write_text(json.dumps(out), encoding="utf-8")
    with pytest.raises(SystemExit) as exit_info:
        bench.main(["--report", str(tmp_path / "a.json"), str(tmp_path / "b.json")])
    assert exit_info.value.code == 2
    assert message in capsys.readouterr().err


def test_code_version_names_the_checked_out_commit():
    code = bench.code_version()
    assert set(code) == {"commit", "modified"}
    if code["commit"] is not None:  # a git checkout (CI clones one)
        assert len(code["commit"]) == 40 and isinstance(code["modified"], bool)


def test_one_results_file_reports_as_it_is_whatever_its_code():
    """--report on one file re-derives its summary; the merge rules do not apply to it."""
    out = _one_run_results("2026-01-01T00:00:00+00:00", 11.0, 3000.0)
    out["code"] = {"commit": "abc", "modified": True}
    reported = bench.merge([out])
    assert "merged_from" not in reported and reported["runs"] == out["runs"]
    assert reported["summary"]["targets"]["large_peak_gib"]["status"] == "PASS"
    assert "Code: abc (modified)." in bench.markdown(reported)
