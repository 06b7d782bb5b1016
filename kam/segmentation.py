"""Purchase-interval statistics and Syntetos-Boylan demand classes for the segmentation marts.

The dbt Python model ``int_segment_purchase_intervals`` runs ``GATHER_SQL`` in DuckDB, one
snapshot at a time (``gather_statistics``): per account (or group) and snapshot it aggregates the
day gaps between consecutive purchase days (count, median, mean, max) and the month-long periods of
the trailing window with a purchase (count, first, last, and exact decimal sums of their net
revenue). Only those few numbers per row reach pandas; the functions here turn them into ADI, CV^2
and the demand class. They are pure (no I/O, no database) so pytest covers every edge case, and
the list-based definitions (``median``, ``average_demand_interval``, ``cv_squared``) are kept as
the reference the aggregate path is tested against.

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

import datetime as dt
import math
from collections.abc import Iterable

import numpy as np
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

#: Columns of the model's table: ``OUTPUT_COLUMNS`` and the snapshot date (the key by which the
#: snapshot_table materialization keeps or replaces a snapshot's rows).
MODEL_COLUMNS: dict[str, str] = {
    "segment_entity_snapshot_id": "string",
    "snapshot_date": "date32[day][pyarrow]",
    **{k: v for k, v in OUTPUT_COLUMNS.items() if k != "segment_entity_snapshot_id"},
}

#: Columns ``GATHER_SQL`` returns and ``purchase_interval_statistics`` reads.
GATHERED_COLUMNS = (
    "segment_entity_snapshot_id",
    "purchase_day_count",
    "purchase_interval_count",
    "median_purchase_interval_days",
    "mean_purchase_interval_days",
    "max_purchase_interval_days",
    "window_purchase_period_count",
    "first_window_purchase_period",
    "last_window_purchase_period",
    "window_purchase_revenue",
    "window_revenue_spread",
)

#: DuckDB query over the relations ``entity_days`` (int_segment_entity_days), ``entity_periods``
#: (int_segment_entity_periods) and ``snapshots`` (int_snapshot_dates), for the snapshot given as
#: the parameter ``$snapshot_index``: run once per snapshot (``gather_statistics``), because the
#: median keeps every gap of its group, and all snapshots at once (each purchase day joined to
#: every later snapshot, up to 8 times) spilled past the free disk at 61M lines. The revenue
#: spread n * sum(x^2) - sum(x)^2 is computed on exact decimals, so equal periods give exactly 0
#: and the result does not depend on the order DuckDB's threads add rows in.
GATHER_SQL = """
with snapshot as (
    select snapshot_index, snapshot_date
    from snapshots
    where snapshot_index = $snapshot_index
),
history as (
    select
        entity_days.segment_entity_id,
        snapshot.snapshot_index,
        count(*) as purchase_day_count,
        count(entity_days.days_since_previous_purchase_day) as purchase_interval_count,
        median(entity_days.days_since_previous_purchase_day) as median_purchase_interval_days,
        avg(entity_days.days_since_previous_purchase_day) as mean_purchase_interval_days,
        max(entity_days.days_since_previous_purchase_day) as max_purchase_interval_days
    from entity_days
    inner join snapshot on entity_days.sales_date <= snapshot.snapshot_date
    where entity_days.is_purchase_day
    group by entity_days.segment_entity_id, snapshot.snapshot_index
),
window_periods as (
    select
        segment_entity_id,
        snapshot_index,
        count(*) as window_purchase_period_count,
        min(period_index) as first_window_purchase_period,
        max(period_index) as last_window_purchase_period,
        sum(cast(net_revenue as decimal(38, 4))) as window_purchase_revenue,
        count(*) * sum(cast(net_revenue as decimal(38, 4)) * cast(net_revenue as decimal(38, 4)))
            - sum(cast(net_revenue as decimal(38, 4))) * sum(cast(net_revenue as decimal(38, 4)))
            as window_revenue_spread
    from entity_periods
    where is_in_window and is_purchase_period and snapshot_index = $snapshot_index
    group by segment_entity_id, snapshot_index
)
select
    history.segment_entity_id || ':' || history.snapshot_index as segment_entity_snapshot_id,
    history.purchase_day_count,
    history.purchase_interval_count,
    cast(history.median_purchase_interval_days as double) as median_purchase_interval_days,
    cast(history.mean_purchase_interval_days as double) as mean_purchase_interval_days,
    cast(history.max_purchase_interval_days as double) as max_purchase_interval_days,
    coalesce(window_periods.window_purchase_period_count, 0) as window_purchase_period_count,
    window_periods.first_window_purchase_period,
    window_periods.last_window_purchase_period,
    cast(window_periods.window_purchase_revenue as double) as window_purchase_revenue,
    cast(window_periods.window_revenue_spread as double) as window_revenue_spread
from history
left join window_periods
    on history.segment_entity_id = window_periods.segment_entity_id
    and history.snapshot_index = window_periods.snapshot_index
