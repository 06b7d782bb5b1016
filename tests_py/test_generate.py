"""Tests of the demo-data generator (kam/generate.py): contract, determinism, realism, mess."""

from __future__ import annotations

import csv
import re
import unicodedata
from collections import defaultdict
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import yaml

from kam import generate as gen

SOURCES_YAML = Path(__file__).resolve().parents[1] / "models" / "staging" / "_landing__sources.yml"
END = date(2025, 12, 31)
ACCOUNTS = 200


def _contract() -> dict[str, list[tuple[str, dict]]]:
    doc = yaml.safe_load(SOURCES_YAML.read_text(encoding="utf-8"))
    source = next(s for s in doc["sources"] if s["name"] == "landing")
    return {
        t["name"]: [(c["name"], (c.get("config") or {}).get("meta") or {}) for c in t["columns"]]
        for t in source["tables"]
    }


CONTRACT = _contract()


def _read(folder: Path, entity: str) -> tuple[list[str], list[dict[str, str]]]:
    with (folder / f"{entity}.csv").open(encoding="utf-8", newline="") as f:
        reader = csv.reader(f)
        header = next(reader)
        return header, [dict(zip(header, row, strict=True)) for row in reader]


def _months_before(d: date, months: int) -> date:
    y, m = divmod(d.year * 12 + d.month - 1 - months, 12)
    return date(y, m + 1, min(d.day, 28))


@pytest.fixture(scope="module")
def messy(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("messy")
    return out, gen.generate(out, accounts=ACCOUNTS, seed=7)


@pytest.fixture(scope="module")
def clean(tmp_path_factory) -> tuple[Path, dict[str, int]]:
    out = tmp_path_factory.mktemp("clean")
    return out, gen.generate(out, accounts=ACCOUNTS, seed=7, messy=False)


@pytest.fixture(scope="module")
def clean_data(clean) -> dict[str, list[dict[str, str]]]:
    return {e: _read(clean[0], e)[1] for e in CONTRACT}


@pytest.fixture(scope="module")
def messy_lines(messy) -> list[dict[str, str]]:
    return _read(messy[0], "sales_lines")[1]


def test_every_entity_written_with_the_contract_columns_in_order(messy):
    out, counts = messy
    assert set(counts) == set(CONTRACT) == set(gen.ENTITIES)
    for entity, columns in CONTRACT.items():
        header, rows = _read(out, entity)
        assert header == [name for name, _ in columns], entity
        assert len(rows) == counts[entity] > 0, entity
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{e}.csv" for e in CONTRACT)


def test_same_seed_gives_identical_files_and_another_seed_differs(tmp_path):
    for fmt in ("csv", "parquet"):
        a, b, c = (tmp_path / f"{fmt}_{x}" for x in "abc")
        gen.generate(a, accounts=120, seed=3, fmt=fmt)
        gen.generate(b, accounts=120, seed=3, fmt=fmt)
        gen.generate(c, accounts=120, seed=4, fmt=fmt)
        for entity in CONTRACT:
            name = f"{entity}.{fmt}"
            assert (a / name).read_bytes() == (b / name).read_bytes(), name
        assert (a / f"sales_lines.{fmt}").read_bytes() != (c / f"sales_lines.{fmt}").read_bytes()
        assert (a / f"accounts.{fmt}").read_bytes() != (c / f"accounts.{fmt}").read_bytes()


def _valid(value: str, data_type: str) -> bool:
    if data_type == "integer":
        return re.fullmatch(r"-?\d+", value) is not None
    if data_type == "decimal":
        return re.fullmatch(r"-?\d+(\.\d+)?", value) is not None
    if data_type == "boolean":
        return value in ("true", "false")
    if data_type == "date":
        try:
            date.fromisoformat(value)
        except ValueError:
            return False
        return re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) is not None
    return True


def test_clean_run_respects_required_types_and_allowed_values(clean_data):
    for entity, columns in CONTRACT.items():
        for name, meta in columns:
            allowed = {str(v) for v in meta.get("allowed_values", ())}
            for row in clean_data[entity]:
                value = row[name]
                if meta.get("required"):
                    assert value != "", (entity, name, row)
                if value == "":
                    continue
                assert _valid(value, meta["data_type"]), (entity, name, value)
                assert not allowed or value in allowed, (entity, name, value)
                assert value == value.strip() and unicodedata.is_normalized("NFC", value)


