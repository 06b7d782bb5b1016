"""Documentation and test coverage is enforced: every model, seed, source and column described,
every model with a primary-key test, every mart label and score tested, no personal data."""

from __future__ import annotations

import json
import shutil

import duckdb
import pytest

from kam.coverage import check, report
from tests_py.conftest import build_env, run_dbt


def test_every_node_documented_and_tested(demo_warehouse, demo_landing, tmp_path):
    env = {
        **build_env(demo_warehouse.parent, demo_landing),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
    }
    run_dbt(["docs", "generate"], env, timeout=600)
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    catalog = json.loads((tmp_path / "target" / "catalog.json").read_text())
    cov = check(manifest, catalog)
    print(report(cov))
    assert cov.counts["models"] > 20
    assert not cov.violations, report(cov)
    # the constraints that stand in for tests (decision log 36) are in the built tables
    declared, built = _declared_constraints(manifest), _built_constraints(demo_warehouse)
    assert len(declared) > 600
    assert {c[3] for c in declared} == {"NOT NULL", "PRIMARY KEY", "CHECK"}
    assert declared == built


def test_a_value_outside_a_marts_check_constraint_is_refused(demo_warehouse, tmp_path):
    """The check constraints that replaced accepted_values and accepted_range (decision log 37)
    refuse a bad value when a row is written, with a message that names the rule."""
    copy = tmp_path / "kam.duckdb"
    shutil.copy(demo_warehouse, copy)
    bad_values = [
        ("fct_account_segments", "abc_class", "'D'"),
        ("fct_account_scores", "attractiveness_score", "100.5"),
        ("fct_account_profitability", "credit_notes_amount", "1"),
        ("dq_reconciliation", "entity", "'invoices'"),
    ]
    with duckdb.connect(str(copy)) as con:
        for table, column, value in bad_values:
            # the same statement with a valid value succeeds: the constraint, not the SQL, refuses
            con.sql(f"update marts.{table} set {column} = {column} where rowid = 0")
            with pytest.raises(duckdb.ConstraintException, match="CHECK constraint failed"):
                con.sql(f"update marts.{table} set {column} = {value} where rowid = 0")


def _declared_constraints(manifest: dict) -> set[tuple[str, str, str, str]]:
    """(schema, table, column, NOT NULL | PRIMARY KEY | CHECK) of every enforced contract."""
    kinds = {"not_null": "NOT NULL", "primary_key": "PRIMARY KEY", "check": "CHECK"}
    return {
        (node["schema"], node["alias"], column, kinds[c["type"]])
        for node in manifest["nodes"].values()
        if node["resource_type"] == "model" and node["config"].get("contract", {}).get("enforced")
        for column, col in node["columns"].items()
        for c in col.get("constraints", [])
    }


def _built_constraints(warehouse) -> set[tuple[str, str, str, str]]:
    """The same, read from DuckDB's catalog, for the schemas that hold contracted models."""
    with duckdb.connect(str(warehouse), read_only=True) as con:
        rows = con.sql(
            """
            select schema_name, table_name, unnest(constraint_column_names), constraint_type
            from duckdb_constraints()
            where constraint_type in ('NOT NULL', 'PRIMARY KEY', 'CHECK')
              and schema_name in ('marts', 'semantic')
            """
        ).fetchall()
    return {tuple(r) for r in rows}


def test_the_check_catches_an_undocumented_column_and_a_missing_key():
    manifest = {
        "metadata": {"project_name": "kam"},
        "nodes": {
            "model.kam.fct_x": {
                "resource_type": "model",
                "package_name": "kam",
                "name": "fct_x",
                "description": "x",
                "original_file_path": "models/marts/fct_x.sql",
                "columns": {"x_id": {"description": "key"}, "abc_class": {"description": "class"}},
            },
        },
        "sources": {},
        "macros": {
            "macro.kam.helper": {"package_name": "kam", "name": "helper", "description": ""},
            "macro.dbt.other": {"package_name": "dbt", "name": "other", "description": ""},
        },
    }
    catalog = {
        "nodes": {"model.kam.fct_x": {"columns": {"x_id": {}, "abc_class": {}, "hidden": {}}}}
    }
    cov = check(manifest, catalog)
    text = "\n".join(cov.violations)
    assert "fct_x.hidden: column not documented" in text
    assert "fct_x: no primary-key test" in text
    assert "fct_x.abc_class: label without accepted_values" in text
    assert "fct_x: no no_personal_data test" in text
    assert "macro helper: no description" in text
    assert "macro other" not in text