order by segment_entity_snapshot_id
"""


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


def adi_from_span(
    first_period: float | None, last_period: float | None, count: float | None
) -> float | None:
    """ADI from the first and last purchase period and the number of distinct purchase periods.

    Same figure as ``average_demand_interval`` on the list: ``(last - first) / (count - 1)``.
    """
    if _is_missing(count) or count < 2 or _is_missing(first_period) or _is_missing(last_period):
        return None
    return (float(last_period) - float(first_period)) / (float(count) - 1)


def cv_squared_from_sums(
    count: float | None, total: float | None, spread: float | None
) -> float | None:
    """CV^2 from n, the sum of the sizes and their spread ``n * sum(x^2) - sum(x)^2``.

    Population variance / mean^2 = (spread / n^2) / (total / n)^2 = spread / total^2. None with
    fewer than two sizes or a non-positive total (the mean's sign), as ``cv_squared``.
    """
    if _is_missing(count) or count < 2 or _is_missing(total) or _is_missing(spread):
        return None
    if total <= 0:
        return None
    return max(float(spread), 0.0) / float(total) ** 2


def empty_output(columns: dict[str, str] = OUTPUT_COLUMNS) -> pd.DataFrame:
    """A zero-row frame with the output columns and dtypes (for empty warehouses)."""
    return pd.DataFrame({name: pd.Series(dtype=dtype) for name, dtype in columns.items()})


def _numbers(frame: pd.DataFrame, column: str) -> np.ndarray:
    """A column as float64 with NaN for missing values (DuckDB gives NA, None or NaN)."""
    return pd.to_numeric(frame[column], errors="coerce").astype("float64").to_numpy(na_value=np.nan)


def purchase_interval_statistics(
    frame: pd.DataFrame, adi_cutoff: float, cv2_cutoff: float
) -> pd.DataFrame:
    """One row of interval statistics, ADI, CV^2 and demand class per row of ``frame``.

    ``frame`` has the ``GATHERED_COLUMNS``; window columns are null for an entity without a
    purchase in the window. Vectorised (one row per entity and snapshot: millions at scale) with
    exactly the rules of ``adi_from_span``, ``cv_squared_from_sums`` and ``demand_class``.
    """
    if frame.empty:
        return empty_output()
    periods = _numbers(frame, "window_purchase_period_count")
    periods = np.where(np.isnan(periods), 0.0, periods)
    first = _numbers(frame, "first_window_purchase_period")
    last = _numbers(frame, "last_window_purchase_period")
    total = _numbers(frame, "window_purchase_revenue")
    spread = _numbers(frame, "window_revenue_spread")
    with np.errstate(divide="ignore", invalid="ignore"):
        adi = np.where(periods >= 2, (last - first) / (periods - 1), np.nan)
        cv2 = np.where(
            (periods >= 2) & (total > 0), np.maximum(spread, 0.0) / np.square(total), np.nan
        )
    defined = ~np.isnan(adi) & ~np.isnan(cv2)
    frequent = adi < adi_cutoff
    stable = cv2 < cv2_cutoff
    classes = np.select(
        [defined & frequent & stable, defined & frequent, defined & stable, defined],
        ["smooth", "erratic", "intermittent", "lumpy"],
        default=None,
    )
    result = pd.DataFrame(
        {
            "segment_entity_snapshot_id": frame["segment_entity_snapshot_id"].to_numpy(),
            "purchase_day_count": np.nan_to_num(_numbers(frame, "purchase_day_count")),
            "purchase_interval_count": np.nan_to_num(_numbers(frame, "purchase_interval_count")),
            "median_purchase_interval_days": _numbers(frame, "median_purchase_interval_days"),
            "mean_purchase_interval_days": _numbers(frame, "mean_purchase_interval_days"),
            "max_purchase_interval_days": _numbers(frame, "max_purchase_interval_days"),
            "window_purchase_period_count": periods,
            "adi": adi,
            "cv_squared": cv2,
            "demand_class": classes,
        }
    )
    # Float64 (nullable) turns NaN into NA, which DuckDB writes as NULL rather than NaN
    return result.astype(OUTPUT_COLUMNS)


def gather_statistics(
    con,
    entity_days,
    entity_periods,
    snapshots,
    adi_cutoff: float,
    cv2_cutoff: float,
    kept_dates: Iterable[dt.date] = (),
) -> pd.DataFrame:
    """What the dbt model returns: ``GATHER_SQL`` run in DuckDB for each snapshot, each result
    (one row per entity) turned into statistics here, stacked by snapshot index.

    ``entity_days``, ``entity_periods`` and ``snapshots`` are DuckDB relations of ``con``; their
    SQL is bound to the names the query reads as CTEs (dbt-duckdb's cursor wrapper hides the
    caller's variables from DuckDB's lookup of Python objects by name). Snapshots dated in
    ``kept_dates`` are skipped: the snapshot_table materialization keeps their rows.
    """
    inputs = {"entity_days": entity_days, "entity_periods": entity_periods, "snapshots": snapshots}
    bound = ", ".join(f"{name} as ({rel.sql_query()})" for name, rel in inputs.items())
    sql = f"with {bound}, {GATHER_SQL.strip().removeprefix('with ')}"
    kept = set(kept_dates)
    indexes = (
        snapshots.select("snapshot_index, snapshot_date")
        .distinct()
        .order("snapshot_index")
        .fetchall()
    )
    frames = []
    for index, date in indexes:
        if date in kept:
            continue
        gathered = con.execute(sql, {"snapshot_index": int(index)}).df()
        frame = purchase_interval_statistics(gathered, adi_cutoff, cv2_cutoff)
        frame.insert(1, "snapshot_date", date)
        frames.append(frame)
    if not frames:
        return empty_output(MODEL_COLUMNS)
    return pd.concat(frames, ignore_index=True).astype(MODEL_COLUMNS)


def kept_snapshot_dates(con, model_name: str) -> list[dt.date]:
    """The snapshot dates the snapshot_table materialization keeps for ``model_name`` in this
    build (macros/snapshot_table.sql writes them to incremental_state.<model>__kept before it
    runs the model): none outside such a build, so the model then computes every snapshot."""
    import duckdb

    try:
        rows = con.execute(
            f'select snapshot_date from incremental_state."{model_name}__kept"'
        ).fetchall()
    except duckdb.CatalogException:
        return []
    return [date for (date,) in rows]
