"""Tests of kam.visit_plan: the allocation of rep visit capacity behind fct_account_visit_plan."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from kam.visit_plan import (
    OUTPUT_COLUMNS,
    allocate_rep,
    allocate_visits,
    empty_allocation,
    stretch_factor,
)

DEFAULT_SHARE = 0.25


def accounts_frame(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (account_id, rep_id, priority_rank, is_key_account, target/year, min/year)."""
    return pd.DataFrame(
        rows,
        columns=[
            "account_id",
            "rep_id",
            "priority_rank",
            "is_key_account",
            "target_visits_per_year",
            "min_visits_per_year",
        ],
    )


def reps_frame(rows: list[tuple]) -> pd.DataFrame:
    """Rows of (rep_id, capacity_visits, period_share_of_year)."""
    return pd.DataFrame(rows, columns=["rep_id", "capacity_visits", "period_share_of_year"])


def by_account(plan: pd.DataFrame) -> pd.DataFrame:
    return plan.set_index("account_id")


def random_instance(seed: int, n_reps: int = 4, n_accounts: int = 60):
    rng = np.random.default_rng(seed)
    rep_ids = [f"R{i}" for i in range(n_reps)]
    rows = []
    for i in range(n_accounts):
        rep = rep_ids[rng.integers(n_reps)] if rng.random() > 0.05 else None
        is_key = bool(rng.random() < 0.2)
        rows.append(
            (
                f"A{i:03d}",
                rep,
                int(rng.integers(1, 6)),  # deliberate ties
                is_key,
                float(rng.choice([2, 4, 6, 8, 12])),
                6.0 if is_key else None,
            )
        )
    reps = [(r, float(rng.uniform(2, 25)), 0.28) for r in rep_ids]
    return accounts_frame(rows), reps_frame(reps)


# --- capacity slack and binding ---------------------------------------------------------------


def test_capacity_slack_serves_every_demand():
    plan = allocate_visits(
        accounts_frame([("A1", "R1", 1, False, 12.0, None), ("A2", "R1", 2, False, 4.0, None)]),
        reps_frame([("R1", 100.0, 0.25)]),
        "stretch",
        DEFAULT_SHARE,
    )
    p = by_account(plan)
    assert p.loc["A1", "demand_visits"] == pytest.approx(3.0)
    assert p.loc["A2", "demand_visits"] == pytest.approx(1.0)
    assert (plan["planned_visits"] == plan["demand_visits"]).all()
    assert (plan["plan_status"] == "served").all()
    assert plan["shortfall_reason"].isna().all()
    assert (plan["overflow_rule_applied"] == "none").all()
    assert (plan["stretch_factor"] == 1.0).all()


def test_capacity_binding_stretch_keeps_proportions():
    # A1 wants twice the visits of A2 (a 30-day account against a 60-day one).
    plan = allocate_visits(
        accounts_frame([("A1", "R1", 1, False, 8.0, None), ("A2", "R1", 2, False, 4.0, None)]),
        reps_frame([("R1", 1.5, 0.25)]),
        "stretch",
        DEFAULT_SHARE,
    )
    p = by_account(plan)
    assert p.loc["A1", "planned_visits"] == pytest.approx(1.0)
    assert p.loc["A2", "planned_visits"] == pytest.approx(0.5)
    assert plan["planned_visits"].sum() == pytest.approx(1.5)
    assert (plan["plan_status"] == "stretched").all()
    assert (plan["shortfall_reason"] == "stretched_to_capacity").all()
    assert p.loc["A1", "stretch_factor"] == pytest.approx(0.5)


def test_stretch_never_goes_below_a_key_account_minimum():
    plan = allocate_visits(
        accounts_frame(
            [
                ("K1", "R1", 2, True, 8.0, 8.0),  # demand 2, minimum 2
                ("A1", "R1", 1, False, 8.0, None),  # demand 2
            ]
        ),
        reps_frame([("R1", 3.0, 0.25)]),
        "stretch",
        DEFAULT_SHARE,
    )
    p = by_account(plan)
    assert p.loc["K1", "planned_visits"] == pytest.approx(2.0)
    assert bool(p.loc["K1", "meets_key_account_minimum"]) is True
    assert p.loc["A1", "planned_visits"] == pytest.approx(1.0)
    assert plan["planned_visits"].sum() <= 3.0 + 1e-9
    assert pd.isna(p.loc["A1", "meets_key_account_minimum"])


def test_capacity_binding_drop_lowest_serves_in_priority_order():
    plan = allocate_visits(
        accounts_frame(
            [
                ("A3", "R1", 3, False, 4.0, None),
                ("A1", "R1", 1, False, 4.0, None),
                ("A2", "R1", 2, False, 4.0, None),
            ]
        ),
        reps_frame([("R1", 1.5, 0.25)]),
        "drop_lowest",
        DEFAULT_SHARE,
    )
    p = by_account(plan)
    assert p.loc["A1", "planned_visits"] == pytest.approx(1.0)
    assert p.loc["A1", "plan_status"] == "served"
    assert p.loc["A2", "planned_visits"] == pytest.approx(0.5)
    assert p.loc["A2", "plan_status"] == "partially_served"
    assert p.loc["A3", "planned_visits"] == 0.0
    assert p.loc["A3", "plan_status"] == "unserved"
    assert p.loc["A3", "shortfall_reason"] == "lowest_priority_dropped"
    assert list(plan["account_id"]) == ["A1", "A2", "A3"]