def test_messy_run_only_breaks_what_it_means_to(messy):
    out, _ = messy
    for entity, columns in CONTRACT.items():
        rows = _read(out, entity)[1]
        for name, meta in columns:
            allowed = {str(v) for v in meta.get("allowed_values", ())}
            values = [r[name] for r in rows]
            assert not allowed or set(values) - {""} <= allowed, (entity, name)
            if meta.get("required") and (entity, name) != ("sales_lines", "account_id"):
                assert "" not in values, (entity, name)


def test_references_between_entities_hold_in_a_clean_run(clean_data):
    d = clean_data
    accounts = {r["account_id"] for r in d["accounts"]}
    products = {r["product_id"] for r in d["products"]}
    reps = {r["rep_id"] for r in d["reps"]}
    contacts = {r["contact_id"] for r in d["contacts"]}
    plans = {r["plan_id"] for r in d["account_plans"]}
    assert {r["account_id"] for r in d["sales_lines"]} <= accounts
    assert {r["product_id"] for r in d["sales_lines"]} <= products
    assert {r["rep_id"] for r in d["sales_lines"]} <= reps
    assert {r["owner_rep_id"] for r in d["accounts"]} - {""} <= reps
    assert {r["manager_id"] for r in d["reps"]} - {""} <= reps
    for entity in ("contacts", "opportunities", "relationship_assessments", "account_plans"):
        assert {r["account_id"] for r in d[entity]} <= accounts, entity
    assert {r["account_id"] for r in d["activities"]} - {""} <= accounts
    assert {r["contact_id"] for r in d["activities"]} - {""} <= contacts
    assert {r["plan_id"] for r in d["plan_actions"]} <= plans
    assert len(accounts) == ACCOUNTS and len(contacts) == len(d["contacts"])


def test_accounts_reps_and_products_look_like_a_b2b_portfolio(clean_data):
    accounts = {r["account_id"]: r for r in clean_data["accounts"]}
    subs = [r for r in accounts.values() if r["parent_account_id"]]
    assert 0.05 * ACCOUNTS <= len(subs) <= 0.15 * ACCOUNTS
    for r in subs:  # a parent is a group head, never itself a subsidiary
        head = accounts[r["parent_account_id"]]
        assert head["account_id"] != r["account_id"] and not head["parent_account_id"]
    assert {r["status"] for r in accounts.values()} == {"client", "prospect", "former"}
    assert 4 <= len({r["region"] for r in accounts.values()}) <= 6
    assert any(r["annual_potential"] == "" for r in accounts.values())
    reps = clean_data["reps"]
    assert {r["role"] for r in reps} == {"rep", "kam", "manager"}
    assert all(r["manager_id"] for r in reps if r["role"] != "manager")
    assert all(60_000 <= float(r["loaded_annual_cost"]) <= 120_000 for r in reps)
    products = clean_data["products"]
    assert 300 <= len(products) <= 800
    assert 10 <= len({p["product_family"] for p in products}) <= 15
    assert any(p["is_service"] == "true" for p in products)
    assert any(p["unit_cost"] == "" for p in products)
    for p in products:
        if p["unit_cost"]:
            assert float(p["unit_cost"]) < float(p["list_price"])


