"""The semantic layer (models/semantic/): dbt parses it, dbt-semantic-interfaces validates the
semantic manifest dbt writes, the metrics keep their invariants (profitability metrics read the
month rows only, every core metric reaches the segment, cell, rep, region and period
dimensions), and the time spine covers the marts. When MetricFlow is installed (optional: see
docs/semantic_layer.md), metric queries on the demo warehouse return the numbers a direct SQL
query on the marts returns."""

from __future__ import annotations

import csv
import importlib.util
import json
import os
import subprocess
import sys
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest

from kam.contract import PROJECT_DIR
from tests_py.conftest import query, run_dbt

CORE_METRICS = {
    "net_revenue",
    "gross_margin",
    "cost_of_sales",
    "net_contribution",
    "cos_ratio",
    "gross_margin_rate",
    "qrc_score",
    "attractiveness_score",
    "planned_visits",
}
# the dimensions every core metric must reach (entity__dimension, resolved below)
SEGMENT, CELL, REGION = "account__abc_xyz_cell", "account__matrix_cell_code", "account__region"
OWNER_REP = "account__owner_rep_id"
MONTH_FILTER = "{{ Dimension('account_period__period_type') }} = 'month'"

MF_BIN = Path(sys.executable).parent / "mf"
HAS_METRICFLOW = importlib.util.find_spec("metricflow") is not None and MF_BIN.exists()
needs_metricflow = pytest.mark.skipif(
    not HAS_METRICFLOW,
    reason="MetricFlow is optional and not installed (see docs/semantic_layer.md)",
)


@pytest.fixture(scope="module")
def semantic_target(tmp_path_factory) -> Path:
    """`dbt parse` of the project into a target folder of its own; returns that folder.
    The warehouse path ends in kam.duckdb like the demo fixture's, so the relation names of the
    semantic manifest ("kam"."marts"...) are the ones the demo warehouse holds."""
    tmp = tmp_path_factory.mktemp("semantic_parse")
    run_dbt(
        ["parse"],
        {
            "KAM_DUCKDB_PATH": str(tmp / "kam.duckdb"),
            "DBT_TARGET_PATH": str(tmp / "target"),
            "DBT_LOG_PATH": str(tmp / "logs"),
        },
    )
    return tmp / "target"


@pytest.fixture(scope="module")
def semantic_manifest(semantic_target) -> dict:
    return json.loads((semantic_target / "semantic_manifest.json").read_text(encoding="utf-8"))


def test_parse_writes_the_semantic_layer(semantic_manifest):
    models = {m["name"] for m in semantic_manifest["semantic_models"]}
    metrics = {m["name"] for m in semantic_manifest["metrics"]}
    assert {"sales_lines", "account_profitability", "accounts", "account_segments"} <= models
    assert {"account_scores", "account_visit_plan", "reps"} <= models
    assert metrics >= CORE_METRICS
    [spine] = semantic_manifest["project_configuration"]["time_spines"]
    assert spine["node_relation"]["alias"] == "metricflow_time_spine"
    assert spine["primary_column"] == {"name": "date_day", "time_granularity": "day"}
    assert {q["name"] for q in semantic_manifest["saved_queries"]} >= {"rep_visit_plan"}


def test_semantic_manifest_passes_dbt_semantic_interfaces_validation(semantic_manifest):
    from dbt_semantic_interfaces.implementations.semantic_manifest import (
        PydanticSemanticManifest,
    )
    from dbt_semantic_interfaces.validations.semantic_manifest_validator import (
        SemanticManifestValidator,
    )

    manifest = PydanticSemanticManifest.parse_obj(semantic_manifest)
    results = SemanticManifestValidator[PydanticSemanticManifest]().validate_semantic_manifest(
        manifest
    )
    issues = [issue.as_readable_str() for issue in results.all_issues]
    assert not results.has_blocking_issues, "\n".join(issues)
    # warnings and future errors too: a clean manifest stays clean
    assert not issues, "\n".join(issues)


