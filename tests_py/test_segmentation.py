"""Unit tests of the purchase-interval and demand-class functions (kam/segmentation.py).

The dbt Python model int_segment_purchase_intervals runs GATHER_SQL and STATISTICS_SQL in DuckDB;
the pure functions are the reference definitions that SQL is checked against. The edge cases here
(single purchase, missing lists, negative sizes, values exactly at a cut-off, empty input) are the
ones real sales exports produce.
"""

from __future__ import annotations

import datetime as dt
import itertools

import duckdb
import numpy as np
import pandas as pd
import pytest

from kam.segmentation import (
    DEMAND_CLASSES,
    GATHER_SQL,
    GATHERED_COLUMNS,
    MODEL_COLUMNS,
    STATISTICS_SQL,
    adi_from_span,
    average_demand_interval,
    cv_squared,
    cv_squared_from_sums,
    demand_class,
    gather_statistics,
    kept_snapshot_dates,
    mean,
    median,
)

ADI_CUTOFF = 1.32
CV2_CUTOFF = 0.49


# --------------------------------------------------------------------------------------------
# median / mean
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([30], 30.0),
        ([10, 30, 20], 20.0),
        ([10, 20, 30, 40], 25.0),
        ([7, 7, 7, 365], 7.0),  # one long gap does not move the usual interval
    ],
)
def test_median_odd_even_and_robust(values, expected):
    assert median(values) == expected


@pytest.mark.parametrize("values", [None, [], [None], [float("nan")], pd.NA])
def test_median_and_mean_of_nothing_is_none(values):
    assert median(values) is None
    assert mean(values) is None


def test_mean_skips_missing_values():
    assert mean([10, None, 20, float("nan"), pd.NA]) == 15.0


def test_median_accepts_numpy_arrays():
    assert median(np.array([5, 1, 3])) == 3.0


# --------------------------------------------------------------------------------------------
# ADI
# --------------------------------------------------------------------------------------------


def test_adi_of_a_monthly_buyer_is_one():
    assert average_demand_interval(range(12)) == 1.0


def test_adi_is_the_mean_gap_whatever_the_order():
    # purchases in periods 0, 3 and 9: gaps 3 and 6 -> 4.5
    assert average_demand_interval([9, 0, 3]) == 4.5


def test_adi_counts_a_period_once():
    assert average_demand_interval([2, 2, 4]) == 2.0


@pytest.mark.parametrize("periods", [None, [], [5], [5, 5]])
def test_adi_needs_two_distinct_periods(periods):
    assert average_demand_interval(periods) is None


# --------------------------------------------------------------------------------------------
# CV^2
# --------------------------------------------------------------------------------------------


def test_cv_squared_of_equal_sizes_is_zero():
    assert cv_squared([100, 100, 100]) == 0.0


def test_cv_squared_population_formula():
    # sizes 150 and 50: mean 100, population std 50 -> CV 0.5 -> CV^2 0.25
    assert cv_squared([150, 50]) == pytest.approx(0.25)


@pytest.mark.parametrize("sizes", [None, [], [100]])
def test_cv_squared_needs_two_sizes(sizes):
    assert cv_squared(sizes) is None


@pytest.mark.parametrize("sizes", [[100, -100], [-10, -20], [0, 0]])
def test_cv_squared_undefined_when_mean_not_positive(sizes):
    # months of net credit notes: a coefficient of variation would be meaningless
    assert cv_squared(sizes) is None


def test_cv_squared_keeps_a_negative_month_when_the_mean_is_positive():
    value = cv_squared([300, -100])
    assert value == pytest.approx(4.0)  # mean 100, std 200


