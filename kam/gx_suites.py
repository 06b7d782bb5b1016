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
)