def test_drop_lowest_serves_key_minimums_before_higher_priorities():
    plan = allocate_visits(
        accounts_frame([("A1", "R1", 1, False, 8.0, None), ("K1", "R1", 2, True, 4.0, 4.0)]),
        reps_frame([("R1", 2.0, 0.25)]),
        "drop_lowest",
        DEFAULT_SHARE,
    )
    p = by_account(plan)
    assert p.loc["K1", "planned_visits"] == pytest.approx(1.0)
    assert p.loc["A1", "planned_visits"] == pytest.approx(1.0)
    assert bool(p.loc["K1", "meets_key_account_minimum"]) is True


# --- ties --------------------------------------------------------------------------------------


def test_ties_are_broken_by_account_id_whatever_the_input_order():
    rows = [("B", "R1", 1, False, 4.0, None), ("A", "R1", 1, False, 4.0, None)]
    reps = reps_frame([("R1", 1.0, 0.25)])
    plan = allocate_visits(accounts_frame(rows), reps, "drop_lowest", DEFAULT_SHARE)
    reversed_plan = allocate_visits(accounts_frame(rows[::-1]), reps, "drop_lowest", DEFAULT_SHARE)
    pd.testing.assert_frame_equal(plan, reversed_plan)
    p = by_account(plan)
    assert p.loc["A", "planned_visits"] == pytest.approx(1.0)
    assert p.loc["B", "planned_visits"] == 0.0


def test_stretch_treats_tied_accounts_alike():
    plan = allocate_visits(
        accounts_frame([("A", "R1", 1, False, 4.0, None), ("B", "R1", 1, False, 4.0, None)]),
        reps_frame([("R1", 1.0, 0.25)]),
        "stretch",
        DEFAULT_SHARE,
    )
    assert plan["planned_visits"].tolist() == pytest.approx([0.5, 0.5])


# --- missing reps, accounts and capacity -------------------------------------------------------


def test_a_rep_with_no_accounts_is_ignored_without_error():
    plan = allocate_visits(
        accounts_frame([("A1", "R1", 1, False, 4.0, None)]),
        reps_frame([("R1", 10.0, 0.25), ("R2", 10.0, 0.25)]),
        "stretch",
        DEFAULT_SHARE,
    )
    assert plan["rep_id"].tolist() == ["R1"]
    assert plan["plan_status"].tolist() == ["served"]


def test_an_account_with_no_rep_is_unserved_with_the_reason():
    plan = allocate_visits(
        accounts_frame([("A1", None, None, True, 8.0, 6.0), ("A2", "R1", 1, False, 4.0, None)]),
        reps_frame([("R1", 10.0, 0.25)]),
        "stretch",
        0.3,
    )
    p = by_account(plan)
    assert p.loc["A1", "planned_visits"] == 0.0
    assert p.loc["A1", "demand_visits"] == pytest.approx(8.0 * 0.3)
    assert p.loc["A1", "plan_status"] == "unserved"
    assert p.loc["A1", "shortfall_reason"] == "no_owner_rep"
    assert bool(p.loc["A1", "meets_key_account_minimum"]) is False
    assert pd.isna(p.loc["A1", "overflow_rule_applied"])
    assert plan["account_id"].tolist() == ["A2", "A1"]  # accounts without rep last


def test_an_account_without_demand_has_no_shortfall_even_without_rep():
    plan = allocate_visits(
        accounts_frame([("A1", None, None, False, 0.0, None)]), reps_frame([]), "stretch", 0.25
    )
    assert plan["plan_status"].tolist() == ["no_demand"]
    assert plan["shortfall_reason"].isna().all()


def test_unknown_rep_and_rep_without_capacity_are_reported():
    plan = allocate_visits(
        accounts_frame([("A1", "R9", 1, False, 4.0, None), ("A2", "R2", 1, False, 4.0, None)]),
        reps_frame([("R2", 0.0, 0.25)]),
        "stretch",
        DEFAULT_SHARE,
    )
    p = by_account(plan)
    assert p.loc["A1", "shortfall_reason"] == "owner_rep_not_found"
    assert p.loc["A2", "shortfall_reason"] == "no_visit_capacity"
    assert p.loc["A2", "overflow_rule_applied"] == "no_capacity"
    assert (plan["planned_visits"] == 0.0).all()


# --- key-account minimums ----------------------------------------------------------------------