def test_every_element_is_described(semantic_manifest):
    missing = []
    for model in semantic_manifest["semantic_models"]:
        if not (model.get("description") or "").strip():
            missing.append(model["name"])
        for kind in ("dimensions", "measures"):
            for element in model.get(kind) or []:
                if not (element.get("description") or "").strip():
                    missing.append(f"{model['name']}.{element['name']}")
    for metric in semantic_manifest["metrics"]:
        if not (metric.get("description") or "").strip() or not metric.get("label"):
            missing.append(f"metric {metric['name']}")
    assert not missing, missing


def _measure_models(semantic_manifest: dict) -> dict[str, dict]:
    return {
        measure["name"]: model
        for model in semantic_manifest["semantic_models"]
        for measure in model.get("measures") or []
    }


def _input_measures(metric: dict, metrics: dict[str, dict]) -> list[str]:
    params = metric["type_params"]
    if metric["type"] == "simple":
        return [params["measure"]["name"]]
    inputs = [params.get("numerator"), params.get("denominator"), *(params.get("metrics") or [])]
    return [m for i in inputs if i for m in _input_measures(metrics[i["name"]], metrics)]


def _filters(metric: dict) -> list[str]:
    where = metric.get("filter") or {}
    return [f["where_sql_template"] for f in where.get("where_filters", [])]


def test_profitability_metrics_read_the_month_rows_only(semantic_manifest):
    """fct_account_profitability holds month, quarter and trailing-12-month rows of the same
    money: a metric on it without the month filter would count everything three times."""
    metrics = {m["name"]: m for m in semantic_manifest["metrics"]}
    models = _measure_models(semantic_manifest)
    checked = 0
    for metric in metrics.values():
        if metric["type"] != "simple":
            continue
        [measure] = _input_measures(metric, metrics)
        if models[measure]["name"] == "account_profitability":
            assert MONTH_FILTER in _filters(metric), metric["name"]
            checked += 1
    assert checked >= 7


def _reachable_dimensions(semantic_manifest: dict, model: dict) -> set[str]:
    """Dimensions a measure of `model` can be grouped by: its own entities' dimensions, one hop
    to the models whose primary entity is one of its entities, and from there a second hop
    (MetricFlow's own resolution is wider; this is the part the metrics rely on)."""
    by_primary = defaultdict(list)
    for other in semantic_manifest["semantic_models"]:
        for entity in other["entities"]:
            if entity["type"] == "primary":
                by_primary[entity["name"]].append(other)

    def dims_of(target: dict, prefix: str) -> set[str]:
        return {f"{prefix}__{d['name']}" for d in target.get("dimensions") or []}

    reachable: set[str] = set()
    for entity in model["entities"]:
        for target in by_primary[entity["name"]]:
            reachable |= dims_of(target, entity["name"])
            for second in target["entities"]:
                if second["type"] == "foreign":
                    for far in by_primary[second["name"]]:
                        reachable |= dims_of(far, f"{entity['name']}__{second['name']}")
    return reachable


def test_core_metrics_reach_segment_cell_rep_region_and_period(semantic_manifest):
    metrics = {m["name"]: m for m in semantic_manifest["metrics"]}
    models = _measure_models(semantic_manifest)
    for name in CORE_METRICS:
        for measure in _input_measures(metrics[name], metrics):
            model = models[measure]
            dims = _reachable_dimensions(semantic_manifest, model)
            for wanted in (SEGMENT, CELL, REGION, OWNER_REP, "account__rep__region"):
                assert wanted in dims, (name, wanted)
            # period: metric_time comes from the model's aggregation time dimension
            agg_time = (model.get("defaults") or {}).get("agg_time_dimension")
            time_dims = {d["name"] for d in model["dimensions"] if d["type"] == "time"}
            assert agg_time in time_dims, (name, agg_time)


