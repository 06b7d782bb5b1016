"""Purchase-interval statistics and Syntetos-Boylan demand classes for the segmentation marts.

The dbt Python model ``int_segment_purchase_intervals`` lets DuckDB gather, per account (or
group) and snapshot, the list of day gaps between consecutive purchase days and the list of
month-long periods of the trailing window in which the entity bought (with that period's net
revenue). The functions here turn those lists into figures; they are pure (no I/O, no
database) so pytest covers every edge case.

Definitions (documented in the model's YAML as well):

* interval: days between two consecutive purchase days (a day with at least one invoice);
  the *usual interval* is their median, robust to one long holiday gap.
* ADI (average demand interval): mean gap, in periods, between consecutive periods with a
  purchase in the window: ``(last - first) / (n - 1)`` for ``n >= 2`` purchase periods.
  A monthly buyer has ADI 1.
* CV^2: squared coefficient of variation (population) of the net revenue of the periods with
  a purchase; undefined when their mean is not positive.
* demand class (Syntetos-Boylan 2005): smooth (ADI < cut-off, CV^2 < cut-off), erratic (ADI <,
  CV^2 >=), intermittent (ADI >=, CV^2 <), lumpy (ADI >=, CV^2 >=). Values exactly at a cut-off
  go to the upper side, as in the published rule. None when ADI or CV^2 is undefined (fewer than
  two purchase periods: there is no interval to average).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import pandas as pd

DEMAND_CLASSES = ("smooth", "erratic", "intermittent", "lumpy")

#: Columns (and pandas dtypes) of the frame ``purchase_interval_statistics`` returns.
OUTPUT_COLUMNS: dict[str, str] = {
    "segment_entity_snapshot_id": "string",
    "purchase_day_count": "int64",
    "purchase_interval_count": "int64",
    "median_purchase_interval_days": "Float64",
    "mean_purchase_interval_days": "Float64",
    "max_purchase_interval_days": "Float64",
    "window_purchase_period_count": "int64",
    "adi": "Float64",
    "cv_squared": "Float64",
    "demand_class": "string",
}


def _is_missing(value: object) -> bool:
    """True for None, NaN and pandas' NA (a missing scalar, not a list)."""
    if value is None or value is pd.NA:
        return True
    return isinstance(value, float) and math.isnan(value)


def _clean(values: Iterable[float] | None) -> list[float]:
    """Finite numbers of a list (None, NaN, NA and a missing list give an empty list)."""
    if _is_missing(values):
        return []
    out = []
    for value in values:  # type: ignore[union-attr]
        if _is_missing(value):
            continue
        number = float(value)
        if math.isfinite(number):
            out.append(number)
    return out


def median(values: Iterable[float] | None) -> float | None:
    """Median of the finite values; None when there are none."""
    numbers = sorted(_clean(values))
    n = len(numbers)
    if n == 0:
        return None
    middle = n // 2
    if n % 2:
        return numbers[middle]
    return (numbers[middle - 1] + numbers[middle]) / 2


def mean(values: Iterable[float] | None) -> float | None:
    """Arithmetic mean of the finite values; None when there are none."""
    numbers = _clean(values)
    if not numbers:
        return None
    return sum(numbers) / len(numbers)


def average_demand_interval(period_indices: Iterable[float] | None) -> float | None:
    """Mean gap, in periods, between consecutive periods with a purchase.

    ``period_indices`` are the (distinct) indices of the periods with a purchase, in any order.
    None with fewer than two periods: a single purchase has no interval.
    """
    indices = sorted(set(_clean(period_indices)))
    if len(indices) < 2:
        return None
    return (indices[-1] - indices[0]) / (len(indices) - 1)


def cv_squared(sizes: Iterable[float] | None) -> float | None:
    """Squared population coefficient of variation of the non-zero demand sizes.

    None with fewer than two sizes, or when their mean is not positive (net credit notes make a
    coefficient of variation meaningless).
    """
    numbers = _clean(sizes)
    if len(numbers) < 2:
        return None
    average = sum(numbers) / len(numbers)
    if average <= 0:
        return None
    variance = sum((x - average) ** 2 for x in numbers) / len(numbers)
    return variance / average**2


def demand_class(
    adi: float | None, cv2: float | None, adi_cutoff: float, cv2_cutoff: float
) -> str | None:
    """Syntetos-Boylan class from ADI and CV^2; None when either is undefined."""
    if _is_missing(adi) or _is_missing(cv2):
        return None
    frequent = adi < adi_cutoff
    stable = cv2 < cv2_cutoff
    if frequent:
        return "smooth" if stable else "erratic"
    return "intermittent" if stable else "lumpy"


def empty_output() -> pd.DataFrame:
    """A zero-row frame with the output columns and dtypes (for empty warehouses)."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in OUTPUT_COLUMNS.items()})


def _as_list(value: object) -> Sequence[float] | None:
    if _is_missing(value):
        return None
    return list(value)  # type: ignore[call-overload]


def purchase_interval_statistics(
    frame: pd.DataFrame, adi_cutoff: float, cv2_cutoff: float
) -> pd.DataFrame:
    """One row of interval statistics and demand class per row of ``frame``.

    ``frame`` columns: segment_entity_snapshot_id, purchase_day_count, interval_days (list of
    day gaps), window_purchase_periods (list of period indices with a purchase in the window),
    window_purchase_revenues (their net revenue, same order). Lists may be empty or null.
    """
    if frame.empty:
        return empty_output()
    rows = []
    for record in frame.itertuples(index=False):
        intervals = _clean(_as_list(record.interval_days))
        periods = _clean(_as_list(record.window_purchase_periods))
        revenues = _clean(_as_list(record.window_purchase_revenues))
        adi = average_demand_interval(periods)
        cv2 = cv_squared(revenues)
        rows.append(
            {
                "segment_entity_snapshot_id": record.segment_entity_snapshot_id,
                "purchase_day_count": int(record.purchase_day_count or 0),
                "purchase_interval_count": len(intervals),
                "median_purchase_interval_days": median(intervals),
                "mean_purchase_interval_days": mean(intervals),
                "max_purchase_interval_days": max(intervals) if intervals else None,
                "window_purchase_period_count": len(set(periods)),
                "adi": adi,
                "cv_squared": cv2,
                "demand_class": demand_class(adi, cv2, adi_cutoff, cv2_cutoff),
            }
        )
    result = pd.DataFrame(rows, columns=list(OUTPUT_COLUMNS))
    return result.astype(OUTPUT_COLUMNS)
