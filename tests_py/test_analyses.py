"""The analyses (analyses/): each compiles with dbt, without arguments and with its parameters,
and its compiled SQL runs read-only on the demo warehouse, returning the rows and columns an
analyst expects, the numbers matching the marts."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from kam.contract import PROJECT_DIR
from tests_py.conftest import query

ANALYSES = ("portfolio_review", "rep_review", "account_dossier")
EXPECTED_COLUMNS = {
    "portfolio_review": {
        "cell_order",
        "abc_xyz_cell",
        "recommended_treatment",
        "as_of_date",
        "account_count",
        "key_account_count",
        "at_risk_account_count",
        "net_revenue_window",
        "revenue_share",
        "net_contribution_t12m",
        "contribution_unknown_account_count",
        "loss_making_account_count",
        "mean_qrc_score",
        "mean_attractiveness_score",
        "visit_demand",
        "planned_visits",
    },
    "rep_review": {
        "rep_id",
        "rep_name",
        "rep_capacity_visits",
        "rep_utilisation",
        "account_id",
        "account_name",
        "abc_xyz_cell",
        "lifecycle_stage",
        "net_revenue_window",
        "net_contribution_t12m",
        "recommendation",
        "qrc_score",
        "attractiveness_score",
        "matrix_cell_code",
        "rep_priority_rank",
        "planned_visits",
        "plan_status",
    },
    "account_dossier": {
        "account_id",
        "account_name",
        "owner_rep_name",
        "abc_xyz_cell",
        "is_key_account",
        "lifecycle_stage",
        "net_revenue_t12m",
        "gross_margin_t12m",
        "cost_of_sales_t12m",
        "net_contribution_t12m",
        "profitability_class",
        "recommendation",
        "contribution_rank",
        "qrc_score",
        "attractiveness_score",
        "low_qrc_criteria",
        "matrix_cell_code",
        "planned_visits",
        "open_opportunity_count",
    },
}
INJECTION = "x' or '1'='1"

# Parses the project once, then compiles the analyses once per set of vars from that manifest
# (dbtRunner(manifest=...): no re-parse), each set into its own target folder. Runs in a
# subprocess so that dbt's global state stays out of the test process.
COMPILE_SCRIPT = """
import json, sys
from dbt.cli.main import dbtRunner
project, root, variants = sys.argv[1], sys.argv[2], json.loads(sys.argv[3])
common = ["--profiles-dir", project, "--project-dir", project]
parsed = dbtRunner().invoke(["parse", "--target-path", f"{root}/parse", *common])
if not parsed.success:
    sys.exit(f"dbt parse failed: {parsed.exception}")
for name, dbt_vars in variants.items():
    result = dbtRunner(manifest=parsed.result).invoke(
        ["compile", "--select", "path:analyses", "--vars", json.dumps(dbt_vars),
         "--target-path", f"{root}/{name}", *common]
    )
    if not result.success:
        sys.exit(f"dbt compile ({name}) failed: {result.exception}")
