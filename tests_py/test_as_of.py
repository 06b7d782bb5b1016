"""A build as of a past date reads nothing dated after it.

Two warehouses are built with the same as-of date, in the middle of a month some months before
the data end: one from the full demo, one from the same files with every sales line dated after
the as-of date removed. Every account-level mart must be identical: segments, profitability
(whose current month, quarter and trailing year end on the as-of date), scores, visit plans.
Only the line-level fact and the data-quality marts may differ, since the full files do hold
those later lines (quarantined as out of range, or kept in the fact within var
max_future_days). The full build runs every data test at that as-of date (the README's
override), the cut one models only (`kam build --models-only`), on a 300-account demo. The dbt
unit tests then run with other thresholds: they pin the vars their expectations assume, so a
plain `dbt build --vars ...` with the user's thresholds still passes them.
"""

from __future__ import annotations

import datetime as dt
import shutil

import duckdb
import pytest

from kam import bench, generate

from .conftest import build_env, run_dbt, run_kam

# the marts that hold lines, or count the input's rows, rather than describe accounts as of a date
LINE_AND_INPUT_MARTS = {
    "marts.fct_sales_lines",
    "marts.dq_exclusions",
    "marts.dq_quarantine",
    "marts.dq_reconciliation",
}


def _cut_sales_lines(src, dst, as_of: dt.date) -> tuple[int, int]:
    """Copy the sales-line file keeping the lines dated on or before `as_of` (and the lines
    whose date cannot be read, which are quarantined either way); return both counts."""
    con = duckdb.connect()
    read = f"read_csv('{src}', all_varchar = true, header = true)"
    con.execute(
        f"copy (select * from {read} where try_cast(invoice_date as date) is null "
        f"or try_cast(invoice_date as date) <= date '{as_of.isoformat()}') "
        f"to '{dst}' (header, delimiter ',')"
    )
    [(before,)] = con.sql(f"select count(*) from {read}").fetchall()
    [(after,)] = con.sql(f"select count(*) from read_csv('{dst}', all_varchar = true)").fetchall()
    return before, after


@pytest.fixture(scope="module")
def as_of_builds(tmp_path_factory):
    full = tmp_path_factory.mktemp("as_of_full_landing")
    generate.generate(full, scale="small", seed=7, accounts=300, fmt="csv")
    con = duckdb.connect()
    [(last_day,)] = con.sql(
        f"select max(try_cast(invoice_date as date)) from read_csv('{full / 'sales_lines.csv'}', "
        "all_varchar = true) where try_cast(invoice_date as date) <= date '2030-01-01'"
    ).fetchall()
    # mid-month, about half a year before the data end: every period type ends inside a month
    as_of = (last_day - dt.timedelta(days=170)).replace(day=15)
    cut = tmp_path_factory.mktemp("as_of_cut_landing")
    for path in full.iterdir():
        if path.name != "sales_lines.csv":
            shutil.copy(path, cut / path.name)
    counts = _cut_sales_lines(full / "sales_lines.csv", cut / "sales_lines.csv", as_of)
    vars_ = "{as_of_date: '" + as_of.isoformat() + "'}"
    dbs = {}
    envs = {}
    for name, landing in (("full", full), ("cut", cut)):
        tmp = tmp_path_factory.mktemp(f"as_of_{name}_wh")
        envs[name] = build_env(tmp, landing)
        # the full files with every data test, as the README's as_of_date override runs them
        only = ["--models-only"] if name == "cut" else []
        run_kam(["build", *only, "--vars", vars_], envs[name])
        dbs[name] = tmp / "kam.duckdb"
    return dbs, as_of, counts, envs


def test_the_cut_files_lack_lines_after_the_as_of_date(as_of_builds):
    _, _, (before, after), _ = as_of_builds
    assert before - after > 1000, "the demo must hold lines after the as-of date"


def test_no_account_level_mart_reads_a_line_dated_after_the_as_of_date(as_of_builds):
    dbs, _, _, _ = as_of_builds
    con = duckdb.connect(str(dbs["cut"]), read_only=True)
    marts = [
        f"marts.{t}"
        for (t,) in con.sql(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
        ).fetchall()
    ]
    con.close()
    compared = [t for t in marts if t not in LINE_AND_INPUT_MARTS]
    assert "marts.fct_account_profitability" in compared and len(compared) > 20
    diffs = bench.compare_databases(dbs["full"], dbs["cut"], tables=compared)
    assert bench.real_differences(diffs) == {}


def test_the_current_period_ends_on_the_as_of_date_with_its_sales(as_of_builds):
    """The current month's revenue in profitability is the fact's, from the first of the month
    to the as-of date (the full files hold the rest of the month)."""
    dbs, as_of, _, _ = as_of_builds
    con = duckdb.connect(str(dbs["full"]), read_only=True)
    [(mart, fact, later)] = con.sql(f"""
        select
            (select sum(net_revenue) from marts.fct_account_profitability
             where period_type = 'month' and is_current_period),
            (select sum(net_revenue) from marts.fct_sales_lines
             where invoice_date between date_trunc('month', date '{as_of}') and date '{as_of}'),
            (select sum(net_revenue) from marts.fct_sales_lines
             where invoice_date > date '{as_of}'
               and invoice_date < date_trunc('month', date '{as_of}') + interval 1 month)
    """).fetchall()
    con.close()
    assert later and later > 0, "the full files must hold sales later in the as-of month"
    assert mart == fact


#: every threshold a unit test might read, moved off its default
OTHER_THRESHOLDS = (
    "{abc_a_cutoff: 0.7, abc_b_cutoff: 0.9, xyz_x_cutoff: 0.4, xyz_y_cutoff: 0.9, "
    "min_history_months: 4, key_account_revenue_share: 0.6, breadwinner_min_share: 0.15, "
    "lost_interval_multiple: 2.5, lost_max_days: 300, lost_min_days: 100, "
    "at_risk_z_threshold: 1.2, high_share_of_wallet: 0.5, high_potential_percentile: 0.6, "
    "practical_capacity_share: 0.7, order_handling_cost: 10.0, min_cost_coverage: 0.9, "
    "cos_ratio_reduce: 0.2, cos_ratio_renegotiate: 0.45, growth_threshold: 0.04, "
    "score_band_low: 35, score_band_high: 65, field_day_share: 0.5, default_visits_per_day: 4, "
    "plan_period_working_days: 50, window_months: 6, snapshot_interval_months: 2, "
    "big_r_min_tenure_months: 20, transactional_min_discount_share: 0.07}"
)


def test_unit_tests_hold_with_the_users_thresholds(as_of_builds):
    _, _, _, envs = as_of_builds
    proc = run_dbt(["test", "--select", "test_type:unit", "--vars", OTHER_THRESHOLDS], envs["full"])
    assert "ERROR=0" in proc.stdout and "PASS=" in proc.stdout, proc.stdout[-3000:]
