"""Purchase-interval statistics and Syntetos-Boylan demand classes for the segmentation marts.

The dbt Python model ``int_segment_purchase_intervals`` runs ``GATHER_SQL`` and
``STATISTICS_SQL`` in DuckDB, one snapshot at a time (``gather_statistics``): per account (or
group) and snapshot it aggregates the day gaps between consecutive purchase days (count, median,
mean, max) and the month-long periods of the trailing window with a purchase (count, first, last,
and exact decimal sums of their net revenue), then turns them into ADI, CV^2 and the demand class.
Each snapshot's rows go into a temporary table of the model's DuckDB session, which the model
returns as a relation: nothing row-level passes through pandas (at 61M lines the large build's
memory peaked in this model while it stacked its snapshots in pandas; decision 39). The pure
functions here (``median``, ``average_demand_interval``, ``cv_squared``, ``adi_from_span``,
``cv_squared_from_sums``, ``demand_class``) are the reference definitions pytest checks that SQL
against.

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
import itertools
import math
from collections.abc import Iterable

import pandas as pd

DEMAND_CLASSES = ("smooth", "erratic", "intermittent", "lumpy")

#: Columns and DuckDB types of the model's table: the statistics, keyed by
#: ``segment_entity_snapshot_id``, and the snapshot date (the key by which the snapshot_table
#: materialization keeps or replaces a snapshot's rows).
MODEL_COLUMNS: dict[str, str] = {
    "segment_entity_snapshot_id": "VARCHAR",
    "snapshot_date": "DATE",
    "purchase_day_count": "BIGINT",
    "purchase_interval_count": "BIGINT",
    "median_purchase_interval_days": "DOUBLE",
    "mean_purchase_interval_days": "DOUBLE",
    "max_purchase_interval_days": "DOUBLE",
    "window_purchase_period_count": "BIGINT",
    "adi": "DOUBLE",
    "cv_squared": "DOUBLE",
    "demand_class": "VARCHAR",
}

#: Columns ``GATHER_SQL`` returns and ``STATISTICS_SQL`` reads.
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

#: The gathering (``_GATHER_CTES``, then ``_GATHER_SELECT``): DuckDB SQL over the relations
#: ``entity_days`` (int_segment_entity_days), ``entity_periods`` (int_segment_entity_periods) and
#: ``snapshots`` (int_snapshot_dates), for the snapshot given as
#: the parameter ``$snapshot_index``: run once per snapshot (``gather_statistics``), because the
#: median keeps every gap of its group, and all snapshots at once (each purchase day joined to
#: every later snapshot, up to 8 times) spilled past the free disk at 61M lines. The revenue
#: spread n * sum(x^2) - sum(x)^2 is computed on exact decimals, so equal periods give exactly 0
#: and the result does not depend on the order DuckDB's threads add rows in.
_GATHER_CTES = """
snapshot as (
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
"""

_GATHER_SELECT = """
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
"""

#: The gathering on its own, as one query (what pytest runs to check its columns).
GATHER_SQL = (
    f"with {_GATHER_CTES.strip()}\n{_GATHER_SELECT.strip()}\norder by segment_entity_snapshot_id\n"
)

#: DuckDB query over ``gathered`` (the rows of ``GATHER_SQL``) for the snapshot dated
#: ``$snapshot_date``: the model's columns (``MODEL_COLUMNS``), with ADI, CV^2 and the demand
#: class by exactly the rules of ``adi_from_span``, ``cv_squared_from_sums`` and ``demand_class``
#: (cut-offs ``$adi_cutoff`` and ``$cv2_cutoff``; a value at a cut-off goes to the upper side;
#: null when ADI or CV^2 is undefined), in IEEE doubles as numpy computed them before.
STATISTICS_SQL = """
with figures as (
    select
        *,
        case
            when window_purchase_period_count >= 2
                then (cast(last_window_purchase_period as double)
                    - cast(first_window_purchase_period as double))
                    / cast(window_purchase_period_count - 1 as double)
        end as adi,
        case
            when window_purchase_period_count >= 2 and window_purchase_revenue > 0
                then greatest(window_revenue_spread, 0.0)
                    / (window_purchase_revenue * window_purchase_revenue)
        end as cv_squared
    from gathered
)
select
    segment_entity_snapshot_id,
    cast($snapshot_date as date) as snapshot_date,
    purchase_day_count,
    purchase_interval_count,
    median_purchase_interval_days,
    mean_purchase_interval_days,
    max_purchase_interval_days,
    window_purchase_period_count,
    adi,
    cv_squared,
    case
        when adi is null or cv_squared is null then null
        when adi < $adi_cutoff and cv_squared < $cv2_cutoff then 'smooth'
        when adi < $adi_cutoff then 'erratic'
        when cv_squared < $cv2_cutoff then 'intermittent'
        else 'lumpy'
    end as demand_class
from figures
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


def gather_statistics(
    con,
    entity_days,
    entity_periods,
    snapshots,
    adi_cutoff: float,
    cv2_cutoff: float,
    kept_dates: Iterable[dt.date] = (),
):
    """What the dbt model returns: a DuckDB relation of ``con`` with the ``MODEL_COLUMNS``, one
    row per entity and snapshot computed, in snapshot-index order and, within a snapshot, by
    ``segment_entity_snapshot_id``.

    ``GATHER_SQL`` and ``STATISTICS_SQL`` run in DuckDB once per snapshot, each inserting its rows
    into a temporary table of ``con`` (typed up front, so it is typed when nothing is computed);
    the relation reads that table. A temporary table belongs to its connection: dbt-duckdb
    writes a returned relation with the model's own cursor and closes that cursor after the
    model, which drops the table. ``entity_days``, ``entity_periods`` and ``snapshots`` are
    relations of ``con``; their SQL is bound to the names the query reads as CTEs
    (dbt-duckdb's cursor wrapper hides the caller's variables from DuckDB's lookup of Python
    objects by name). Snapshots dated in ``kept_dates`` are skipped: the snapshot_table
    materialization keeps their rows.
    """
    inputs = {"entity_days": entity_days, "entity_periods": entity_periods, "snapshots": snapshots}
    bound = ", ".join(f"{name} as ({rel.sql_query()})" for name, rel in inputs.items())
    table = f"kam_purchase_intervals_{next(_TABLE_NUMBERS)}"
    columns = ", ".join(f"{name} {type_}" for name, type_ in MODEL_COLUMNS.items())
    con.execute(f"create temporary table {table} ({columns})")
    sql = (
        f"insert into {table} with {bound}, {_GATHER_CTES.strip()},"
        f" gathered as ({_GATHER_SELECT.strip()}), {STATISTICS_SQL.strip().removeprefix('with ')}"
    )
    kept = set(kept_dates)
    indexes = (
        snapshots.select("snapshot_index, snapshot_date")
        .distinct()
        .order("snapshot_index")
        .fetchall()
    )
    for index, date in indexes:
        if date in kept:
            continue
        parameters = {"snapshot_index": int(index), "snapshot_date": date}
        con.execute(sql, {**parameters, "adi_cutoff": adi_cutoff, "cv2_cutoff": cv2_cutoff})
    return con.table(table)


#: Numbers the temporary tables of ``gather_statistics``: each call's relation stays readable.
_TABLE_NUMBERS = itertools.count(1)


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
