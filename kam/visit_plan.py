"""Visit plan: share each rep's visit capacity for the next period among the rep's accounts.

Pure functions (pandas/numpy in, pandas out) called by the dbt Python model
`int_visit_plan_allocated` and covered by `tests_py/test_visit_plan.py`.

The rules (DOMAIN.md, "Visit-planning practice"):

* Demand. An account's demand for the period is its target visits per year (the recommended
  frequency of its attractiveness x QRC cell) times the rep's share of the year that the period
  covers (plan_period_working_days / working_days_per_year). A key account's demand is at least
  its minimum frequency, converted the same way. Visits are rates over the period, not whole
  visits: a 2-visits-a-year account gets 0.56 visits in a 60-day quarter, i.e. one visit every
  other quarter; rounding per period would either over-serve small accounts or never serve
  them. A route planner turns rates into dates.
* Capacity. A rep's capacity is visits_per_day x plan_period_working_days x field_day_share
  (computed in SQL, model int_rep_visit_capacity).
* Demand fits: every account gets its demand (overflow rule 'none').
* Demand exceeds capacity: key-account minimums are served first. If they alone exceed the
  capacity ('key_minimums_only'), key accounts get their minimum in priority order until the
  capacity is used up (the boundary account gets what is left), and every other account gets
  nothing. Otherwise the rest of the capacity follows the overflow rule:
  - 'stretch': every account's visits shrink by the same factor (its interval is stretched in
    proportion: a 30-day account still gets twice the visits of a 60-day one), never below a
    key account's minimum: planned = max(minimum, factor x demand), with the largest factor
    that fits the capacity. Solved exactly by water-filling over the breakpoints
    minimum / demand (an LP whose optimum has this closed form; tests check it against
    scipy's HiGHS solver).
  - 'drop_lowest': accounts in priority order get their full demand until the capacity runs
    out; the account at the boundary gets what is left, lower priorities nothing.

Determinism: accounts are ordered by (rep_id, priority_rank, account_id), sums are taken in that
order, and nothing is random, so the same inputs give the same plan, whatever their row order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

OVERFLOW_RULES = ("stretch", "drop_lowest")

#: Planned visits within this many visits of the demand or minimum count as meeting it.
TOLERANCE = 1e-9

ACCOUNT_COLUMNS = {
    "account_id": "string",
    "rep_id": "string",
    "priority_rank": "Int64",
    "is_key_account": "boolean",
    "target_visits_per_year": "float64",
    "min_visits_per_year": "float64",
}

#: Why an account gets less than its demand, by the rule applied to its rep.
SHORTFALL_REASONS = {
    "stretch": "stretched_to_capacity",
    "drop_lowest": "lowest_priority_dropped",
    "key_minimums_only": "key_minimums_exceed_capacity",
}

REP_COLUMNS = {
    "rep_id": "string",
    "capacity_visits": "float64",
    "period_share_of_year": "float64",
}

#: Columns (and pandas dtypes) of the allocation, one row per account.
OUTPUT_COLUMNS = {
    "account_id": "string",
    "rep_id": "string",
    "priority_rank": "Int64",
    "is_key_account": "boolean",
    "demand_visits": "float64",
    "min_visits": "float64",
    "planned_visits": "float64",
    "unserved_visits": "float64",
    "plan_status": "string",
    "shortfall_reason": "string",
    "meets_key_account_minimum": "boolean",
    "rep_capacity_visits": "float64",
    "overflow_rule_applied": "string",
    "stretch_factor": "float64",
}


def empty_allocation() -> pd.DataFrame:
    """An allocation with no rows and the output columns and dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in OUTPUT_COLUMNS.items()})