def test_time_spine_covers_every_metric_time_of_the_marts(demo_warehouse):
    [(first_day, last_day, days, distinct_days)] = query(
        demo_warehouse,
        "select min(date_day), max(date_day), count(*), count(distinct date_day) "
        "from semantic.metricflow_time_spine",
    )
    assert days == distinct_days == (last_day - first_day).days + 1  # no gap, no duplicate
    [(min_date, max_date)] = query(
        demo_warehouse,
        """
        select min(d), max(d) from (
            select invoice_date as d from marts.fct_sales_lines
            union all select period_start_date from marts.fct_account_profitability
            union all select snapshot_date from marts.fct_account_score_history
            union all select plan_start_date from marts.fct_account_visit_plan
            union all select as_of_date from marts.fct_account_segments
        )""",
    )
    assert first_day <= min_date and max_date <= last_day


# --- MetricFlow (optional) ----------------------------------------------------------------------

READ_ONLY_PROFILE = """kam:
  target: dev
  outputs:
    dev:
      type: duckdb
      path: "{{ env_var('KAM_DUCKDB_PATH') }}"
      threads: 1
      config_options:
        access_mode: READ_ONLY
"""


@pytest.fixture(scope="module")
def mf_project(tmp_path_factory, semantic_target, demo_warehouse) -> Path:
    """A shadow of the project for `mf`: MetricFlow reads <project>/target/semantic_manifest.json
    (not DBT_TARGET_PATH), so the project's files are linked into a folder of its own with the
    parsed manifest and a read-only profile on the demo warehouse (nothing is written to it)."""
    assert demo_warehouse.name == "kam.duckdb"  # the manifest's relations are "kam"."marts"...
    root = tmp_path_factory.mktemp("mf_project")
    for name in ("dbt_project.yml", "models", "macros", "seeds", "tests", "analyses"):
        (root / name).symlink_to(PROJECT_DIR / name)
    (root / "target").mkdir()
    (root / "target" / "semantic_manifest.json").write_bytes(
        (semantic_target / "semantic_manifest.json").read_bytes()
    )
    (root / "profiles.yml").write_text(READ_ONLY_PROFILE, encoding="utf-8")
    return root