# --------------------------------------------------------------------------------------------
# demand class
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("adi", "cv2", "expected"),
    [
        (1.0, 0.1, "smooth"),
        (1.0, 0.9, "erratic"),
        (3.0, 0.1, "intermittent"),
        (3.0, 0.9, "lumpy"),
        # exactly at a cut-off goes to the upper side, as in the published rule
        (ADI_CUTOFF, 0.1, "intermittent"),
        (1.0, CV2_CUTOFF, "erratic"),
        (ADI_CUTOFF, CV2_CUTOFF, "lumpy"),
    ],
)
def test_demand_class_quadrants_and_cutoffs(adi, cv2, expected):
    assert demand_class(adi, cv2, ADI_CUTOFF, CV2_CUTOFF) == expected
    assert expected in DEMAND_CLASSES


@pytest.mark.parametrize(
    ("adi", "cv2"), [(None, 0.1), (1.0, None), (float("nan"), 0.1), (1.0, pd.NA)]
)
def test_demand_class_is_none_without_data(adi, cv2):
    assert demand_class(adi, cv2, ADI_CUTOFF, CV2_CUTOFF) is None


def test_demand_class_follows_configured_cutoffs():
    assert demand_class(1.5, 0.3, adi_cutoff=2.0, cv2_cutoff=0.49) == "smooth"
    assert demand_class(1.5, 0.3, adi_cutoff=1.32, cv2_cutoff=0.2) == "lumpy"


# --------------------------------------------------------------------------------------------
# aggregate forms (what the dbt model computes from DuckDB's sums) against the list definitions
# --------------------------------------------------------------------------------------------


def test_adi_from_span_matches_the_list_definition():
    assert adi_from_span(0, 2, 3) == average_demand_interval([0, 1, 2]) == 1.0
    assert adi_from_span(1, 5, 2) == average_demand_interval([5, 1]) == 4.0
    assert adi_from_span(3, 3, 1) is None
    assert adi_from_span(None, None, 0) is None


def test_cv_squared_from_sums_matches_the_list_definition():
    sizes = [50.0, 150.0, 100.0, -20.0]
    n, total = len(sizes), sum(sizes)
    spread = n * sum(x * x for x in sizes) - total**2
    assert cv_squared_from_sums(n, total, spread) == pytest.approx(cv_squared(sizes))
    assert cv_squared_from_sums(3, 300.0, 0.0) == 0.0
    assert cv_squared_from_sums(1, 100.0, 0.0) is None
    assert cv_squared_from_sums(2, -10.0, 50.0) is None
    assert cv_squared_from_sums(2, 0.0, 50.0) is None


# --------------------------------------------------------------------------------------------
# GATHER_SQL + STATISTICS_SQL (what the dbt model runs)
# --------------------------------------------------------------------------------------------


def _model_on(days: list[tuple], periods: list[tuple], snapshots: list[tuple]) -> pd.DataFrame:
    """The model's rows on small in-memory inputs, as a pandas frame (see ``_relation_on``)."""
    return _relation_on(days, periods, snapshots).df()


def _relation_on(days: list[tuple], periods: list[tuple], snapshots: list[tuple]):
    """Run the model's DuckDB queries on small in-memory inputs: the relation it returns.

    days: (segment_entity_id, sales_date, is_purchase_day); days_since_previous_purchase_day is
    derived here exactly as int_segment_entity_days does. periods: (segment_entity_id,
    snapshot_index, period_index, is_in_window, net_revenue); snapshots: (snapshot_index, date).
    """
    con = duckdb.connect()
    con.execute(
        "create table raw_days"
        " (segment_entity_id varchar, sales_date date, is_purchase_day boolean)"
    )
    con.executemany("insert into raw_days values (?, ?, ?)", days)
    con.execute(
        """
        create table entity_days as
        select
            *,
            case when is_purchase_day then sales_date - lag(
                case when is_purchase_day then sales_date end ignore nulls
            ) over (partition by segment_entity_id order by sales_date) end
                as days_since_previous_purchase_day
        from raw_days
        """
    )
    con.execute(
        "create table entity_periods (segment_entity_id varchar, snapshot_index integer,"
        " period_index integer, is_in_window boolean, net_revenue decimal(18, 4),"
        " is_purchase_period boolean)"
    )
    if periods:
        con.executemany("insert into entity_periods values (?, ?, ?, ?, ?, true)", periods)
    con.execute("create table snapshots (snapshot_index integer, snapshot_date date)")
    con.executemany("insert into snapshots values (?, ?)", snapshots)
    for (index,) in con.sql("select snapshot_index from snapshots").fetchall():
        gathered = con.execute(GATHER_SQL, {"snapshot_index": index}).df()
        assert tuple(gathered.columns) == GATHERED_COLUMNS
        assert set(gathered["segment_entity_snapshot_id"].str.split(":").str[-1]) <= {str(index)}
    tables = {name: con.table(name) for name in ("entity_days", "entity_periods", "snapshots")}
    relation = gather_statistics(con, **tables, adi_cutoff=ADI_CUTOFF, cv2_cutoff=CV2_CUTOFF)
    assert isinstance(relation, duckdb.DuckDBPyRelation)
    return relation


