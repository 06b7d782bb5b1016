"""End to end: the warehouse builds (every dbt test passing) on the demo data, on the real UCI
export through its mapping, and on empty inputs; nothing is lost; results are reproducible."""

from __future__ import annotations

import hashlib
import json
import shutil

import duckdb
import pytest

from tests_py.conftest import build_env, query, run_dbt, run_kam


def test_demo_reconciles_every_file(demo_warehouse):
    rows = query(
        demo_warehouse,
        "select entity, rows_read, clean_rows, excluded_rows, "
        "quarantined_rows, unaccounted_rows from marts.dq_reconciliation",
    )
    assert {r[0] for r in rows} == {
        "sales_lines",
        "accounts",
        "products",
        "reps",
        "contacts",
        "activities",
        "opportunities",
        "relationship_assessments",
        "account_plans",
        "plan_actions",
    }
    for entity, read, clean, excluded, quarantined, unaccounted in rows:
        assert unaccounted == 0, entity
        assert read == clean + excluded + quarantined > 0, entity


def test_demo_messy_cases_are_held_back_with_reasons(demo_warehouse):
    reasons = dict(
        query(
            demo_warehouse,
            """
        select reason_code, count(*) from marts.dq_quarantine group by 1
        union all
        select reason_code, count(*) from marts.dq_exclusions group by 1""",
        )
    )
    # the generator plants each of these; each must surface under its own reason
    for reason in (
        "exact_duplicate",
        "orphan_key",
        "missing_required_value",
        "invalid_number",
        "invalid_date",
        "accounting_adjustment",
    ):
        assert reasons.get(reason, 0) > 0, reason


def test_demo_as_of_date_is_derived_from_the_data(demo_warehouse):
    [(as_of, origin, last)] = query(
        demo_warehouse,
        """
        select a.as_of_date, a.as_of_date_origin, max(f.invoice_date)
        from intermediate.int_as_of_date a cross join marts.fct_sales_lines f group by all""",
    )
    assert origin == "last invoice date in the data"
    assert as_of == last


def test_uci_export_runs_through_the_mapping(uci_warehouse):
    [(read, clean, excluded, quarantined, unaccounted)] = query(
        uci_warehouse,
        """
        select rows_read, clean_rows, excluded_rows, quarantined_rows, unaccounted_rows
        from marts.dq_reconciliation where entity = 'sales_lines'""",
    )
    assert read == 541_909  # every line of the export, as documented in shared/data/README.md
    assert unaccounted == 0
    assert clean + excluded + quarantined == read
    reasons = dict(
        query(
            uci_warehouse,
            "select reason_code || ':' || reason_detail, count(*) "
            "from marts.dq_quarantine group by 1",
        )
    )
    # a quarter of the lines have no CustomerID: held back, not silently dropped
    assert reasons["missing_required_value:account_id"] > 100_000
    exclusions = dict(
        query(uci_warehouse, "select reason_code, count(*) from marts.dq_exclusions group by 1")
    )
    assert exclusions["exact_duplicate"] > 1_000
    assert exclusions["accounting_adjustment"] >= 1


def test_uci_derives_accounts_and_products_and_classifies_lines(uci_warehouse):
    [(accounts, derived)] = query(
        uci_warehouse,
        "select count(*), count(*) filter (where is_derived_from_sales) from marts.dim_accounts",
    )
    assert accounts == derived > 4_000
    categories = dict(
        query(uci_warehouse, "select line_category, count(*) from marts.fct_sales_lines group by 1")
    )
    assert categories["product"] > 300_000
    assert categories["postage"] > 0
    credit = query(
        uci_warehouse,
        "select count(*), max(quantity) from marts.fct_sales_lines "
        "where document_type = 'credit_note'",
    )[0]
    assert credit[0] > 1_000 and credit[1] <= 0
    [(as_of,)] = query(uci_warehouse, "select as_of_date from intermediate.int_as_of_date")
    assert str(as_of) == "2011-12-09"


def test_empty_build_succeeds(tmp_path, demo_landing):
    """`dbt build --empty` (schema-only run) works: every model, Python ones included, handles
    zero rows. Data tests on empty tables prove nothing, so only seeds and models run here."""
    env = build_env(tmp_path, demo_landing)
    proc = run_kam(["build", "--empty", "--models-only"], env)
    assert proc.returncode == 0