def _mf(mf_project: Path, demo_warehouse: Path, args: list[str]) -> str:
    env = {
        **os.environ,
        "KAM_DUCKDB_PATH": str(demo_warehouse),
        "DBT_PROFILES_DIR": str(mf_project),
        "DBT_PROJECT_DIR": str(mf_project),
        "DBT_LOG_PATH": str(mf_project / "logs"),
    }
    proc = subprocess.run(
        [str(MF_BIN), *args],
        cwd=mf_project,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, (
        f"mf {' '.join(args)}:\n{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"
    )
    return proc.stdout


def _mf_csv(mf_project: Path, demo_warehouse: Path, args: list[str], name: str) -> list[dict]:
    out = mf_project / f"{name}.csv"
    _mf(mf_project, demo_warehouse, ["query", *args, "--csv", str(out)])
    with out.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _num(value: str) -> Decimal | None:
    return Decimal(value) if value not in ("", None) else None


def _close(a, b, tolerance: float = 0.01) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(Decimal(str(a)) - Decimal(str(b))) <= Decimal(str(tolerance))


@needs_metricflow
def test_metricflow_validates_against_the_warehouse(mf_project, demo_warehouse):
    out = _mf(mf_project, demo_warehouse, ["validate-configs"])
    assert "ERRORS: 0" in out and "against data warehouse" in out, out[-3000:]


@needs_metricflow
def test_metricflow_monthly_net_revenue_equals_the_mart(mf_project, demo_warehouse):
    rows = _mf_csv(
        mf_project,
        demo_warehouse,
        ["--metrics", "net_revenue", "--group-by", "metric_time__month"],
        "net_revenue_by_month",
    )
    got = {r["metric_time__month"][:10]: _num(r["net_revenue"]) for r in rows}
    expected = {
        str(month): total
        for month, total in query(
            demo_warehouse,
            "select invoice_month, sum(net_revenue) from marts.fct_sales_lines group by 1",
        )
    }
    assert len(expected) >= 24
    assert got.keys() == expected.keys()
    for month, total in expected.items():
        assert _close(got[month], total), (month, got[month], total)


@needs_metricflow
def test_metricflow_profitability_scores_and_plan_by_segment_equal_the_marts(
    mf_project, demo_warehouse
):
    metrics = (
        "gross_margin,cost_of_sales,net_contribution,cos_ratio,current_qrc_score,planned_visits"
    )
    rows = _mf_csv(
        mf_project,
        demo_warehouse,
        ["--metrics", metrics, "--group-by", SEGMENT],
        "by_segment",
    )
    got = {r[SEGMENT]: r for r in rows}
    expected = query(
        demo_warehouse,
        """
        with months as (
            select
                account_id,
                net_revenue,
                gross_margin,
                net_contribution,
                case when cost_of_sales_missing_reason = 'no_cost_drivers_in_period' then 0
                     else cost_of_sales end as cost_of_sales
            from marts.fct_account_profitability
            where period_type = 'month'
        ),
        money as (
            select
                segments.abc_xyz_cell,
                sum(months.gross_margin) as gross_margin,
                sum(months.cost_of_sales) as cost_of_sales,
                sum(months.net_contribution) as net_contribution,
                sum(months.cost_of_sales)
                / sum(case when months.cost_of_sales is not null then months.net_revenue end)
                    as cos_ratio
            from months
            inner join marts.fct_account_segments as segments using (account_id)
            group by 1
        ),
        scores as (
            select segments.abc_xyz_cell, avg(scores.qrc_score) as qrc_score
            from marts.fct_account_score_history as scores
            inner join marts.fct_account_segments as segments using (account_id)
            where scores.is_current
            group by 1
        ),
        plan as (
            select segments.abc_xyz_cell, sum(plan.planned_visits) as planned_visits
            from marts.fct_account_visit_plan as plan
            inner join marts.fct_account_segments as segments using (account_id)
            group by 1
        )
        select scores.abc_xyz_cell, money.gross_margin, money.cost_of_sales,
               money.net_contribution, money.cos_ratio, scores.qrc_score, plan.planned_visits
        from scores
        left join money using (abc_xyz_cell)
        left join plan using (abc_xyz_cell)
        """,
    )
    assert len(expected) >= 9
    names = ["gross_margin", "cost_of_sales", "net_contribution"]
    for cell, margin, cos, contribution, ratio, qrc, visits in expected:
        row = got[cell]
        for name, value in zip(names, (margin, cos, contribution), strict=True):
            assert _close(_num(row[name]), value), (cell, name, row[name], value)
        assert _close(_num(row["cos_ratio"]), ratio, 1e-9), (cell, row["cos_ratio"], ratio)
        assert _close(_num(row["current_qrc_score"]), qrc, 1e-6), (cell, "qrc")
        assert _close(_num(row["planned_visits"]), visits, 1e-6), (cell, "visits")


@needs_metricflow
def test_metricflow_saved_query_rep_visit_plan_equals_the_rep_mart(mf_project, demo_warehouse):
    rows = _mf_csv(mf_project, demo_warehouse, ["--saved-query", "rep_visit_plan"], "reps")
    got = {r["rep__rep_name"]: r for r in rows}
    assert len(got) == len(rows)  # rep names are unique in the demo
    expected = query(
        demo_warehouse,
        "select rep_name, account_count, planned_visits, demand_visits "
        "from marts.fct_rep_visit_plan where account_count > 0",
    )
    assert expected
    for rep_name, accounts, planned, demand in expected:
        row = got[rep_name]
        assert int(row["planned_accounts"]) == accounts, rep_name
        assert _close(_num(row["planned_visits"]), planned, 1e-6), rep_name
        assert _close(_num(row["visit_demand"]), demand, 1e-6), rep_name