def test_statistics_of_a_regular_and_a_single_purchase_account():
    days = [
        ("account:A", "2024-01-01", True),
        ("account:A", "2024-01-31", True),
        ("account:A", "2024-02-15", False),  # credit notes only: not a purchase day
        ("account:A", "2024-03-02", True),
        ("account:A", "2024-03-31", True),
        ("account:B", "2024-03-01", True),
    ]
    periods = [
        ("account:A", 0, 0, True, 100),
        ("account:A", 0, 1, True, 100),
        ("account:A", 0, 2, True, 100),
        ("account:B", 0, 0, True, 250),
    ]
    result = _model_on(days, periods, [(0, "2024-03-31")]).set_index("segment_entity_snapshot_id")
    regular = result.loc["account:A:0"]
    assert regular["purchase_day_count"] == 4
    assert regular["purchase_interval_count"] == 3
    assert regular["median_purchase_interval_days"] == 30.0  # gaps 30, 31, 29
    assert regular["max_purchase_interval_days"] == 31.0
    assert regular["adi"] == 1.0
    assert regular["cv_squared"] == 0.0
    assert regular["demand_class"] == "smooth"
    single = result.loc["account:B:0"]
    assert single["purchase_interval_count"] == 0
    assert pd.isna(single["median_purchase_interval_days"])
    assert pd.isna(single["adi"])
    assert pd.isna(single["demand_class"])
    assert single["window_purchase_period_count"] == 1


class _CursorWrapper:
    """As dbt-duckdb hands a Python model its session: execute() is the wrapper's own method."""

    def __init__(self, con):
        self._con = con

    def __getattr__(self, name):
        return getattr(self._con, name)

    def execute(self, sql, bindings=None):
        return self._con.execute(sql, bindings)


def test_gather_reads_the_relations_given_whatever_their_names_and_snapshot_by_snapshot():
    days = [("account:A", "2024-01-01", True), ("account:A", "2024-01-31", True)]
    days += [("account:A", "2024-05-01", True)]
    periods = [("account:A", 0, 0, True, 100), ("account:A", 1, 0, True, 100)]
    snapshots = [(0, "2024-06-30"), (1, "2024-03-31")]
    expected = _model_on(days, periods, snapshots)
    con = duckdb.connect()
    con.execute("create schema intermediate")
    con.execute("create table intermediate.raw (segment_entity_id varchar, sales_date date)")
    con.executemany("insert into intermediate.raw values (?, ?)", [d[:2] for d in days])
    con.execute(
        "create table intermediate.days as select *, true as is_purchase_day, sales_date - lag("
        "sales_date) over (partition by segment_entity_id order by sales_date)"
        " as days_since_previous_purchase_day from intermediate.raw"
    )
    con.execute(
        "create table intermediate.periods (segment_entity_id varchar, snapshot_index integer,"
        " period_index integer, is_in_window boolean, net_revenue decimal(18, 4),"
        " is_purchase_period boolean)"
    )
    con.executemany("insert into intermediate.periods values (?, ?, ?, ?, ?, true)", periods)
    con.execute("create table intermediate.dates (snapshot_index integer, snapshot_date date)")
    con.executemany("insert into intermediate.dates values (?, ?)", snapshots)
    result = gather_statistics(
        _CursorWrapper(con),
        entity_days=con.table("intermediate.days"),
        entity_periods=con.table("intermediate.periods"),
        snapshots=con.table("intermediate.dates"),
        adi_cutoff=ADI_CUTOFF,
        cv2_cutoff=CV2_CUTOFF,
    ).df()
    pd.testing.assert_frame_equal(result, expected)
    # one block per snapshot: gaps 30 and 91 days up to June, only the first up to March
    assert list(result["segment_entity_snapshot_id"]) == ["account:A:0", "account:A:1"]
    assert list(result["purchase_interval_count"]) == [2, 1]
    assert list(result["max_purchase_interval_days"]) == [91.0, 30.0]


