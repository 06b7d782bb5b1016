"""Great Expectations suites for the marts, as versioned code.

dbt tests already guard keys, accepted values, ranges and reconciliations. These suites add what
dbt tests do not express well: row counts bounded by the inputs, cross-column rules, proportions
and distributions. Each suite validates one account-level (or smaller) mart; line-level facts
are guarded by dbt tests only (GX on pandas costs ~12 s per million rows).

A `Check`'s keyword values may be callables taking a read-only DuckDB connection: bounds computed
from the inputs at validation time (e.g. "as many rows as accounts with a clean sales line").
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import duckdb

Bound = Callable[[duckdb.DuckDBPyConnection], Any]


@dataclass(frozen=True)
class Check:
    expectation: str  # a great_expectations.expectations class name
    kwargs: dict[str, Any]
    why: str  # what it catches that dbt tests do not


@dataclass(frozen=True)
class MartSuite:
    table: str  # schema.table
    checks: tuple[Check, ...]
    # marts that exist only when their area is built; absent ones are reported, not failed
    optional: bool = False
    # an empty table (e.g. no reps file delivered) is reported as skipped, not failed
    allow_empty: bool = True
    meta: dict[str, Any] = field(default_factory=dict)


def scalar(sql: str) -> Bound:
    """A bound read from the warehouse at validation time."""

    def read(con: duckdb.DuckDBPyConnection) -> Any:
        value = con.sql(sql).fetchall()[0][0]
        return int(value) if isinstance(value, bool | int) else value

    return read


def project_var(name: str) -> Any:
    """A var's default from dbt_project.yml (the validation runs outside dbt)."""
    import yaml

    from kam.contract import PROJECT_DIR

    doc = yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text(encoding="utf-8"))
    return doc["vars"][name]


# accounts with a row in the current trailing 12 months of fct_account_profitability
ACTIVE_TRAILING_YEAR = (
    "select count(*) from marts.fct_account_profitability "
    "where period_type = 'trailing_12m' and is_current_period"
)

NOT_DERIVED = {"row_condition": "is_derived_from_sales == False", "condition_parser": "pandas"}