@pytest.mark.parametrize("rule", ["stretch", "drop_lowest"])
def test_key_minimums_above_capacity_go_in_priority_order_and_are_reported(rule):
    plan = allocate_visits(
        accounts_frame(
            [
                ("K1", "R1", 1, True, 8.0, 8.0),  # minimum 2
                ("K2", "R1", 2, True, 8.0, 8.0),  # minimum 2
                ("A1", "R1", 3, False, 8.0, None),
            ]
        ),
        reps_frame([("R1", 3.0, 0.25)]),
        rule,
        DEFAULT_SHARE,
    )
    p = by_account(plan)
    assert p.loc["K1", "planned_visits"] == pytest.approx(2.0)
    assert bool(p.loc["K1", "meets_key_account_minimum"]) is True
    assert p.loc["K2", "planned_visits"] == pytest.approx(1.0)
    assert bool(p.loc["K2", "meets_key_account_minimum"]) is False
    assert p.loc["K2", "shortfall_reason"] == "key_minimums_exceed_capacity"
    assert p.loc["A1", "planned_visits"] == 0.0
    assert (plan["overflow_rule_applied"] == "key_minimums_only").all()


@pytest.mark.parametrize("rule", ["stretch", "drop_lowest"])
@pytest.mark.parametrize("seed", range(10))
def test_guards_hold_on_random_portfolios(rule, seed):
    accounts, reps = random_instance(seed)
    plan = allocate_visits(accounts, reps, rule, DEFAULT_SHARE)
    assert len(plan) == len(accounts)
    assert plan["account_id"].is_unique
    assert (plan["planned_visits"] >= 0).all()
    assert (plan["planned_visits"] <= plan["demand_visits"] + 1e-9).all()
    totals = plan.groupby("rep_id")["planned_visits"].sum()
    capacity = reps.set_index("rep_id")["capacity_visits"]
    assert (totals <= capacity.reindex(totals.index) + 1e-9).all()
    key = plan[plan["is_key_account"]]
    assert (key["meets_key_account_minimum"] | key["shortfall_reason"].notna()).all()
    served = plan["plan_status"].isin(["served", "no_demand"])
    assert (plan["shortfall_reason"].isna() == served).all()


# --- determinism, empty input, validation ------------------------------------------------------


@pytest.mark.parametrize("rule", ["stretch", "drop_lowest"])
def test_the_plan_is_identical_across_runs_and_input_orders(rule):
    accounts, reps = random_instance(7)
    first = allocate_visits(accounts, reps, rule, DEFAULT_SHARE)
    second = allocate_visits(accounts, reps, rule, DEFAULT_SHARE)
    shuffled = allocate_visits(
        accounts.sample(frac=1.0, random_state=3),
        reps.sample(frac=1.0, random_state=4),
        rule,
        DEFAULT_SHARE,
    )
    pd.testing.assert_frame_equal(first, second)
    pd.testing.assert_frame_equal(first, shuffled)


def test_empty_input_returns_typed_empty_frame():
    plan = allocate_visits(
        accounts_frame([]), reps_frame([("R1", 10.0, 0.25)]), "stretch", DEFAULT_SHARE
    )
    assert plan.empty
    assert list(plan.columns) == list(OUTPUT_COLUMNS)
    assert {c: str(t) for c, t in plan.dtypes.items()} == OUTPUT_COLUMNS
    assert list(empty_allocation().columns) == list(OUTPUT_COLUMNS)
    both_empty = allocate_visits(accounts_frame([]), reps_frame([]), "drop_lowest", DEFAULT_SHARE)
    assert both_empty.empty


def test_unknown_overflow_rule_is_rejected():
    with pytest.raises(ValueError, match="overflow_rule"):
        allocate_visits(accounts_frame([]), reps_frame([]), "random", DEFAULT_SHARE)


def test_duplicate_accounts_are_rejected():
    rows = [("A1", "R1", 1, False, 4.0, None), ("A1", "R1", 2, False, 4.0, None)]
    with pytest.raises(ValueError, match="one row per account_id"):
        allocate_visits(accounts_frame(rows), reps_frame([("R1", 1.0, 0.25)]), "stretch", 0.25)


# --- the stretch factor is the optimum of the linear programme ---------------------------------


@pytest.mark.parametrize("seed", range(15))
def test_stretch_factor_matches_the_linear_programme(seed):
    """max f s.t. x_i >= f d_i, x_i >= m_i, sum x <= C, f <= 1, solved by HiGHS."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 40))
    demand = rng.uniform(0.0, 5.0, n)
    minimum = np.where(rng.random(n) < 0.3, demand * rng.uniform(0.0, 1.0, n), 0.0)
    capacity = float(rng.uniform(minimum.sum(), demand.sum() * 1.2))
    c = np.zeros(n + 1)
    c[-1] = -1.0
    a_ub = np.zeros((n + 1, n + 1))
    a_ub[:n, :n] = -np.eye(n)
    a_ub[:n, -1] = demand
    a_ub[n, :n] = 1.0
    b_ub = np.concatenate((np.zeros(n), [capacity]))
    bounds = [(m, None) for m in minimum] + [(0.0, 1.0)]
    solved = linprog(c, A_ub=a_ub, b_ub=b_ub, bounds=bounds, method="highs")
    assert solved.success
    factor = stretch_factor(demand, minimum, capacity)
    assert factor == pytest.approx(solved.x[-1], abs=1e-7)
    planned, _, _ = allocate_rep(demand, minimum, capacity, "stretch")
    assert planned.sum() <= capacity + 1e-9