def test_the_demo_without_its_accounts_file_passes_every_data_test(tmp_path, demo_landing):
    """Accounts derived from the sales lines: the orphan-account lines of the demo become
    accounts (an invoice may then name two), each gets the rep on most of its lines as owner,
    so the visit plan still has accounts to plan, and every data test passes."""
    landing = tmp_path / "landing"
    shutil.copytree(demo_landing, landing)
    (landing / "accounts.csv").unlink()
    run_kam(["build"], build_env(tmp_path, landing))
    [(derived, owned, planned)] = query(
        tmp_path / "kam.duckdb",
        """select
            (select count(*) from marts.dim_accounts where is_derived_from_sales),
            (select count(*) from marts.dim_accounts where owner_rep_id is not null),
            (select sum(account_count) from marts.fct_rep_visit_plan)""",
    )
    assert derived > 1000 and owned == derived and planned > 0


@pytest.mark.slow
def test_a_build_that_spills_to_disk_completes(tmp_path):
    """With too little memory, DuckDB spills to its temp directory. dbt-duckdb used to set
    temp_directory again on each new cursor, which DuckDB refuses once it has been used: every
    node after the first spill failed (seen at 61M lines). 120 MB makes a 300-account demo spill
    (the old profile failed exactly so) without running out of memory."""
    from kam import generate

    landing = tmp_path / "landing"
    generate.generate(landing, scale="small", seed=11, accounts=300)
    env = {**build_env(tmp_path, landing), "KAM_MEMORY_LIMIT": "120MB"}
    proc = run_kam(["build", "--models-only"], env, check=False)
    output = proc.stdout + proc.stderr
    assert "Cannot switch temporary directory" not in output
    assert proc.returncode == 0, output[-3000:]


# Bit for bit, doubles included. Doubles added up by DuckDB's parallel operators come out in
# whatever order the rows arrive, so their last bits can change from one build to the next; the
# sums and means seen to do so are taken on exact decimals instead (int_segment_entity_snapshots,
# fct_account_criterion_scores, fct_account_opportunity_flow, fct_kam_role_scorecard,
# fct_rep_time_allocation, fct_rep_coaching_priorities; decision log 42), and this test would see
# one more.


def _mart_fingerprints(db) -> dict[str, str]:
    tables = [
        t
        for (t,) in query(
            db, "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
        )
    ]
    out = {}
    for t in tables:
        rows = query(db, f"select * from marts.{t} order by all")
        out[t] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return out


@pytest.fixture(scope="module")
def second_demo_build(tmp_path_factory, demo_landing):
    tmp = tmp_path_factory.mktemp("demo_again")
    # the tests already ran on the first build, so this one builds the tables only
    run_kam(["build", "--models-only"], build_env(tmp, demo_landing))
    return tmp / "kam.duckdb"


@pytest.mark.slow
def test_same_inputs_same_outputs(demo_warehouse, second_demo_build):
    """Same inputs, same vars: identical marts, bit for bit."""
    first, second = _mart_fingerprints(demo_warehouse), _mart_fingerprints(second_demo_build)
    differing = {t for t in first if first[t] != second.get(t)}
    assert first.keys() == second.keys()
    assert differing == set()


def test_no_personal_data_fails_on_an_email_or_a_phone_number_in_a_mart(
    demo_warehouse, demo_landing, tmp_path
):
    """The mart-wide personal-data test can fail: an email planted in dim_accounts and a phone
    number in dim_products (each in one row of a text column) make it fail on both marts."""
    db = tmp_path / "kam.duckdb"
    shutil.copyfile(demo_warehouse, db)
    con = duckdb.connect(str(db))
    con.execute(
        "update marts.dim_accounts set account_name = 'write to ann.smith@example.co.uk' "
        "where account_id = (select min(account_id) from marts.dim_accounts)"
    )
    con.execute(
        "update marts.dim_products set product_name = 'call +44 20 7946 0000 today' "
        "where product_id = (select min(product_id) from marts.dim_products)"
    )
    con.close()
    marts = ("dim_accounts", "dim_products", "dim_reps")
    selection = [f"{mart},test_name:no_personal_data" for mart in marts]
    proc = run_dbt(["test", "--select", *selection], build_env(tmp_path, demo_landing), check=False)
    assert proc.returncode == 1, proc.stdout[-3000:]
    results = json.loads((tmp_path / "target" / "run_results.json").read_text())["results"]
    status = {
        mart: r["status"]
        for r in results
        for mart in marts
        if r["unique_id"].startswith(f"test.kam.no_personal_data_{mart}_")
    }
    # dim_reps is untouched: the test passes there, so it is the planted values that fail it
    assert status == {"dim_accounts": "fail", "dim_products": "fail", "dim_reps": "pass"}