def stretch_factor(demand: np.ndarray, minimum: np.ndarray, capacity: float) -> float:
    """Largest factor f in [0, 1] with sum(max(minimum, f x demand)) <= capacity.

    Assumes minimum <= demand and sum(minimum) <= capacity. Between two consecutive breakpoints
    minimum/demand, the total is linear in f: the accounts whose breakpoint is passed are scaled
    (f x demand), the others sit at their minimum. The first segment whose solution falls inside
    it is the answer.
    """
    demand = np.asarray(demand, dtype=float)
    minimum = np.asarray(minimum, dtype=float)
    if demand.sum() <= capacity:
        return 1.0
    positive = demand > 0
    d = demand[positive]
    m = minimum[positive]
    breakpoints = m / d
    order = np.argsort(breakpoints, kind="stable")
    b = breakpoints[order]
    d = d[order]
    m = m[order]
    # index k - 1 describes the segment where the first k accounts are scaled:
    scaled_demand = np.cumsum(d)  # their demand
    held_minimum = np.concatenate((np.cumsum(m[::-1])[::-1][1:], [0.0]))  # the others' minimum
    lower = b  # the k-th breakpoint, where the segment starts
    upper = np.concatenate((b[1:], [1.0]))  # where it ends
    factors = (capacity - held_minimum) / scaled_demand
    valid = (factors >= lower - TOLERANCE) & (factors <= upper + TOLERANCE)
    first = np.flatnonzero(valid)
    if first.size == 0:  # only when sum(minimum) > capacity, which callers rule out
        return 0.0
    return float(min(max(factors[first[0]], 0.0), 1.0))


def fill_in_order(amounts: np.ndarray, capacity: float) -> np.ndarray:
    """Give each amount in turn until the capacity runs out (the boundary one gets the rest)."""
    amounts = np.asarray(amounts, dtype=float)
    before = np.concatenate(([0.0], np.cumsum(amounts)[:-1]))
    return np.clip(capacity - before, 0.0, amounts)


def allocate_rep(
    demand: np.ndarray,
    minimum: np.ndarray,
    capacity: float,
    overflow_rule: str,
) -> tuple[np.ndarray, str, float | None]:
    """Planned visits for one rep's accounts, given in priority order.

    Returns (planned visits, overflow rule applied, stretch factor or None).
    """
    demand = np.asarray(demand, dtype=float)
    minimum = np.minimum(np.asarray(minimum, dtype=float), demand)
    capacity = max(float(capacity), 0.0)
    if demand.sum() <= capacity + TOLERANCE:
        return demand.copy(), "none", 1.0
    if minimum.sum() > capacity:
        return fill_in_order(minimum, capacity), "key_minimums_only", None
    if overflow_rule == "stretch":
        factor = stretch_factor(demand, minimum, capacity)
        return np.maximum(minimum, factor * demand), "stretch", factor
    extra = fill_in_order(demand - minimum, capacity - minimum.sum())
    return minimum + extra, "drop_lowest", None


def _validated(frame: pd.DataFrame, columns: dict[str, str], name: str) -> pd.DataFrame:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{name} lacks columns {missing}")
    return frame[list(columns)].astype(columns)