def _model_node(name: str, columns: dict, enforced: bool = True, folder: str = "marts") -> dict:
    """A model in the manifest: {column: its constraints}, described, under models/<folder>/."""
    return {
        "resource_type": "model",
        "package_name": "kam",
        "name": name,
        "description": "x",
        "original_file_path": f"models/{folder}/{name}.sql",
        "config": {"contract": {"enforced": enforced}},
        "columns": {c: {"description": c, "constraints": k} for c, k in columns.items()},
    }


def test_a_check_constraint_stands_in_for_accepted_values_or_accepted_range_on_a_mart():
    mart = _model_node

    def check_(expression: str) -> list[dict]:
        return [{"type": "check", "expression": expression}]

    manifest = {
        "metadata": {"project_name": "kam"},
        "nodes": {
            "model.kam.fct_ok": mart(
                "fct_ok",
                {
                    "abc_class": check_("abc_class in ('A', 'B', 'C')"),
                    "win_rate": check_("win_rate >= 0 and win_rate <= 1"),
                    "cost_share": check_("cost_share <= 1"),
                },
            ),
            # a check that bounds another column, or tests something else, does not count
            "model.kam.fct_wrong": mart(
                "fct_wrong",
                {
                    "abc_class": check_("abc_class is not null"),
                    "win_rate": check_("other_rate >= 0"),
                },
            ),
            # without an enforced contract DuckDB does not check the constraint
            "model.kam.fct_loose": mart(
                "fct_loose", {"abc_class": check_("abc_class in ('A')")}, enforced=False
            ),
        },
        "sources": {},
        "macros": {},
    }
    text = "\n".join(check(manifest).violations)
    assert "fct_ok.abc_class" not in text and "fct_ok.win_rate" not in text
    assert "fct_ok.cost_share" not in text
    assert "fct_wrong.abc_class: label without accepted_values or check constraint" in text
    assert "fct_wrong.win_rate: share/ratio/score without accepted_range or check" in text
    assert "fct_loose.abc_class: label without accepted_values or check constraint" in text


def _test_node(name: str, model: str, column: str) -> dict:
    return {
        "resource_type": "test",
        "package_name": "kam",
        "name": f"{name}_{model}_{column}",
        "column_name": column,
        "attached_node": f"model.kam.{model}",
        "test_metadata": {"name": name, "kwargs": {"column_name": column}},
        "depends_on": {"nodes": [f"model.kam.{model}"]},
    }


def test_enforced_constraints_count_as_tests_and_a_test_that_cannot_fail_is_caught():
    def model(name: str, columns: dict, enforced: bool = True) -> dict:
        return _model_node(name, columns, enforced, folder="intermediate")

    not_null, primary_key = [{"type": "not_null"}], [{"type": "not_null"}, {"type": "primary_key"}]
    manifest = {
        "metadata": {"project_name": "kam"},
        "nodes": {
            # a key checked by a unique test and an enforced not_null constraint: a primary key
            "model.kam.lines": model("lines", {"line_id": not_null, "amount": not_null}),
            "test.kam.u1": _test_node("unique", "lines", "line_id"),
            # the same constraint without an enforced contract is not checked by DuckDB
            "model.kam.loose": model("loose", {"loose_id": not_null}, enforced=False),
            "test.kam.u2": _test_node("unique", "loose", "loose_id"),
            # tests that re-check what the constraints already refuse
            "model.kam.accounts": model("accounts", {"account_id": primary_key, "name": not_null}),
            "test.kam.u3": _test_node("unique", "accounts", "account_id"),
            "test.kam.n3": _test_node("not_null", "accounts", "name"),
            # DuckDB makes a primary-key column not null as well
            "model.kam.keyed": model("keyed", {"key_id": [{"type": "primary_key"}]}),
            "test.kam.n4": _test_node("not_null", "keyed", "key_id"),
            # a view has no constraints, contract or not: its not_null test is the only check
            "model.kam.shown": {
                **model("shown", {"shown_id": not_null}),
                "config": {"contract": {"enforced": True}, "materialized": "view"},
            },
            "test.kam.n5": _test_node("not_null", "shown", "shown_id"),
            "test.kam.u5": _test_node("unique", "shown", "shown_id"),
        },
        "sources": {},
        "macros": {},
    }
    text = "\n".join(check(manifest).violations)
    assert "model lines: no primary-key test" not in text
    assert "model loose: no primary-key test" in text
    assert "model accounts.account_id: unique test cannot fail" in text
    assert "model accounts.name: not_null test cannot fail" in text
    assert "model keyed.key_id: not_null test cannot fail" in text
    assert "shown.shown_id" not in text and "model shown: no primary-key test" not in text
    assert "lines.line_id" not in text and "lines.amount" not in text