def test_gather_skips_the_snapshots_kept_and_reads_which_from_the_warehouse():
    days = [("account:A", "2024-01-10", True), ("account:A", "2024-01-20", True)]
    snapshots = [(0, "2024-01-31"), (1, "2024-01-15")]
    every = _model_on(days, [], snapshots)
    con = duckdb.connect()
    # outside a snapshot_table build there is no list: every snapshot is computed
    assert kept_snapshot_dates(con, "m") == []
    con.execute("create schema incremental_state")
    con.execute(
        "create table incremental_state.\"m__kept\" as select date '2024-01-15' as snapshot_date"
    )
    kept = kept_snapshot_dates(con, "m")
    assert kept == [dt.date(2024, 1, 15)]
    con.execute("create table raw_days (segment_entity_id varchar, sales_date date)")
    con.executemany("insert into raw_days values (?, ?)", [d[:2] for d in days])
    con.execute(
        "create table entity_days as select *, true as is_purchase_day,"
        " sales_date - lag(sales_date) over (partition by segment_entity_id order by sales_date)"
        " as days_since_previous_purchase_day from raw_days"
    )
    con.execute(
        "create table entity_periods (segment_entity_id varchar, snapshot_index integer,"
        " period_index integer, is_in_window boolean, net_revenue decimal(18, 4),"
        " is_purchase_period boolean)"
    )
    con.execute("create table snapshots (snapshot_index integer, snapshot_date date)")
    con.executemany("insert into snapshots values (?, ?)", snapshots)
    tables = {name: con.table(name) for name in ("entity_days", "entity_periods", "snapshots")}
    relation = gather_statistics(
        con, **tables, adi_cutoff=ADI_CUTOFF, cv2_cutoff=CV2_CUTOFF, kept_dates=kept
    )
    result = relation.df()
    # only the snapshot not kept, with the rows a whole computation gives it
    pd.testing.assert_frame_equal(
        result, every[every["snapshot_date"] != pd.Timestamp("2024-01-15")]
    )
    assert list(result["segment_entity_snapshot_id"]) == ["account:A:0"]
    # every snapshot kept: a typed empty relation, and the earlier result is still readable
    none = gather_statistics(
        con, **tables, adi_cutoff=ADI_CUTOFF, cv2_cutoff=CV2_CUTOFF,
        kept_dates=[dt.date(2024, 1, 15), dt.date(2024, 1, 31)],
    )  # fmt: skip
    assert none.fetchall() == []
    assert dict(zip(none.columns, map(str, none.types), strict=True)) == MODEL_COLUMNS
    pd.testing.assert_frame_equal(relation.df(), result)


def test_a_purchase_after_the_snapshot_is_not_counted():
    days = [("account:A", "2024-01-10", True), ("account:A", "2024-01-20", True)]
    snapshots = [(0, "2024-01-31"), (1, "2024-01-15")]
    result = _model_on(days, [], snapshots).set_index("segment_entity_snapshot_id")
    assert result.loc["account:A:0", "purchase_interval_count"] == 1
    assert result.loc["account:A:1", "purchase_day_count"] == 1
    assert pd.isna(result.loc["account:A:1", "median_purchase_interval_days"])


