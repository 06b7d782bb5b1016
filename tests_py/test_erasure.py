"""Right to erasure: a person on the erasure list disappears from every layer on the next build."""

from __future__ import annotations

import csv
import shutil

from kam.contract import PROJECT_DIR
from tests_py.conftest import build_env, query, run_dbt

SKIP = {
    ".venv",
    ".git",
    "warehouse",
    "landing",
    "target",
    "logs",
    "build",
    "reports",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    "bench_results",
    "exports",
}


def _copy_project(dest):
    shutil.copytree(PROJECT_DIR, dest, ignore=lambda d, names: [n for n in names if n in SKIP])


def _all_text_values(db) -> list[str]:
    cols = query(
        db,
        """select table_schema, table_name, column_name from information_schema.columns
                        where data_type = 'VARCHAR' and table_schema not in
                        ('information_schema', 'pg_catalog')""",
    )
    values = []
    for schema, table, column in cols:
        values += [
            v
            for (v,) in query(
                db,
                f'select distinct "{column}" from '
                f'"{schema}"."{table}" where "{column}" is not null',
            )
        ]
    return values


def test_erased_contact_leaves_no_trace(tmp_path):
    # a 300-account demo (every entity, a full dbt build with its tests in under a minute) with
    # one extra person whose details are unique
    from kam import generate

    landing = tmp_path / "landing"
    generate.generate(landing, scale="small", seed=11, accounts=300)
    with (landing / "contacts.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.DictReader(f)
        fields, contacts = reader.fieldnames, list(reader)
    person = {
        **contacts[0],
        "contact_id": "CON-ERASE-ME",
        "first_name": "Zéphyrine",
        "last_name": "Quixotely-Brandauer",
        "email": "zephyrine.quixotely@erase-me.test",
        "phone": "+33 6 12 34 56 78",
    }
    with (landing / "contacts.csv").open("a", encoding="utf-8", newline="") as f:
        csv.DictWriter(f, fieldnames=fields).writerow(person)

    project = tmp_path / "project"
    _copy_project(project)
    (project / "seeds" / "erasure_requests.csv").write_text(
        "contact_id,requested_date,description\ncon-erase-me ,2025-01-15,TICKET-1\n",
        encoding="utf-8",
    )
    run_dbt(["build"], build_env(tmp_path, landing), project_dir=project)
    db = tmp_path / "kam.duckdb"

    values = [v.lower() for v in _all_text_values(db)]
    for secret in ("quixotely", "zéphyrine", "erase-me.test", "12 34 56 78"):
        assert not any(secret in v for v in values), secret
    [(reason,)] = query(
        db,
        """select reason_code from marts.dq_exclusions
                               where entity = 'contacts' and record_key = 'CON-ERASE-ME'""",
    )
    assert reason == "erased_person"
    [(unaccounted,)] = query(db, "select sum(unaccounted_rows) from marts.dq_reconciliation")
    assert unaccounted == 0
