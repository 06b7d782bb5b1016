"""Unit tests of the purchase-interval and demand-class functions (kam/segmentation.py).

These functions run inside the dbt Python model int_segment_purchase_intervals; the edge cases
here (single purchase, missing lists, negative sizes, values exactly at a cut-off, empty input)
are the ones real sales exports produce.
"""

from __future__ import annotations

import math

import duckdb
import numpy as np
import pandas as pd
import pytest

from kam.segmentation import (
    DEMAND_CLASSES,
    OUTPUT_COLUMNS,
    average_demand_interval,
    cv_squared,
    demand_class,
    empty_output,
    mean,
    median,
    purchase_interval_statistics,
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
# purchase_interval_statistics (the frame the dbt model returns)
# --------------------------------------------------------------------------------------------


def _frame(rows):
    return pd.DataFrame(
        rows,
        columns=[
            "segment_entity_snapshot_id",
            "purchase_day_count",
            "interval_days",
            "window_purchase_periods",
            "window_purchase_revenues",
        ],
    )


def test_statistics_of_a_regular_and_a_single_purchase_account():
    frame = _frame(
        [
            ("account:A:0", 4, [30, 31, 29], [0, 1, 2], [100.0, 100.0, 100.0]),
            ("account:B:0", 1, [], [4], [250.0]),
        ]
    )
    result = purchase_interval_statistics(frame, ADI_CUTOFF, CV2_CUTOFF)
    regular = result.iloc[0]
    assert regular["segment_entity_snapshot_id"] == "account:A:0"
    assert regular["purchase_interval_count"] == 3
    assert regular["median_purchase_interval_days"] == 30.0
    assert regular["max_purchase_interval_days"] == 31.0
    assert regular["adi"] == 1.0
    assert regular["cv_squared"] == 0.0
    assert regular["demand_class"] == "smooth"
    single = result.iloc[1]
    assert single["purchase_interval_count"] == 0
    assert pd.isna(single["median_purchase_interval_days"])
    assert pd.isna(single["adi"])
    assert pd.isna(single["demand_class"])
    assert single["window_purchase_period_count"] == 1


def test_statistics_when_duckdb_gives_null_lists():
    # an account that bought only before the window: no window lists at all
    frame = _frame([("account:C:0", 2, [400], None, None)])
    result = purchase_interval_statistics(frame, ADI_CUTOFF, CV2_CUTOFF)
    row = result.iloc[0]
    assert row["median_purchase_interval_days"] == 400.0
    assert row["window_purchase_period_count"] == 0
    assert pd.isna(row["adi"])
    assert pd.isna(row["cv_squared"])
    assert pd.isna(row["demand_class"])


def test_statistics_output_columns_and_dtypes():
    frame = _frame([("account:A:0", 3, [10, 20], [0, 2], [50.0, 150.0])])
    result = purchase_interval_statistics(frame, ADI_CUTOFF, CV2_CUTOFF)
    assert list(result.columns) == list(OUTPUT_COLUMNS)
    assert {c: str(t) for c, t in result.dtypes.items()} == OUTPUT_COLUMNS
    assert result.iloc[0]["adi"] == 2.0
    assert result.iloc[0]["cv_squared"] == pytest.approx(0.25)
    assert result.iloc[0]["demand_class"] == "intermittent"


def test_statistics_of_an_empty_frame_is_typed_and_empty():
    result = purchase_interval_statistics(_frame([]), ADI_CUTOFF, CV2_CUTOFF)
    assert result.empty
    assert list(result.columns) == list(OUTPUT_COLUMNS)
    assert {c: str(t) for c, t in result.dtypes.items()} == OUTPUT_COLUMNS
    assert empty_output().dtypes.equals(result.dtypes)


def test_statistics_read_from_duckdb_lists_and_written_back_with_nulls():
    """The round trip the dbt model does: DuckDB lists in, NULLs (not NaN) out."""
    con = duckdb.connect()
    gathered = con.sql(
        """
        select * from (values
            ('account:A:0', 3, [7, 14], [0, 1, 5], [10.0, 20.0, 30.0]),
            ('account:B:0', 1, []::integer[], null::integer[], null::double[])
        ) as t (segment_entity_snapshot_id, purchase_day_count, interval_days,
                window_purchase_periods, window_purchase_revenues)
        """
    ).df()
    result = purchase_interval_statistics(gathered, ADI_CUTOFF, CV2_CUTOFF)
    assert result.iloc[0]["median_purchase_interval_days"] == 10.5
    assert result.iloc[0]["adi"] == 2.5
    nulls = con.sql(
        """
        select
            count(*) filter (where adi is null),
            count(*) filter (where isnan(adi)),
            count(*) filter (where demand_class is null),
            count(*) filter (where demand_class = 'intermittent')
        from result
        """
    ).fetchall()
    assert nulls == [(1, 0, 1, 1)]
    assert not math.isnan(result.iloc[0]["cv_squared"])
