"""Documentation and test coverage is enforced: every model, seed, source and column described,
every model with a primary-key test, every mart label and score tested, no personal data."""

from __future__ import annotations

import json

import duckdb

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
    assert len(declared) > 250
    assert declared == built


def _declared_constraints(manifest: dict) -> set[tuple[str, str, str, str]]:
    """(schema, table, column, NOT NULL | PRIMARY KEY) of every enforced contract."""
    kinds = {"not_null": "NOT NULL", "primary_key": "PRIMARY KEY"}
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
            where constraint_type in ('NOT NULL', 'PRIMARY KEY')
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
        return {
            "resource_type": "model",
            "package_name": "kam",
            "name": name,
            "description": "x",
            "original_file_path": f"models/intermediate/{name}.sql",
            "config": {"contract": {"enforced": enforced}},
            "columns": {c: {"description": c, "constraints": k} for c, k in columns.items()},
        }

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