SUITES: tuple[MartSuite, ...] = (
    MartSuite(
        "marts.dim_accounts",
        (
            Check(
                "ExpectTableRowCountToBeBetween",
                {
                    "min_value": scalar(
                        "select count(distinct account_id) from marts.fct_sales_lines"
                    ),
                    "max_value": scalar(
                        "select (select count(distinct account_id) from "
                        "marts.fct_sales_lines) + (select count(*) from "
                        "staging.stg_landing__accounts)"
                    ),
                },
                "every buying account is present, and no more accounts than the inputs hold",
            ),
            Check(
                "ExpectColumnValuesToNotBeNull",
                {"column": "account_name", "mostly": 0.95, **NOT_DERIVED},
                "accounts from an accounts file are named (5% tolerance)",
            ),
            Check(
                "ExpectColumnPairValuesToBeEqual",
                {
                    "column_A": "group_account_id",
                    "column_B": "account_id",
                    "row_condition": "parent_account_id.isnull()",
                    "condition_parser": "pandas",
                },
                "a stand-alone account is its own group",
            ),
            Check(
                "ExpectColumnProportionOfUniqueValuesToBeBetween",
                {"column": "is_derived_from_sales", "min_value": 0, "max_value": 1},
                "accounts are all from the file or all derived, never a mix",
            ),
        ),
    ),
    MartSuite(
        "marts.dim_reps",
        (
            Check(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {
                    "column_A": "paid_minutes_per_year",
                    "column_B": "practical_minutes_per_year",
                    "or_equal": True,
                    "ignore_row_if": "either_value_is_missing",
                },
                "practical capacity never exceeds paid time",
            ),
            Check(
                "ExpectColumnMeanToBeBetween",
                {"column": "visits_per_day", "min_value": 0.5, "max_value": 10},
                "visit capacity is plausible on average (a unit error shows here)",
            ),
            Check(
                "ExpectColumnValuesToBeBetween",
                {"column": "cost_per_minute", "min_value": 0.05, "max_value": 20, "mostly": 0.95},
                "a loaded cost per minute between 0.05 and 20 (yearly costs keyed in thousands "
                "or in cents show here)",
            ),
        ),
    ),
    MartSuite(
        "marts.dim_products",
        (
            Check(
                "ExpectColumnValuesToBeBetween",
                {
                    "column": "list_margin_rate",
                    "min_value": -0.5,
                    "max_value": 0.95,
                    "mostly": 0.98,
                },
                "list prices and unit costs are in the same unit",
            ),
            Check(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {
                    "column_A": "list_price",
                    "column_B": "unit_cost",
                    "or_equal": True,
                    "mostly": 0.95,
                    "ignore_row_if": "either_value_is_missing",
                },
                "products are mostly sold above cost",
            ),
        ),
    ),
    MartSuite(
        "marts.dq_reconciliation",
        (
            Check(
                "ExpectColumnSumToBeBetween",
                {"column": "unaccounted_rows", "min_value": 0, "max_value": 0},
                "nothing lost, file by file (also a dbt test: the one check worth doubling)",
            ),
            Check(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {"column_A": "rows_read", "column_B": "quarantined_rows", "or_equal": True},
                "a file never quarantines more rows than it has",
            ),
            Check(
                "ExpectTableRowCountToBeBetween",
                {
                    "min_value": scalar(
                        "select count(*) from staging.stg_landing__load_log "
                        "where source_file is not null"
                    ),
                    "max_value": scalar(
                        "select count(*) from staging.stg_landing__load_log "
                        "where source_file is not null"
                    ),
                },
                "one reconciliation row per file read",
            ),
        ),
    ),
    # --- segmentation -------------------------------------------------------------------------
    MartSuite(
        "marts.fct_account_segments",
        (
            Check(
                "ExpectTableRowCountToBeBetween",
                {
                    "min_value": scalar("select count(*) from marts.dim_accounts"),
                    "max_value": scalar("select count(*) from marts.dim_accounts"),
                },
                "every account is segmented, prospects included, none twice",
            ),
            Check(
                "ExpectColumnSumToBeBetween",
                {
                    "column": "net_revenue_window",
                    "row_condition": "is_key_account == True",
                    "condition_parser": "pandas",
                    "min_value": scalar(
                        "select coalesce(sum(net_revenue_window), 0) * "
                        "(select 0.5) from marts.fct_account_segments "
                        "where net_revenue_window > 0"
                    ),
                },
                "key accounts carry at least the key-account revenue share (0.5 by default)",
            ),
            Check(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {
                    "column_A": "revenue_to_potential_ratio",
                    "column_B": "share_of_wallet",
                    "or_equal": True,
                    "ignore_row_if": "either_value_is_missing",
                },
                "the capped share of wallet never exceeds the uncapped ratio",
            ),
            Check(
                "ExpectColumnValuesToNotBeInSet",
                {"column": "lifecycle_stage", "value_set": ["lost"], "mostly": 0.3},
                "alarm bound: more than 70% of accounts lost means a wrong as-of date or data gap",
            ),
        ),
        optional=True,
    ),
    MartSuite(
        "marts.agg_segment_cells",
        (
            Check(
                "ExpectColumnSumToBeBetween",
                {
                    "column": "entity_count",
                    "row_condition": "entity_level == 'account'",
                    "condition_parser": "pandas",
                    "min_value": scalar("select count(*) from marts.fct_account_segments"),
                    "max_value": scalar("select count(*) from marts.fct_account_segments"),
                },
                "every account sits in exactly one cell",
            ),
            Check(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {"column_A": "entity_count", "column_B": "key_entity_count", "or_equal": True},
                "a cell never has more key accounts than accounts",
            ),
        ),
        optional=True,
    ),
    # --- relationship scores and visits ---------------------------------------------------------
    MartSuite(
        "marts.fct_account_scores",
        (
            Check(
                "ExpectTableRowCountToBeBetween",
                {
                    "min_value": scalar("select count(*) from marts.dim_accounts"),
                    "max_value": scalar("select count(*) from marts.dim_accounts"),
                },
                "every account is scored (with coverage 0 when nothing is known)",
            ),
            Check(
                "ExpectColumnValuesToBeNull",
                {
                    "column": "qrc_score",
                    "row_condition": "qrc_coverage == 0",
                    "condition_parser": "pandas",
                },
                "no score without measured criteria: unknown is not zero",
            ),
            Check(
                "ExpectColumnStdevToBeBetween",
                {"column": "qrc_score", "min_value": 1, "max_value": 50},
                "QRC scores discriminate between accounts (a constant score is a broken rule)",
            ),
        ),
        optional=True,
    ),
    MartSuite(
        "marts.fct_rep_visit_plan",
        (
            Check(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {"column_A": "capacity_visits", "column_B": "planned_visits", "or_equal": True},
                "no rep is planned beyond capacity",
            ),
        ),
        optional=True,
    ),
    MartSuite(
        "marts.fct_account_visit_priorities",
        (
            Check(
                "ExpectTableRowCountToBeBetween",
                {
                    "min_value": scalar("select count(*) from marts.dim_accounts"),
                    "max_value": scalar("select count(*) from marts.dim_accounts"),
                },
                "every account sits in one cell of the attractiveness x QRC matrix",
            ),
        ),
        optional=True,
    ),
    # --- profitability ----------------------------------------------------------------------------
    MartSuite(
        "marts.fct_account_whale_curve",
        (
            Check(
                "ExpectTableRowCountToBeBetween",
                {
                    "min_value": scalar(ACTIVE_TRAILING_YEAR),
                    "max_value": scalar(ACTIVE_TRAILING_YEAR),
                },
                "one row per account active in the trailing 12 months, ranked or with a reason",
            ),
            Check(
                "ExpectColumnValuesToBeIncreasing",
                {
                    "column": "contribution_rank",
                    "row_condition": "contribution_rank.notnull()",
                    "condition_parser": "pandas",
                },
                "ranked accounts come in rank order, ready to plot",
            ),
        ),
        optional=True,
    ),
    MartSuite(
        "marts.agg_whale_curve_summary",
        (
            Check(
                "ExpectTableRowCountToBeBetween",
                {"min_value": 1, "max_value": 1},
                "one summary row",
            ),
            Check(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {
                    "column_A": "peak_cumulative_net_contribution",
                    "column_B": "total_net_contribution",
                    "or_equal": True,
                    "ignore_row_if": "either_value_is_missing",
                },
                "the peak of the whale curve is at least the total contribution",
            ),
            Check(
                "ExpectColumnPairValuesAToBeGreaterThanB",
                {
                    "column_A": "account_count",
                    "column_B": "loss_making_account_count",
                    "or_equal": True,
                    "ignore_row_if": "either_value_is_missing",
                },
                "no more loss-making accounts than accounts",
            ),
        ),
        optional=True,
    ),
    MartSuite(
        "marts.fct_account_profitability_classes",
        (
            Check(
                "ExpectTableRowCountToBeBetween",
                {
                    "min_value": scalar(ACTIVE_TRAILING_YEAR),
                    "max_value": scalar(ACTIVE_TRAILING_YEAR),
                },
                "every active account gets a class (undetermined when contribution is unknown)",
            ),
            Check(
                "ExpectColumnValuesToNotBeInSet",
                {
                    "column": "recommendation",
                    "value_set": ["withdraw"],
                    "row_condition": "lifecycle_stage == 'at_risk' and was_productive == True",
                    "condition_parser": "pandas",
                },
                "an at-risk account that used to be productive is never withdrawn",
            ),
            Check(
                "ExpectColumnValuesToNotBeInSet",
                {"column": "recommendation", "value_set": ["withdraw"], "mostly": 0.7},
                "alarm bound: withdrawing from more than 30% of accounts means broken rules",
            ),
        ),
        optional=True,
    ),
)