def test_statistics_without_a_purchase_in_the_window():
    # an account that bought only before the window: no window figures at all
    days = [("account:C", "2023-01-01", True), ("account:C", "2024-02-05", True)]
    result = _model_on(days, [], [(0, "2024-12-31")])
    row = result.iloc[0]
    assert row["median_purchase_interval_days"] == 400.0
    assert row["window_purchase_period_count"] == 0
    assert pd.isna(row["adi"])
    assert pd.isna(row["cv_squared"])
    assert pd.isna(row["demand_class"])


def test_statistics_output_columns_and_types():
    days = [("account:A", "2024-01-01", True), ("account:A", "2024-01-11", True)]
    periods = [("account:A", 0, 0, True, 50), ("account:A", 0, 2, True, 150)]
    relation = _relation_on(days, periods, [(0, "2024-03-31")])
    # the model's table: the statistics and the snapshot date, a DATE in DuckDB
    assert dict(zip(relation.columns, map(str, relation.types), strict=True)) == MODEL_COLUMNS
    assert list(MODEL_COLUMNS)[:2] == ["segment_entity_snapshot_id", "snapshot_date"]
    row = dict(zip(relation.columns, relation.fetchall()[0], strict=True))
    assert row["snapshot_date"] == dt.date(2024, 3, 31)
    assert row["adi"] == 2.0
    assert row["cv_squared"] == pytest.approx(0.25)
    assert row["demand_class"] == "intermittent"


def test_periods_outside_the_window_are_ignored():
    days = [("account:A", "2024-01-01", True)]
    periods = [("account:A", 0, 0, True, 50), ("account:A", 0, 13, False, 5000)]
    row = _model_on(days, periods, [(0, "2024-03-31")]).iloc[0]
    assert row["window_purchase_period_count"] == 1


def _statistics_of(gathered: list[tuple]) -> dict[str, tuple]:
    """STATISTICS_SQL on hand-made ``gathered`` rows (GATHERED_COLUMNS; window columns
    count, first, last, revenue, spread): (adi, cv_squared, demand_class) by id."""
    con = duckdb.connect()
    con.execute(
        "create table gathered (segment_entity_snapshot_id varchar, purchase_day_count bigint,"
        " purchase_interval_count bigint, median_purchase_interval_days double,"
        " mean_purchase_interval_days double, max_purchase_interval_days double,"
        " window_purchase_period_count bigint, first_window_purchase_period integer,"
        " last_window_purchase_period integer, window_purchase_revenue double,"
        " window_revenue_spread double)"
    )
    if gathered:
        con.executemany(
            "insert into gathered values (?, 1, 0, null, null, null, ?, ?, ?, ?, ?)", gathered
        )
    parameters = {"snapshot_date": dt.date(2024, 12, 31), "adi_cutoff": ADI_CUTOFF}
    rows = con.execute(STATISTICS_SQL, {**parameters, "cv2_cutoff": CV2_CUTOFF}).fetchall()
    return {row[0]: (row[8], row[9], row[10]) for row in rows}