def allocate_visits(
    accounts: pd.DataFrame,
    reps: pd.DataFrame,
    overflow_rule: str,
    default_period_share_of_year: float,
) -> pd.DataFrame:
    """Allocate every rep's capacity among the rep's accounts; one row per account.

    accounts: account_id, rep_id (owner, may be null), priority_rank (1 = first within the rep),
    is_key_account, target_visits_per_year, min_visits_per_year (key-account minimum, 0 or
    null otherwise). reps: rep_id, capacity_visits, period_share_of_year. An account whose rep
    is null, unknown or without capacity is unserved with the reason; its demand is converted
    with default_period_share_of_year when its rep is unknown.
    """
    if overflow_rule not in OVERFLOW_RULES:
        raise ValueError(f"overflow_rule must be one of {OVERFLOW_RULES}, got {overflow_rule!r}")
    accounts = _validated(accounts, ACCOUNT_COLUMNS, "accounts")
    reps = _validated(reps, REP_COLUMNS, "reps")
    if accounts.empty:
        return empty_allocation()
    if accounts["account_id"].duplicated().any():
        raise ValueError("accounts must have one row per account_id")
    if reps["rep_id"].duplicated().any():
        raise ValueError("reps must have one row per rep_id")

    frame = accounts.merge(reps, on="rep_id", how="left", indicator="rep_match")
    has_rep = frame["rep_match"].eq("both").to_numpy()
    share = frame["period_share_of_year"].astype("float64").to_numpy(na_value=np.nan)
    share = np.where(has_rep & ~np.isnan(share), share, default_period_share_of_year)
    target = frame["target_visits_per_year"].fillna(0.0).clip(lower=0.0).to_numpy(dtype=float)
    minimum = frame["min_visits_per_year"].fillna(0.0).clip(lower=0.0).to_numpy(dtype=float)
    frame["min_visits"] = minimum * share
    frame["demand_visits"] = np.maximum(target, minimum) * share
    frame["rep_capacity_visits"] = frame["capacity_visits"].where(has_rep)
    frame = frame.sort_values(
        ["rep_id", "priority_rank", "account_id"], na_position="last", kind="stable"
    ).reset_index(drop=True)

    no_rep = frame["rep_id"].isna().to_numpy()
    unknown_rep = ~no_rep & frame["rep_match"].ne("both").to_numpy()
    capacity = frame["rep_capacity_visits"].astype("float64").to_numpy(na_value=np.nan)
    no_capacity = ~no_rep & ~unknown_rep & ~(capacity > 0)
    reason = np.full(len(frame), None, dtype=object)
    rule_applied = np.full(len(frame), None, dtype=object)
    reason[no_rep] = "no_owner_rep"
    reason[unknown_rep] = "owner_rep_not_found"
    reason[no_capacity] = "no_visit_capacity"
    rule_applied[no_capacity] = "no_capacity"
    factors = np.full(len(frame), np.nan)
    planned = np.zeros(len(frame))

    # rows are sorted by rep: each plannable rep is one contiguous block
    demand = frame["demand_visits"].to_numpy(dtype=float)
    minimum = frame["min_visits"].to_numpy(dtype=float)
    plannable = np.flatnonzero(~(no_rep | unknown_rep | no_capacity))
    rep_ids = frame["rep_id"].to_numpy(dtype=object)[plannable]
    starts = np.flatnonzero(np.r_[True, rep_ids[1:] != rep_ids[:-1]]) if plannable.size else []
    ends = np.r_[starts[1:], plannable.size] if plannable.size else []
    for start, end in zip(starts, ends, strict=True):
        rows = plannable[start:end]
        rep_planned, rule, factor = allocate_rep(
            demand[rows], minimum[rows], float(capacity[rows[0]]), overflow_rule
        )
        planned[rows] = rep_planned
        rule_applied[rows] = rule
        factors[rows] = np.nan if factor is None else factor
        shortfall = SHORTFALL_REASONS.get(rule)
        if shortfall is not None:
            reason[rows[rep_planned < demand[rows] - TOLERANCE]] = shortfall

    reason[demand <= TOLERANCE] = None  # nothing wanted, nothing missing
    frame["planned_visits"] = planned
    frame["overflow_rule_applied"] = pd.array(rule_applied, dtype="string")
    frame["stretch_factor"] = factors
    frame["shortfall_reason"] = pd.array(reason, dtype="string")

    demand = frame["demand_visits"]
    planned = frame["planned_visits"]
    frame["unserved_visits"] = (demand - planned).clip(lower=0.0)
    frame["plan_status"] = np.select(
        [
            (demand <= TOLERANCE).to_numpy(dtype=bool),
            (planned >= demand - TOLERANCE).to_numpy(dtype=bool),
            (planned <= TOLERANCE).to_numpy(dtype=bool),
            frame["overflow_rule_applied"].eq("stretch").fillna(False).to_numpy(dtype=bool),
        ],
        ["no_demand", "served", "unserved", "stretched"],
        default="partially_served",
    )
    is_key = frame["is_key_account"].fillna(False).astype(bool)
    frame["meets_key_account_minimum"] = pd.Series(
        planned >= frame["min_visits"] - TOLERANCE, dtype="boolean"
    ).where(is_key, pd.NA)
    return frame[list(OUTPUT_COLUMNS)].astype(OUTPUT_COLUMNS)