"""


@pytest.fixture(scope="module")
def parameters(demo_warehouse) -> dict[str, str]:
    """Explicit parameters that are not the defaults: the rep owning the fewest accounts, the
    account with the smallest id, the region with the fewest accounts."""
    [(rep_id,)] = query(
        demo_warehouse,
        "select owner_rep_id from marts.dim_accounts where owner_rep_id is not null "
        "group by 1 order by count(*), 1 limit 1",
    )
    [(account_id,)] = query(demo_warehouse, "select min(account_id) from marts.dim_accounts")
    [(region,)] = query(
        demo_warehouse,
        "select region from marts.dim_accounts where region is not null "
        "group by 1 order by count(*), 1 limit 1",
    )
    return {"analysis_rep_id": rep_id, "analysis_account_id": account_id, "analysis_region": region}


@pytest.fixture(scope="module")
def compiled(tmp_path_factory, demo_warehouse, parameters) -> Path:
    """Compile the analyses against the demo warehouse: default vars, explicit parameters, and
    parameters carrying a quote (must be escaped, not executed)."""
    root = tmp_path_factory.mktemp("analyses")
    variants = {
        "defaults": {},
        "explicit": parameters,
        "quoted": {key: INJECTION for key in parameters},
    }
    env = {
        **os.environ,
        "KAM_DUCKDB_PATH": str(demo_warehouse),
        "DBT_LOG_PATH": str(root / "logs"),
    }
    proc = subprocess.run(
        [sys.executable, "-c", COMPILE_SCRIPT, str(PROJECT_DIR), str(root), json.dumps(variants)],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert proc.returncode == 0, f"{proc.stdout[-4000:]}\n{proc.stderr[-2000:]}"
    return root


def run_analysis(compiled: Path, demo_warehouse: Path, variant: str, name: str) -> list[dict]:
    sql_file = compiled / variant / "compiled" / "kam" / "analyses" / f"{name}.sql"
    sql = sql_file.read_text(encoding="utf-8")
    con = duckdb.connect(str(demo_warehouse), read_only=True)
    try:
        rel = con.sql(sql)
        columns = rel.columns
        return [dict(zip(columns, row, strict=True)) for row in rel.fetchall()]
    finally:
        con.close()


@pytest.mark.parametrize("name", ANALYSES)
def test_analysis_compiles_and_runs_without_arguments(compiled, demo_warehouse, name):
    rows = run_analysis(compiled, demo_warehouse, "defaults", name)
    assert rows, name
    missing = EXPECTED_COLUMNS[name] - set(rows[0])
    assert not missing, (name, missing)
    sql = (compiled / "defaults" / "compiled" / "kam" / "analyses" / f"{name}.sql").read_text()
    assert "{{" not in sql and '"marts".' in sql  # fully compiled, reading the marts


def test_portfolio_review_reconciles_to_the_segments(compiled, demo_warehouse):
    rows = run_analysis(compiled, demo_warehouse, "defaults", "portfolio_review")
    [(cells,)] = query(
        demo_warehouse,
        "select count(*) from marts.agg_segment_cells where entity_level = 'account'",
    )
    [(accounts, key_accounts, revenue)] = query(
        demo_warehouse,
        "select count(*), count_if(is_key_account), sum(net_revenue_window) "
        "from marts.fct_account_segments",
    )
    assert len(rows) == cells
    assert [r["cell_order"] for r in rows] == sorted(r["cell_order"] for r in rows)
    assert sum(r["account_count"] for r in rows) == accounts
    assert sum(r["key_account_count"] for r in rows) == key_accounts
    assert abs(sum(r["net_revenue_window"] or 0 for r in rows) - revenue) <= 0.01
    assert abs(sum(r["revenue_share"] or 0 for r in rows) - 1) <= 1e-9


def test_rep_review_defaults_to_the_rep_owning_most_revenue(compiled, demo_warehouse):
    rows = run_analysis(compiled, demo_warehouse, "defaults", "rep_review")
    [(top_rep, owned)] = query(
        demo_warehouse,
        """
        select accounts.owner_rep_id, count(*)
        from marts.dim_accounts as accounts
        inner join marts.fct_account_segments as segments using (account_id)
        where accounts.owner_rep_id is not null
        group by 1
        order by sum(segments.net_revenue_window) desc, 1
        limit 1""",
    )
    assert {r["rep_id"] for r in rows} == {top_rep}
    assert len(rows) == len({r["account_id"] for r in rows}) == owned
    ranks = [r["rep_priority_rank"] for r in rows if r["rep_priority_rank"] is not None]
    assert ranks == sorted(ranks)


def test_account_dossier_defaults_to_the_largest_account(compiled, demo_warehouse):
    [row] = run_analysis(compiled, demo_warehouse, "defaults", "account_dossier")
    [(top_account,)] = query(
        demo_warehouse, "select account_id from marts.fct_account_segments where revenue_rank = 1"
    )
    assert row["account_id"] == top_account
    assert row["revenue_rank"] == 1


def test_analyses_honour_their_parameters(compiled, demo_warehouse, parameters):
    rep_rows = run_analysis(compiled, demo_warehouse, "explicit", "rep_review")
    [(owned,)] = query(
        demo_warehouse,
        "select count(*) from marts.dim_accounts "
        f"where owner_rep_id = '{parameters['analysis_rep_id']}'",
    )
    assert {r["rep_id"] for r in rep_rows} == {parameters["analysis_rep_id"]}
    assert len(rep_rows) == owned

    [dossier] = run_analysis(compiled, demo_warehouse, "explicit", "account_dossier")
    assert dossier["account_id"] == parameters["analysis_account_id"]

    portfolio = run_analysis(compiled, demo_warehouse, "explicit", "portfolio_review")
    [(in_region,)] = query(
        demo_warehouse,
        f"select count(*) from marts.dim_accounts where region = '{parameters['analysis_region']}'",
    )
    assert 0 < sum(r["account_count"] for r in portfolio) == in_region


def test_quoted_parameters_are_escaped_not_executed(compiled, demo_warehouse):
    assert run_analysis(compiled, demo_warehouse, "quoted", "rep_review") == []
    assert run_analysis(compiled, demo_warehouse, "quoted", "account_dossier") == []
    portfolio = run_analysis(compiled, demo_warehouse, "quoted", "portfolio_review")
    assert portfolio and sum(r["account_count"] for r in portfolio) == 0