def test_statistics_sql_follows_the_reference_rules_at_the_edges():
    # (id, periods, first, last, revenue, spread); ADI = (last - first) / (n - 1),
    # CV^2 = max(spread, 0) / revenue^2 (spread = n * sum(x^2) - sum(x)^2)
    adi_at_cutoff = (0, 33, 26)  # ADI 33 / 25 = 1.32 exactly: the upper side
    cases = [
        ("one_period", 1, 3, 3, 100.0, 0.0),
        ("no_window", 0, None, None, None, None),
        ("net_credit", 3, 0, 2, -50.0, 900.0),
        ("zero_total", 2, 0, 1, 0.0, 400.0),
        ("rounding_below_zero", 2, 0, 1, 200.0, -1e-9),
        ("smooth", 3, 0, 2, 300.0, 0.0),
        ("erratic", 2, 0, 1, 100.0, 2 * 100.0**2),
        ("intermittent", 2, 0, 6, 100.0, 0.0),
        ("lumpy", 2, 0, 6, 100.0, 2 * 100.0**2),
        ("adi_at_cutoff", adi_at_cutoff[2], adi_at_cutoff[0], adi_at_cutoff[1], 100.0, 0.0),
        ("cv2_at_cutoff", 2, 0, 1, 100.0, 0.49 * 100.0**2),
    ]
    got = _statistics_of(cases)
    assert set(got) == {case[0] for case in cases}
    for key, count, first, last, total, spread in cases:
        adi = adi_from_span(first, last, count)
        cv2 = cv_squared_from_sums(count, total, spread)
        want = (adi, cv2, demand_class(adi, cv2, ADI_CUTOFF, CV2_CUTOFF))
        assert got[key] == want, key
    assert got["adi_at_cutoff"][2] == "intermittent"
    assert got["cv2_at_cutoff"][2] == "erratic"
    assert got["rounding_below_zero"][1] == 0.0
    assert {got[k][2] for k in ("smooth", "erratic", "intermittent", "lumpy")} == set(
        DEMAND_CLASSES
    )
    assert _statistics_of([]) == {}


def test_statistics_are_written_back_to_duckdb_as_nulls_not_nan():
    days = [("account:A", "2024-01-01", True), ("account:B", "2024-01-01", True)]
    periods = [("account:A", 0, 0, True, 10), ("account:A", 0, 5, True, 30)]
    result = _relation_on(days, periods, [(0, "2024-03-31")])
    nulls = result.aggregate(
        "count(*) filter (where adi is null),"
        " count(*) filter (where isnan(adi)),"
        " count(*) filter (where demand_class is null),"
        " count(*) filter (where demand_class = 'intermittent')"
    ).fetchall()
    assert nulls == [(1, 0, 1, 1)]


def test_the_aggregate_path_equals_the_list_definitions_on_random_histories():
    """GATHER_SQL + STATISTICS_SQL give what the list-based reference functions give."""
    rng = np.random.default_rng(7)
    days, periods, expected = [], [], {}
    snapshots = [(0, "2024-12-31"), (1, "2024-09-30")]
    for k in range(60):
        entity = f"account:R{k}"
        dates = sorted(
            {
                pd.Timestamp("2023-01-01") + pd.Timedelta(days=int(d))
                for d in rng.integers(0, 730, rng.integers(1, 12))
            }
        )
        flags = [bool(rng.random() < 0.85) for _ in dates]
        days += [(entity, d.date().isoformat(), f) for d, f in zip(dates, flags, strict=True)]
        chosen = sorted({int(p) for p in rng.integers(0, 12, rng.integers(0, 8))})
        sizes = [round(float(rng.normal(100, 80)), 2) for _ in chosen]
        periods += [(entity, 0, p, True, v) for p, v in zip(chosen, sizes, strict=True)]
        purchase_dates = [d for d, f in zip(dates, flags, strict=True) if f]
        if purchase_dates:
            gaps = [(b - a).days for a, b in itertools.pairwise(purchase_dates)]
            expected[f"{entity}:0"] = (
                median(gaps),
                mean(gaps),
                average_demand_interval(chosen),
                cv_squared(sizes),
            )
    result = _model_on(days, periods, snapshots).set_index("segment_entity_snapshot_id")
    assert set(expected) <= set(result.index)
    for key, (med, avg, adi, cv2) in expected.items():
        row = result.loc[key]
        for got, want in [
            (row["median_purchase_interval_days"], med),
            (row["mean_purchase_interval_days"], avg),
            (row["adi"], adi),
            (row["cv_squared"], cv2),
        ]:
            if want is None:
                assert pd.isna(got), key
            else:
                assert got == pytest.approx(want, rel=1e-9, abs=1e-12), key