def test_revenue_is_pareto_shaped(clean_data):
    revenue: dict[str, float] = defaultdict(float)
    for r in clean_data["sales_lines"]:
        if r["document_type"] == "invoice":
            net = float(r["quantity"]) * float(r["unit_price"]) - float(r["discount_amount"])
            revenue[r["account_id"]] += net
    ranked = sorted(revenue.values(), reverse=True)
    top = ranked[: max(1, len(ranked) // 5)]
    assert sum(top) / sum(ranked) > 0.5


def test_lifecycle_cases_are_present(clean_data):
    first: dict[str, date] = {}
    last: dict[str, date] = {}
    recent: dict[str, float] = defaultdict(float)
    before: dict[str, float] = defaultdict(float)
    cut6, cut12 = _months_before(END, 6), _months_before(END, 12)
    for r in clean_data["sales_lines"]:
        if r["document_type"] != "invoice":
            continue
        a, d = r["account_id"], date.fromisoformat(r["invoice_date"])
        first[a], last[a] = min(first.get(a, d), d), max(last.get(a, d), d)
        value = float(r["quantity"]) * float(r["unit_price"])
        if d > cut6:
            recent[a] += value
        elif d > cut12:
            before[a] += value
    assert max(last.values()) <= END
    assert min(first.values()) >= date(2023, 1, 1)
    new = [a for a, d in first.items() if d > _months_before(END, 3)]
    lost = [a for a, d in last.items() if _months_before(END, 18) <= d <= cut6]
    at_risk = [a for a in recent if before[a] > 0 and 0 < recent[a] < 0.5 * before[a]]
    assert new and lost and at_risk
    accounts = clean_data["accounts"]
    prospects = [r for r in accounts if r["status"] == "prospect"]
    assert prospects and not {r["account_id"] for r in prospects} & set(first)
    clients = sorted(float(r["annual_potential"]) for r in accounts if r["annual_potential"])
    median = clients[len(clients) // 2]
    assert any(float(r["annual_potential"]) > 2 * median for r in prospects)
    assert any(r["status"] == "former" for r in accounts)


def test_documents_credit_notes_and_adjustments(clean_data):
    lines = clean_data["sales_lines"]
    bought: dict[tuple[str, str], date] = {}
    for r in lines:
        if r["document_type"] == "invoice":
            key = (r["account_id"], r["product_id"])
            bought[key] = min(bought.get(key, date.max), date.fromisoformat(r["invoice_date"]))
    by_doc: dict[str, list[dict[str, str]]] = defaultdict(list)
    for r in lines:
        by_doc[r["invoice_id"]].append(r)
    prefixes = {"invoice": "INV", "credit_note": "CN", "adjustment": "ADJ"}
    for doc, rows in by_doc.items():
        kinds = {r["document_type"] for r in rows}
        assert len(kinds) == 1 and doc.startswith(prefixes[kinds.pop()])
        assert sorted(int(r["line_number"]) for r in rows) == list(range(1, len(rows) + 1))
    credits = [r for r in lines if r["document_type"] == "credit_note"]
    assert credits and any(r["document_type"] == "adjustment" for r in lines)
    for r in credits:
        assert float(r["quantity"]) < 0
        assert bought[(r["account_id"], r["product_id"])] <= date.fromisoformat(r["invoice_date"])
    currencies = {r["currency"] for r in lines}
    assert currencies == {"GBP", "EUR", "USD"}
    share_gbp = sum(r["currency"] == "GBP" for r in lines) / len(lines)
    assert share_gbp > 0.75
    assert sum(float(r["discount_amount"]) > 0 for r in lines) < 0.5 * len(lines)


def test_people_and_activities(clean_data):
    contacts = clean_data["contacts"]
    names = {r["first_name"] + " " + r["last_name"] for r in contacts}
    assert any("'" in n for n in names) and any(
        n != n.encode("ascii", "ignore").decode() for n in names
    )
    for r in contacts:
        assert not r["email"] or re.fullmatch(r"[a-z0-9]+\.[a-z0-9]+@example-\d+\.test", r["email"])
        assert not r["phone"] or re.fullmatch(r"\+44 20 7946 0\d{3}", r["phone"])
        assert 1 <= int(r["closeness"]) <= 5
    activities = clean_data["activities"]
    assert {r["activity_type"] for r in activities} == set(gen.ACTIVITY_TYPES)
    assert any(r["account_id"] == "" for r in activities)
    for r in activities:
        minutes = int(r["duration_minutes"])
        if r["activity_type"] == "visit":
            assert 60 <= minutes <= 120 and int(r["travel_minutes"]) >= 30
        if r["activity_type"] == "call":
            assert 10 <= minutes <= 30
    opps = clean_data["opportunities"]
    assert {r["status"] for r in opps} == {"open", "won", "lost"}
    assert all(r["closed_date"] == "" for r in opps if r["status"] == "open")
    assert all(r["loss_reason"] for r in opps if r["status"] == "lost")
    criteria = {r["criterion_code"] for r in clean_data["relationship_assessments"]}
    assert criteria == {"trust", "responsiveness", "strategic_alignment", "satisfaction"}
    actions = clean_data["plan_actions"]
    assert any(r["completed_date"] == "" for r in actions)
    assert any(r["completed_date"] and r["completed_date"] > r["due_date"] for r in actions)


def _messy_counts(lines: list[dict[str, str]], accounts: set[str], products: set[str]) -> dict:
    seen: dict[tuple, int] = defaultdict(int)
    for r in lines:
        seen[tuple(r.values())] += 1
    return {
        "duplicate_line": sum(n - 1 for n in seen.values()),
        "zero_unit_price": sum(r["unit_price"] in ("0", "0.00") for r in lines),
        "orphan_account_id": sum(r["account_id"] not in accounts | {""} for r in lines),
        "empty_account_id": sum(r["account_id"] == "" for r in lines),
        "product_id_whitespace": sum(r["product_id"] != r["product_id"].strip() for r in lines),
        "product_id_case": sum(
            r["product_id"].strip() != r["product_id"].strip().upper() for r in lines
        ),
        "unknown_product": sum(r["product_id"].strip().upper() not in products for r in lines),
        "account_name_whitespace": sum(
            "  " in r["account_name"] or r["account_name"] != r["account_name"].strip()
            for r in lines
        ),
        "nfd_account_name": sum(
            not unicodedata.is_normalized("NFC", r["account_name"]) for r in lines
        ),
        "quantity_not_numeric": sum(not _valid(r["quantity"], "decimal") for r in lines),
        "impossible_date": sum(not _valid(r["invoice_date"], "date") for r in lines),
    }


def test_messy_cases_present_when_messy_and_absent_otherwise(messy, messy_lines, clean_data):
    accounts = {r["account_id"] for r in clean_data["accounts"]}
    products = {r["product_id"] for r in clean_data["products"]}
    dirty = _messy_counts(messy_lines, accounts, products)
    tidy = _messy_counts(clean_data["sales_lines"], accounts, products)
    assert dirty.pop("unknown_product") == tidy.pop("unknown_product") == 0
    assert all(n > 0 for n in dirty.values()), dirty
    assert all(n == 0 for n in tidy.values()), tidy
    assert sum(dirty.values()) < 0.03 * len(messy_lines)  # a small share
    messy_accounts = _read(messy[0], "accounts")[1]
    assert {r["account_id"] for r in messy_accounts} == accounts


def test_medium_style_parquet_streams_in_row_groups(tmp_path, monkeypatch):
    monkeypatch.setattr(gen, "CHUNK_LINES", 20_000)
    monkeypatch.setattr(gen, "ROW_GROUP_ROWS", 25_000)
    counts = gen.generate(tmp_path, scale="medium", accounts=2_000, seed=5)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{e}.parquet" for e in CONTRACT)
    for entity, columns in CONTRACT.items():
        f = pq.ParquetFile(tmp_path / f"{entity}.parquet")
        assert f.schema_arrow.names == [name for name, _ in columns]
        assert f.metadata.num_rows == counts[entity]
    f = pq.ParquetFile(tmp_path / "sales_lines.parquet")
    sizes = [f.metadata.row_group(i).num_rows for i in range(f.metadata.num_row_groups)]
    assert len(sizes) > 2 and set(sizes[:-1]) == {25_000} and sizes[-1] <= 25_000
    table = f.read()
    assert table.num_rows == counts["sales_lines"] > 2 * 20_000
    accounts = pq.read_table(tmp_path / "accounts.parquet")
    assert accounts.num_rows == 2_000
    assert accounts.column("account_id").to_pylist() == sorted(accounts["account_id"].to_pylist())
    # Empty values are nulls, not empty strings.
    assert table.column("account_id").null_count > 0
    assert "" not in table.column("account_id").unique().to_pylist()


def test_cli_writes_the_requested_format(tmp_path, capsys):
    assert gen.main(["--out", str(tmp_path), "--accounts", "60", "--format", "parquet",
                     "--seed", "9", "--no-messy", "--end-date", "2024-06-30"]) == 0  # fmt: skip
    assert "sales_lines" in capsys.readouterr().out
    assert (tmp_path / "sales_lines.parquet").exists()
    dates = pq.read_table(tmp_path / "sales_lines.parquet").column("invoice_date").to_pylist()
    assert max(dates) <= "2024-06-30" and min(dates) >= "2021-07-01"
    # Writing csv into the same folder replaces the parquet version of each entity.
    gen.generate(tmp_path, accounts=60, seed=9)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(f"{e}.csv" for e in CONTRACT)


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="scale"):
        gen.generate(tmp_path, scale="huge")
    with pytest.raises(ValueError, match="format"):
        gen.generate(tmp_path, fmt="xlsx")
