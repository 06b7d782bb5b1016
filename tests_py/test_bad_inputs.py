"""What the warehouse does with bad input: dbt builds on crafted landing folders, one case each.

Every case writes a small landing folder (the 8-line base delivery of badinput_cases.BASE_ROWS
plus the bad rows or files of the case), builds seeds, staging, data-quality, conformed, core
and data-quality marts into its own DuckDB file, and asserts the outcome: either the build
stops with a message naming the file and the problem (never a Python traceback), or the bad
rows are held back in marts.dq_quarantine / marts.dq_exclusions with their reason, the clean
rows reach marts.fct_sales_lines, and marts.dq_reconciliation accounts for every row of every
file (nothing lost). Loader-level unit tests are in test_landing.py; this suite goes through dbt.

Speed: the project is parsed once and every build runs in this process (kam/inprocess.py),
~2-3 s a case instead of ~30 s for a subprocess `kam build`; a few cases also run the real
user command in a subprocess, since its output is what the user reads.

| Case | Outcome |
|---|---|
| too many fields in a record | quarantine `malformed_record`, raw text and line number kept |
| too few fields in a record | quarantine `malformed_record` |
| unterminated quote on the last record | quarantine `malformed_record` (nothing swallowed) |
| unterminated quote mid-file | build stops: "<file>: unterminated quote at line N" |
| Latin-1 file, no mapping | build stops: "<file>: not valid utf-8 ... `encoding: latin-1`" |
| Latin-1 file, mapping `encoding: latin-1` | loads, accents intact |
| UTF-8 BOM and CRLF line ends | loads; no BOM in the first value, no CR in the last |
| `;` delimiter, no mapping | build stops: "<file> ... looks ';'-delimited: set `delimiter: ';'`" |
| `;` + decimal comma + `.` thousands, mapping | loads; 1.234,50 is 1234.50 |
| thousands separators, canonical format | quarantine `invalid_number` (1,234.50 is not guessed) |
| numbers off the mapping's marks (12,50 with thousands ',') | quarantine `invalid_number` |
| a file or folder named after an entity that no pattern reads | stops: names it |
| header field quoted after a space (` "QUANTITY"`) | loads by name |
| a contract column twice in the header | stops: names the column |
| lone carriage returns as line ends; a truncated or not gzipped .gz | stops: names the file |
| 2.5 as a line number, 0x10, 1_000 (DuckDB's cast would read them) | quarantine `invalid_number` |
| quantity or unit price 0.00004 (0 at 4 decimals; others round) | quarantine `invalid_number` |
| reordered, upper-case header | loads by column name |
| empty and header-only files beside a good one | load log `empty` / `header_only`, 0 rows |
| header-only file as the only sales file | build OK, empty fact, load log `header_only` |
| required column missing from the header | stops: "<file>: required column(s) unit_price missing" |
| same file delivered twice (another name) | second file excluded `duplicate_file`, counted once |
| same file with a malformed record, twice | same expected |
| null keys (invoice, account, product, date, qty) | quarantine `missing_required_value` + column |
| same (invoice, line) with different values | every copy quarantined `conflicting_duplicate_key` |
| exact duplicates (also after trimming / case) | later copies excluded `exact_duplicate` |
| negative quantity on an invoice | quarantine `negative_quantity_on_invoice`; credit note OK |
| negative price, negative or excessive discount | `negative_amount` / `discount_exceeds_line` |
| zero price | clean, `is_free_of_charge`, net 0 |
| non-numeric amounts ("abc", "12.3.4", "£10") | quarantine `invalid_number` + column |
| impossible dates (2024-02-30, 2023-13-01) | quarantine `invalid_date`; 2024-02-29 is fine |
| day/month ambiguity (03/04/2024), canonical | quarantine `invalid_date` (never guessed) |
| day/month with mapping `date_format: '%d/%m/%Y'` | 03/04/2024 is 3 April |
| far-future date (2099) in a big delivery | quarantine `date_out_of_range`, as-of date unmoved |
| far-future date (2099) in a small delivery | same expected |
| far-past date (1900) | quarantine `date_out_of_range` (var min_valid_date) |
| 2099 activity, opportunity, assessment | quarantine `date_out_of_range` (int_far_future_rows) |
| unknown currency; lower-case known one | `unknown_currency`; "eur" converted as EUR |
| orphan account / product keys | quarantine `orphan_key` + key; non-product codes exempt |
| padded, mixed-case codes and labels | trimmed, upper-cased codes, lower-case labels: clean |
| codes padded with a tab | same expected |
| decomposed accents (e + U+0301) | stored NFC; match the composed key |
| apostrophes (L'Oréal) | stored verbatim |
| injection-like text in names and codes | stored verbatim, nothing executed |
| malformed emails and phones | contact kept, flagged, value not used |
| over-long line (> 1 MiB) | quarantine `malformed_record`, raw text cut at 1,000 chars |
| new unexpected column | loaded, column listed in the load log |
| invalid / adjustment document type | `invalid_value` / excluded `accounting_adjustment` |
| missing optional entity | accounts and products derived from sales, load log `missing` |
| missing required entity | build stops: "Required entity 'sales_lines' has no file ..." |
| every row-level case in one file, with dbt's data tests | build and all its tests pass |
| var as_of_date with SQL (subprocess) | stops: "var as_of_date must be a date written YYYY-MM-DD" |
| --vars YAML cannot read (2025-13-45; subprocess) | stops before dbt: "cannot be read as YAML" |
| numeric var abc_a_cutoff = text (subprocess) | stops: "var abc_a_cutoff must be a number" |
| vars out of range (cut-offs swapped, share > 1, 0 months) | stops: every problem listed |
| date vars: 2024-02-30, an as-of date before min_valid_date | stops before any model |
| numeric var max_future_days = text | stops: "var max_future_days must be a number" |
| var min_valid_date with SQL, as_of_date set (subprocess) | stops: "var min_valid_date must be" |
| var reporting_currency with SQL | expected escaped or refused |
| var default_rep_loaded_annual_cost with SQL | stops: "var ... must be a number" |
| unterminated quote, real `kam build` (subprocess) | stops; the output names file and line |
| the ERROR summary of `kam build` | should name the problem |
| DuckDB out of memory, real `kam build` (KAM_MEMORY_LIMIT=4MB) | stops: names the KAM_* settings |
| a full disk (DuckDB's message) | stops: names the spill folder and its free space |
| warehouse file open in another process, real `kam build` | stops: who holds it, what to do |
| KAM_LANDING_DIR mistyped or empty, real `kam run` | stops: names the folder; no demo written |
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import duckdb
import pytest

from kam.inprocess import InProcessBuilder
from tests_py.badinput_cases import (
    BASE_ROWS,
    LAST_BASE_DATE,
    SALES_COLUMNS,
    TRACEBACK,
    Case,
    line,
    raw,
    sales_csv,
    sales_file,
    table_csv,
)
from tests_py.conftest import build_env, held_open, run_kam

F = "sales_lines.csv"
N_BASE = len(BASE_ROWS)
ACCOUNTS_CSV = table_csv(
    "account_id,account_name", "ACC1,Acme Ltd", "ACC2,Beta SA", "ACC3,Gamma GmbH"
)
PRODUCTS_CSV = table_csv(
    "product_id,product_name,product_family",
    "PRD1,Widget,Tools",
    "PRD2,Gadget,Tools",
    "PRD3,Gizmo,Parts",
)


@pytest.fixture(scope="session")
def builder(tmp_path_factory) -> InProcessBuilder:
    """The project parsed once and the seeds loaded once, for every case of the session."""
    return InProcessBuilder(tmp_path_factory.mktemp("badinput_dbt")).prepare()


@pytest.fixture
def case(builder, tmp_path) -> Case:
    return Case(builder, tmp_path)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


# --------------------------------------------------------------------------------------------
# Structure of the file: fields, quotes, encoding, delimiters, header
# --------------------------------------------------------------------------------------------


def test_too_many_fields_is_quarantined_with_its_raw_text(case):
    bad = raw(line("INV900")) + ",EXTRA"
    case.write(F, sales_file(*BASE_ROWS[:4], bad, *BASE_ROWS[4:]))
    case.build().assert_built()
    got = case.assert_rejected({(F, 5): ("malformed_record", None)})
    assert got[(F, 5)].raw_record == bad
    assert got[(F, 5)].source_line == 6
    assert case.fact_count() == N_BASE
    case.assert_reconciles({F: N_BASE + 1})


def test_too_few_fields_is_quarantined(case):
    bad = "INV900,1,2024-05-20,ACC1"
    case.write(F, sales_csv(bad))
    case.build().assert_built()
    got = case.assert_rejected({(F, 9): "malformed_record"})
    assert got[(F, 9)].raw_record == bad
    case.assert_reconciles({F: N_BASE + 1})


def test_unterminated_quote_on_the_last_record_is_quarantined(case):
    bad = raw(line("INV900")).replace(",Widget,", ',"Widget,')
    case.write(F, sales_csv(bad))
    case.build().assert_built()
    case.assert_rejected({(F, 9): "malformed_record"})
    assert case.fact_count() == N_BASE
    case.assert_reconciles({F: N_BASE + 1})


def test_unterminated_quote_mid_file_stops_the_build_naming_file_and_line(case):
    bad = raw(line("INV900")).replace(",Widget,", ',"Widget,')
    case.write(F, sales_file(*BASE_ROWS[:2], bad, *BASE_ROWS[2:]))
    case.build().assert_stopped(F, "unterminated quote at line 4", "quote: ''")


def test_latin1_file_without_mapping_stops_with_an_encoding_hint(case):
    case.write(F, sales_csv(line("INV900", account_name="Société Générale")).encode("latin-1"))
    case.build().assert_stopped(F, "not valid utf-8", "encoding: latin-1")


def test_latin1_file_with_mapping_loads_with_accents_intact(case):
    names = {"INV900": "Société Générale", "INV901": "Müller & Söhne", "INV902": "Ñandú SL"}
    rows = [line(i, account_id=f"ACC{i}", account_name=n) for i, n in names.items()]
    case.write(F, sales_csv(*rows).encode("latin-1"))
    case.write_mapping("entities:\n  sales_lines:\n    encoding: latin-1\n")
    case.build().assert_built()
    case.assert_rejected({})
    stored = dict(case.q("select account_id, account_name from marts.dim_accounts"))
    for invoice, name in names.items():
        assert stored[f"ACC{invoice}"] == name
    case.assert_reconciles({F: N_BASE + 3})


def test_bom_and_crlf_load_cleanly(case):
    case.write(F, "\ufeff" + sales_csv(eol="\r\n"))
    case.build().assert_built()
    case.assert_rejected({})
    # the raw landing values: no BOM glued to the first value, no CR left on the last one
    first_and_last = case.q(
        "select invoice_id, product_family from landing.sales_lines order by _source_row"
    )
    assert first_and_last[0] == ("INV001", "Tools")
    assert all("\r" not in family and "\ufeff" not in invoice for invoice, family in first_and_last)
    assert case.fact_count() == N_BASE
    case.assert_reconciles({F: N_BASE})


def test_semicolon_file_without_mapping_stops_with_a_delimiter_hint(case):
    case.write(F, sales_file(*BASE_ROWS, delimiter=";"))
    case.build().assert_stopped(F, "required column(s)", "delimiter: ';'")


def test_semicolon_decimal_comma_and_thousands_with_mapping(case):
    rows = [dict(r) for r in BASE_ROWS]
    for r in rows:
        r["unit_price"] = r["unit_price"].replace(".", ",")
        r["discount_amount"] = r["discount_amount"].replace(".", ",")
    rows.append(line("INV900", quantity="1.000", unit_price="1.234,50", discount_amount="0,50"))
    case.write(F, sales_file(*rows, delimiter=";"))
    case.write_mapping(
        "entities:\n  sales_lines:\n    delimiter: ';'\n    decimal_mark: ','\n"
        "    thousands_separator: '.'\n"
    )
    case.build().assert_built()
    case.assert_rejected({})
    [big] = case.fact("invoice_id = 'INV900'")
    assert (big["quantity"], big["unit_price"]) == (1000, pytest.approx(1234.5))
    assert float(big["net_amount"]) == pytest.approx(1000 * 1234.5 - 0.5)
    [gadget] = case.fact("invoice_id = 'INV001' and line_number = 2")
    assert float(gadget["unit_price"]) == 25.5 and float(gadget["discount_amount"]) == 2.5
    case.assert_reconciles({F: N_BASE + 1})


def test_thousands_separators_in_the_canonical_format_are_not_guessed(case):
    case.write(
        F, sales_csv(line("INV900", quantity="1,000"), line("INV901", unit_price="1,234.50"))
    )
    case.build().assert_built()
    case.assert_rejected(
        {(F, 9): ("invalid_number", "quantity"), (F, 10): ("invalid_number", "unit_price")}
    )
    case.assert_reconciles({F: N_BASE + 2})


def test_numbers_off_the_mapping_format_are_quarantined_not_read_otherwise(case):
    # with thousands ',' and decimal '.', 12,50 is no number (it would read as 1250), nor is
    # 1,2,3; 1,234.50 and 12.50 are
    case.write(
        F,
        sales_csv(
            line("INV900", unit_price="12,50"),
            line("INV901", quantity="1,2,3"),
            line("INV902", quantity="1,000", unit_price="1,234.50"),
            line("INV903", unit_price="12.50"),
        ),
    )
    case.write_mapping("entities:\n  sales_lines:\n    thousands_separator: ','\n")
    case.build().assert_built()
    case.assert_rejected(
        {(F, 9): ("invalid_number", "unit_price"), (F, 10): ("invalid_number", "quantity")}
    )
    [grouped] = case.fact("invoice_id = 'INV902'")
    assert (grouped["quantity"], float(grouped["unit_price"])) == (1000, 1234.5)
    [plain] = case.fact("invoice_id = 'INV903'")
    assert float(plain["unit_price"]) == 12.5
    case.assert_reconciles({F: N_BASE + 4})


def test_a_point_is_no_number_where_the_mapping_says_decimal_comma(case):
    # decimal ',' and no thousands separator: 1.234 is neither 1.234 nor 1234, so it is not read
    rows = [dict(r) for r in BASE_ROWS]
    for r in rows:
        r["unit_price"] = r["unit_price"].replace(".", ",")
        r["discount_amount"] = r["discount_amount"].replace(".", ",")
    rows.append(line("INV900", unit_price="1.234"))
    rows.append(line("INV901", unit_price="12,5"))
    case.write(F, sales_file(*rows, delimiter=";"))
    case.write_mapping("entities:\n  sales_lines:\n    delimiter: ';'\n    decimal_mark: ','\n")
    case.build().assert_built()
    case.assert_rejected({(F, 9): ("invalid_number", "unit_price")})
    [comma] = case.fact("invoice_id = 'INV901'")
    assert float(comma["unit_price"]) == 12.5
    case.assert_reconciles({F: N_BASE + 2})


def test_numbers_duckdb_would_read_another_way_are_quarantined(case):
    # DuckDB's cast rounds 2.5 to a line number 3 (colliding with a real line 3), reads 0x10 as
    # 16 and 1_000 as 1000: none of these is a number an export means
    case.write(
        "products.csv",
        table_csv(
            "product_id,product_name,product_family,unit_cost",
            "PRD1,Widget,Tools,0.00004",  # a cost that rounds to 0: the product and its lines stay
            "PRD2,Gadget,Tools,",
            "PRD3,Gizmo,Parts,",
        ),
    )
    case.write(
        F,
        sales_csv(
            line("INV900", line_number="2.5"),
            line("INV901", line_number="0x10"),
            line("INV902", quantity="1_000"),
            line("INV903", line_number="4.0", quantity="+3", unit_price=".5"),
            # amounts are held to 4 decimals: a price that is not zero must not read as free goods
            line("INV904", unit_price="0.00004"),
            line("INV905", quantity="1e-5"),
            # elsewhere rounding is harmless: a discount of float noise from the export means 0
            line("INV906", unit_price="0.00005", discount_amount="5.551115123125783e-17"),
        ),
    )
    case.build().assert_built()
    case.assert_rejected(
        {
            (F, 9): ("invalid_number", "line_number"),
            (F, 10): ("invalid_number", "line_number"),
            (F, 11): ("invalid_number", "quantity"),
            (F, 13): ("invalid_number", "unit_price"),
            (F, 14): ("invalid_number", "quantity"),
        }
    )
    [read] = case.fact("invoice_id = 'INV903'")
    assert (read["line_number"], read["quantity"], float(read["unit_price"])) == (4, 3, 0.5)
    [rounded] = case.fact("invoice_id = 'INV906'")
    assert (float(rounded["unit_price"]), float(rounded["discount_amount"])) == (0.0001, 0.0)
    assert case.q("select unit_cost from marts.dim_products where product_id = 'PRD1'") == [(0,)]
    case.assert_reconciles({F: N_BASE + 7, "products.csv": 3})


@pytest.mark.parametrize(
    "name",
    ["Sales_Lines_2025.csv", "sales_lines.CSV", "sales-lines-2025.csv", "sales_lines_2025.txt"],
)
def test_a_file_meant_for_an_entity_that_no_pattern_reads_stops_the_build(case, name):
    # before, the file was left out without a word: its rows in no table, no count, no message
    case.write(F, sales_csv())
    case.write(name, sales_file(line("INV900")))
    case.write("README.md", "Notes on the delivery: not an entity, not read, no stop.\n")
    case.build().assert_stopped(
        f"Landing entries not read: {name} (sales_lines?)", "Rename them, or move them out"
    )


def test_a_folder_named_after_an_entity_stops_the_build(case):
    case.write(F, sales_csv())
    (case.landing / "sales_lines").mkdir()
    case.write("sales_lines/part1.csv", sales_file(line("INV900")))
    case.build().assert_stopped("Landing entries not read: sales_lines/ (sales_lines?)")


def test_a_header_field_quoted_after_a_space_still_names_its_column(case):
    # CSV keeps ` "QUANTITY"` (quote after a space) as text, quotes included: the column was
    # then unexpected and the contract's quantity missing
    text = sales_csv()
    header, rest = text.split("\n", 1)
    header = header.replace("quantity", ' "QUANTITY"').replace("unit_price", "unit_price  ")
    case.write(F, header + "\n" + rest)
    case.build().assert_built()
    case.assert_rejected({})
    assert sorted(r["quantity"] for r in case.fact()) == sorted(
        int(r["quantity"]) for r in BASE_ROWS
    )


def test_a_contract_column_named_twice_in_the_header_stops_the_build(case):
    # the first was read and the second ignored without a word
    text = sales_csv()
    header, rest = text.split("\n", 1)
    rows = [line_ + ",7" for line_ in rest.splitlines()]
    case.write(F, header + ",Quantity\n" + "\n".join(rows) + "\n")
    case.build().assert_stopped(F, "names column(s) Quantity, quantity more than once")


def test_a_file_with_old_mac_line_endings_stops_naming_the_file(case):
    # before: Python's csv message, naming no file, as a "Compilation Error"
    case.write(F, sales_csv().replace("\n", "\r"))
    case.build().assert_stopped(f"{F}: the header cannot be read as CSV", "lone carriage return")


@pytest.mark.parametrize("broken", ["truncated", "not_gzip"])
def test_a_gz_file_that_cannot_be_decompressed_stops_naming_the_file(case, broken):
    import gzip

    data = gzip.compress(sales_csv().encode("utf-8"))
    data = data[: len(data) // 2] if broken == "truncated" else sales_csv().encode("utf-8")
    case.write("sales_lines.csv.gz", data)
    case.build().assert_stopped("sales_lines.csv.gz: the file cannot be decompressed")


def test_reordered_upper_case_header_loads_by_name(case):
    columns = list(reversed(SALES_COLUMNS))
    text = sales_file(*BASE_ROWS, columns=columns)
    header, rest = text.split("\n", 1)
    case.write(F, header.upper() + "\n" + rest)
    case.build().assert_built()
    case.assert_rejected({})
    [gadget] = case.fact("invoice_id = 'INV001' and line_number = 2")
    assert (gadget["account_id"], gadget["product_id"]) == ("ACC1", "PRD2")
    assert float(gadget["unit_price"]) == 25.5 and str(gadget["invoice_date"]) == "2024-03-01"
    case.assert_reconciles({F: N_BASE})


def test_empty_and_header_only_files_beside_a_good_file(case):
    case.write(F, sales_csv())
    case.write("sales_lines_empty.csv", "")
    case.write("sales_lines_header.csv", sales_file())
    case.build().assert_built()
    log = case.load_log()
    assert log["sales_lines_empty.csv"]["load_status"] == "empty"
    assert log["sales_lines_header.csv"]["load_status"] == "header_only"
    assert case.fact_count() == N_BASE
    case.assert_reconciles({F: N_BASE, "sales_lines_empty.csv": 0, "sales_lines_header.csv": 0})


def test_header_only_file_as_the_only_delivery_builds_an_empty_warehouse(case):
    case.write(F, sales_file())
    # without sales lines the as-of date is a placeholder (var min_valid_date, 2000-01-01):
    # an activity of 2024 is not "far after" it
    case.write(
        "activities.csv",
        table_csv("activity_id,activity_date,activity_type", "ACT1,2024-05-20,visit"),
    )
    case.build().assert_built()
    assert case.load_log()[F]["load_status"] == "header_only"
    assert case.fact_count() == 0
    assert case.q("select as_of_date_origin from intermediate.int_as_of_date") == [
        ("no sales lines: var min_valid_date",)
    ]
    assert case.q("select activity_id from intermediate.int_activities") == [("ACT1",)]
    case.assert_reconciles({F: 0, "activities.csv": 1})


def test_required_column_missing_from_the_header_stops_the_build(case):
    columns = [c for c in SALES_COLUMNS if c != "unit_price"]
    case.write(F, sales_file(*BASE_ROWS, columns=columns))
    case.build().assert_stopped(F, "required column(s) unit_price missing from the header")


def test_new_unexpected_column_is_loaded_and_listed(case):
    columns = [*SALES_COLUMNS[:3], "vat_rate", *SALES_COLUMNS[3:]]
    rows = [dict(r, vat_rate="0.20") for r in BASE_ROWS]
    case.write(F, sales_file(*rows, columns=columns))
    case.build().assert_built()
    case.assert_rejected({})
    assert case.load_log()[F]["unexpected_columns"] == "vat_rate"
    [first] = case.fact("source_row = 1")
    assert (first["account_id"], str(first["invoice_date"])) == ("ACC1", "2024-03-01")
    case.assert_reconciles({F: N_BASE})


def test_over_long_line_is_quarantined_and_the_next_rows_load(case):
    long_name = "X" * (1_200_000)
    case.write(
        F, sales_file(*BASE_ROWS[:3], line("INV900", account_name=long_name), *BASE_ROWS[3:])
    )
    case.build().assert_built()
    got = case.assert_rejected({(F, 4): "malformed_record"})
    assert len(got[(F, 4)].raw_record) == 1000
    assert got[(F, 4)].raw_record.startswith("INV900,1,")
    assert case.fact_count() == N_BASE
    case.assert_reconciles({F: N_BASE + 1})


# --------------------------------------------------------------------------------------------
# Deliveries: files and entities present or missing
# --------------------------------------------------------------------------------------------


def test_same_file_delivered_twice_is_counted_once(case):
    case.write(F, sales_csv())
    case.write("sales_lines_resent.csv", sales_csv())
    case.build().assert_built()
    got = case.rejections()
    assert set(got) == {("sales_lines_resent.csv", i) for i in range(1, N_BASE + 1)}
    assert {(r.reason_code, r.disposition) for r in got.values()} == {
        ("duplicate_file", "exclusion")
    }
    assert case.fact_count() == N_BASE
    log = case.load_log()["sales_lines_resent.csv"]
    assert (log["load_status"], log["load_message"]) == ("duplicate_file", f"same content as {F}")
    case.assert_reconciles({F: N_BASE, "sales_lines_resent.csv": N_BASE})


def test_same_file_with_a_malformed_record_delivered_twice_is_excluded_whole(case):
    text = sales_csv("INV900,1,2024-05-20,ACC1")
    case.write(F, text)
    case.write("sales_lines_resent.csv", text)
    case.build().assert_built()
    got = case.rejections()
    assert got[(F, N_BASE + 1)].reason_code == "malformed_record"
    resent = {r.reason_code for (f, _), r in got.items() if f == "sales_lines_resent.csv"}
    assert resent == {"duplicate_file"}
    case.assert_reconciles({F: N_BASE + 1, "sales_lines_resent.csv": N_BASE + 1})


def test_missing_optional_entities_are_derived_or_empty(case):
    case.write(F, sales_csv())
    case.build().assert_built()
    log = case.load_log()
    assert {k for k, v in log.items() if v["load_status"] == "missing"} == {
        f"<{e}>"
        for e in (
            "accounts",
            "products",
            "reps",
            "contacts",
            "activities",
            "opportunities",
            "relationship_assessments",
            "account_plans",
            "plan_actions",
        )
    }
    accounts = case.q(
        "select account_id, is_derived_from_sales, owner_rep_id from marts.dim_accounts"
    )
    # the owner is the rep on most of the account's lines; ACC3 has one line each with REP1
    # and REP2: the latest line's rep
    assert sorted(accounts) == [
        ("ACC1", True, "REP1"),
        ("ACC2", True, "REP2"),
        ("ACC3", True, "REP2"),
    ]
    products = case.q("select product_id from marts.dim_products where is_derived_from_sales")
    assert sorted(p for (p,) in products) == ["PRD1", "PRD2", "PRD3"]
    case.assert_reconciles({F: N_BASE})


def test_missing_required_entity_stops_the_build_naming_entity_and_folder(case):
    case.write("accounts.csv", ACCOUNTS_CSV)
    case.build().assert_stopped(
        "Required entity 'sales_lines' has no file", str(case.landing.resolve())
    )


# --------------------------------------------------------------------------------------------
# Keys and duplicates
# --------------------------------------------------------------------------------------------


def test_null_keys_are_quarantined_naming_the_column(case):
    case.write(
        F,
        sales_csv(
            line("", line_number="1"),
            line("INV901", account_id=""),
            line("INV902", product_id="   "),
            line("INV903", invoice_date=""),
            line("INV904", quantity=""),
        ),
    )
    case.build().assert_built()
    case.assert_rejected(
        {
            (F, 9): ("missing_required_value", "invoice_id"),
            (F, 10): ("missing_required_value", "account_id"),
            (F, 11): ("missing_required_value", "product_id"),
            (F, 12): ("missing_required_value", "invoice_date"),
            (F, 13): ("missing_required_value", "quantity"),
        }
    )
    case.assert_reconciles({F: N_BASE + 5})


def test_same_key_with_different_values_quarantines_every_copy(case):
    case.write(F, sales_csv(dict(BASE_ROWS[0], quantity="3")))
    case.build().assert_built()
    detail = "invoice INV001 line 1"
    case.assert_rejected(
        {
            (F, 1): ("conflicting_duplicate_key", detail),
            (F, N_BASE + 1): ("conflicting_duplicate_key", detail),
        }
    )
    assert case.fact("invoice_id = 'INV001' and line_number = 1") == []
    case.assert_reconciles({F: N_BASE + 1})


def test_exact_duplicates_are_excluded_and_the_first_copy_kept(case):
    padded = dict(
        BASE_ROWS[3],
        invoice_id=" inv003 ",
        account_id="acc3",
        currency=" gbp",
        account_name="Gamma  GmbH ",
    )
    case.write(F, sales_csv(BASE_ROWS[2], padded))
    case.build().assert_built()
    case.assert_rejected(
        {
            (F, 9): ("exact_duplicate", "invoice INV002 line 1"),
            (F, 10): ("exact_duplicate", "invoice INV003 line 1"),
        }
    )
    kept = case.fact("invoice_id in ('INV002', 'INV003')", "source_row")
    assert [r["source_row"] for r in kept] == [3, 4]
    case.assert_reconciles({F: N_BASE + 2})


def test_orphan_foreign_keys_are_quarantined_naming_the_key(case):
    case.write("accounts.csv", ACCOUNTS_CSV)
    case.write("products.csv", PRODUCTS_CSV)
    case.write(
        F,
        sales_csv(
            line("INV900", account_id="ACC9"),
            line("INV901", product_id="PRD9"),
            line("INV902", product_id="POST", quantity="1", unit_price="4.95"),
        ),
    )
    case.build().assert_built()
    case.assert_rejected(
        {(F, 9): ("orphan_key", "account_id ACC9"), (F, 10): ("orphan_key", "product_id PRD9")}
    )
    [postage] = case.fact("invoice_id = 'INV902'")
    assert (postage["line_category"], postage["is_revenue_line"]) == ("postage", False)
    case.assert_reconciles({F: N_BASE + 3, "accounts.csv": 3, "products.csv": 3})


# --------------------------------------------------------------------------------------------
# Amounts
# --------------------------------------------------------------------------------------------


def test_negative_quantity_without_a_credit_note_is_quarantined(case):
    case.write(
        F,
        sales_csv(
            line("INV900", quantity="-3"),
            line("CN900", quantity="3", document_type="credit_note"),
        ),
    )
    case.build().assert_built()
    case.assert_rejected({(F, 9): ("negative_quantity_on_invoice", "quantity")})
    [credit] = case.fact("invoice_id = 'CN900'")
    assert credit["quantity"] == -3 and credit["net_amount"] < 0
    case.assert_reconciles({F: N_BASE + 2})


def test_negative_prices_and_discounts_are_quarantined(case):
    case.write(
        F,
        sales_csv(
            line("INV900", unit_price="-10.00"),
            line("INV901", discount_amount="-1"),
            line("INV902", quantity="2", unit_price="10", discount_amount="100"),
        ),
    )
    case.build().assert_built()
    case.assert_rejected(
        {
            (F, 9): ("negative_amount", "unit_price"),
            (F, 10): ("negative_amount", "discount_amount"),
            (F, 11): ("discount_exceeds_line", "discount_amount"),
        }
    )
    case.assert_reconciles({F: N_BASE + 3})


def test_zero_price_is_a_clean_free_of_charge_line(case):
    case.write(F, sales_csv(line("INV900", quantity="5", unit_price="0")))
    case.build().assert_built()
    case.assert_rejected({})
    [free] = case.fact("invoice_id = 'INV900'")
    assert free["is_free_of_charge"] is True
    assert (free["net_amount"], free["net_revenue"]) == (0, 0)
    case.assert_reconciles({F: N_BASE + 1})


def test_non_numeric_amounts_are_quarantined_naming_the_column(case):
    case.write(
        F,
        sales_csv(
            line("INV900", quantity="abc"),
            line("INV901", unit_price="12.3.4"),
            line("INV902", unit_price="£10"),
            line("INV903", discount_amount="n/a"),
            line("INV904", line_number="one"),
        ),
    )
    case.build().assert_built()
    case.assert_rejected(
        {
            (F, 9): ("invalid_number", "quantity"),
            (F, 10): ("invalid_number", "unit_price"),
            (F, 11): ("invalid_number", "unit_price"),
            (F, 12): ("invalid_number", "discount_amount"),
            (F, 13): ("invalid_number", "line_number"),
        }
    )
    case.assert_reconciles({F: N_BASE + 5})


def test_unknown_currency_is_quarantined_and_lower_case_codes_accepted(case):
    case.write(
        F,
        sales_csv(
            line("INV900", currency="XYZ"),
            line("INV901", currency="eur", quantity="1", unit_price="100"),
            line("INV902", currency=""),
        ),
    )
    case.build().assert_built()
    case.assert_rejected({(F, 9): ("unknown_currency", "currency XYZ")})
    [eur] = case.fact("invoice_id = 'INV901'")
    assert eur["original_currency"] == "EUR"
    assert float(eur["net_amount"]) == pytest.approx(86.0)
    [default] = case.fact("invoice_id = 'INV902'")
    assert default["original_currency"] == "GBP"
    case.assert_reconciles({F: N_BASE + 3})


def test_invalid_and_adjustment_document_types(case):
    case.write(
        F,
        sales_csv(
            line("INV900", document_type="refund"),
            line("ADJ900", document_type="Adjustment"),
        ),
    )
    case.build().assert_built()
    got = case.assert_rejected(
        {
            (F, 9): ("invalid_value", "document_type"),
            (F, 10): ("accounting_adjustment", "document_type"),
        }
    )
    assert got[(F, 10)].disposition == "exclusion"
    case.assert_reconciles({F: N_BASE + 2})


# --------------------------------------------------------------------------------------------
# Dates
# --------------------------------------------------------------------------------------------


def test_impossible_dates_are_quarantined(case):
    case.write(
        F,
        sales_csv(
            line("INV900", invoice_date="2024-02-30"),
            line("INV901", invoice_date="2023-13-01"),
            line("INV902", invoice_date="2024-06-31"),
            line("INV903", invoice_date="2024-02-29"),
        ),
    )
    case.build().assert_built()
    case.assert_rejected(
        {
            (F, 9): ("invalid_date", "invoice_date"),
            (F, 10): ("invalid_date", "invoice_date"),
            (F, 11): ("invalid_date", "invoice_date"),
        }
    )
    assert len(case.fact("invoice_date = date '2024-02-29'")) == 1
    case.assert_reconciles({F: N_BASE + 4})


def test_day_month_ambiguity_is_not_guessed_in_the_canonical_format(case):
    case.write(F, sales_csv(line("INV900", invoice_date="03/04/2024")))
    case.build().assert_built()
    case.assert_rejected({(F, 9): ("invalid_date", "invoice_date")})
    case.assert_reconciles({F: N_BASE + 1})


def test_day_month_order_declared_in_the_mapping_is_applied(case):
    rows = [
        dict(r, invoice_date="/".join(reversed(r["invoice_date"].split("-")))) for r in BASE_ROWS
    ]
    rows += [line("INV900", invoice_date="03/04/2024"), line("INV901", invoice_date="04/13/2024")]
    case.write(F, sales_file(*rows))
    case.write_mapping("entities:\n  sales_lines:\n    date_format: '%d/%m/%Y'\n")
    case.build().assert_built()
    case.assert_rejected({(F, 10): ("invalid_date", "invoice_date")})
    [april] = case.fact("invoice_id = 'INV900'")
    assert str(april["invoice_date"]) == "2024-04-03"
    case.assert_reconciles({F: N_BASE + 2})


def test_far_future_date_in_a_big_delivery_is_quarantined(case):
    days = [f"2024-{m:02d}-{d:02d}" for m in range(1, 7) for d in range(1, 29)]
    rows = [
        line(f"BIG{i:05d}", invoice_date=days[i % len(days)], account_id=f"ACC{i % 7}")
        for i in range(1200)
    ]
    case.write(F, sales_file(*rows, line("INV900", invoice_date="2099-01-01")))
    case.build().assert_built()
    case.assert_rejected({(F, 1201): ("date_out_of_range", "invoice_date 2099-01-01")})
    assert str(case.q("select as_of_date from intermediate.int_as_of_date")[0][0]) == max(days)
    case.assert_reconciles({F: 1201})


def test_far_future_date_in_a_small_delivery_is_quarantined(case):
    case.write(F, sales_csv(line("INV900", invoice_date="2099-01-01")))
    case.build().assert_built()
    assert str(case.q("select as_of_date from intermediate.int_as_of_date")[0][0]) == (
        LAST_BASE_DATE
    )
    case.assert_rejected({(F, 9): ("date_out_of_range", "invoice_date 2099-01-01")})
    case.assert_reconciles({F: N_BASE + 1})


def test_far_past_date_is_quarantined(case):
    case.write(
        F,
        sales_csv(
            line("INV900", invoice_date="1900-01-01"), line("INV901", invoice_date="0001-01-01")
        ),
    )
    case.build().assert_built()
    case.assert_rejected(
        {
            (F, 9): ("date_out_of_range", "invoice_date"),
            (F, 10): ("date_out_of_range", "invoice_date"),
        }
    )
    case.assert_reconciles({F: N_BASE + 2})


def test_far_future_activities_opportunities_and_assessments_are_quarantined(case):
    """A 2099 activity, opportunity or assessment would never be counted (every window ends on
    the as-of date): quarantined like a 2099 sales line, while a date within var
    max_future_days after the as-of date (2024-06-01 + 31 days) stays clean."""
    case.write(F, sales_csv())
    case.write(
        "activities.csv",
        table_csv(
            "activity_id,activity_date,account_id,activity_type",
            "ACT1,2024-05-20,ACC1,visit",
            "ACT2,2099-01-01,ACC1,visit",
            "ACT3,2024-07-02,ACC2,call",
            "ACT4,2024-07-03,ACC2,call",
        ),
    )
    case.write(
        "opportunities.csv",
        table_csv(
            "opportunity_id,account_id,created_date,status",
            "OPP1,ACC1,2024-05-01,open",
            "OPP2,ACC1,2099-02-01,open",
        ),
    )
    case.write(
        "relationship_assessments.csv",
        table_csv(
            "assessment_id,account_id,assessment_date,criterion_code,score",
            "AS1,ACC1,2024-05-01,trust,4",
            "AS2,ACC1,2099-03-01,trust,2",
        ),
    )
    # with the data tests: the reconciliations must hold with rows left to int_far_future_rows
    case.build(tests=True).assert_built()
    assert str(case.q("select as_of_date from intermediate.int_as_of_date")[0][0]) == (
        LAST_BASE_DATE
    )
    case.assert_rejected(
        {
            ("activities.csv", 2): ("date_out_of_range", "activity_date 2099-01-01"),
            ("activities.csv", 4): ("date_out_of_range", "activity_date 2024-07-03"),
        },
        entity="activities",
    )
    case.assert_rejected(
        {("opportunities.csv", 2): ("date_out_of_range", "created_date 2099-02-01")},
        entity="opportunities",
    )
    case.assert_rejected(
        {("relationship_assessments.csv", 2): ("date_out_of_range", "assessment_date 2099-03-01")},
        entity="relationship_assessments",
    )
    clean = case.q("select activity_id from intermediate.int_activities order by 1")
    assert clean == [("ACT1",), ("ACT3",)]
    case.assert_reconciles(
        {
            F: N_BASE,
            "activities.csv": 4,
            "opportunities.csv": 2,
            "relationship_assessments.csv": 2,
        }
    )


# --------------------------------------------------------------------------------------------
# Text: padding, case, Unicode, quotes, injection-like values, personal data
# --------------------------------------------------------------------------------------------


def test_padded_and_mixed_case_text_is_normalised(case):
    case.write("accounts.csv", ACCOUNTS_CSV)
    case.write("products.csv", PRODUCTS_CSV)
    padded = line(
        "  inv900 ",
        account_id="  acc1 ",
        product_id=" prd1",
        rep_id="rep1  ",
        currency=" gbp ",
        document_type=" Invoice ",
        account_name="  Acme    Ltd  ",
    )
    case.write(F, sales_csv(padded))
    case.build().assert_built()
    case.assert_rejected({})
    [row] = case.rows(
        "select f.invoice_id, f.account_id, f.product_id, f.rep_id, f.original_currency, "
        "f.document_type, s.account_name from marts.fct_sales_lines f "
        "join staging.stg_landing__sales_lines s using (source_file, source_row) "
        "where f.source_row = 9"
    )
    assert row == {
        "invoice_id": "INV900",
        "account_id": "ACC1",
        "product_id": "PRD1",
        "rep_id": "REP1",
        "original_currency": "GBP",
        "document_type": "invoice",
        "account_name": "Acme Ltd",
    }
    case.assert_reconciles({F: N_BASE + 1, "accounts.csv": 3, "products.csv": 3})


def test_codes_padded_with_tabs_are_trimmed(case):
    case.write("accounts.csv", ACCOUNTS_CSV)
    case.write(F, sales_csv(line("INV900", account_id="\tacc1", product_id="PRD1\t")))
    case.build().assert_built()
    case.assert_rejected({})
    [row] = case.fact("source_row = 9")
    assert (row["account_id"], row["product_id"]) == ("ACC1", "PRD1")


def test_decomposed_accents_are_stored_nfc_and_match_composed_keys(case):
    composed = "CAFÉ-1"
    case.write("products.csv", table_csv("product_id,product_name", f"{composed},Café crème"))
    decomposed_name = unicodedata.normalize("NFD", "Société Générale")
    decomposed_code = unicodedata.normalize("NFD", "café-1")
    assert decomposed_name != _nfc(decomposed_name)
    rows = [dict(r, product_id=composed) for r in BASE_ROWS]
    rows.append(
        line("INV900", account_id="ACC9", account_name=decomposed_name, product_id=decomposed_code)
    )
    case.write(F, sales_file(*rows))
    case.build().assert_built()
    case.assert_rejected({})
    [row] = case.fact("invoice_id = 'INV900'")
    assert row["product_id"] == composed
    [(name,)] = case.q("select account_name from marts.dim_accounts where account_id = 'ACC9'")
    assert name == "Société Générale" == _nfc(name)
    case.assert_reconciles({F: N_BASE + 1, "products.csv": 1})


def test_apostrophes_in_names_and_codes_are_kept_verbatim(case):
    case.write(
        F,
        sales_csv(
            line(
                "INV900",
                account_id="L'OREAL-FR",
                account_name="L'Oréal",
                product_name='Children\'s "Best" Widget',
            )
        ),
    )
    case.build().assert_built()
    case.assert_rejected({})
    assert case.q(
        "select account_name from marts.dim_accounts where account_id = ?", ["L'OREAL-FR"]
    ) == [("L'Oréal",)]
    assert case.q(
        "select product_name from staging.stg_landing__sales_lines where invoice_id = 'INV900'"
    ) == [('Children\'s "Best" Widget',)]
    case.assert_reconciles({F: N_BASE + 1})


def test_injection_like_text_is_stored_verbatim_and_never_executed(case):
    name = "Robert'); drop table marts.fct_sales_lines;--"
    product = '"; delete from config.currency_rates; --'
    code = "X'); DROP TABLE X;--"
    case.write(
        F, sales_csv(line("INV900", account_id=code, account_name=name, product_name=product))
    )
    case.build().assert_built()
    case.assert_rejected({})
    assert case.q("select account_name from marts.dim_accounts where account_id = ?", [code]) == [
        (name,)
    ]
    assert case.q(
        "select product_name from staging.stg_landing__sales_lines where invoice_id = 'INV900'"
    ) == [(product,)]
    assert case.fact_count() == N_BASE + 1
    assert case.q("select count(*) from config.currency_rates")[0][0] >= 4
    case.assert_reconciles({F: N_BASE + 1})


def test_malformed_emails_and_phones_keep_the_contact_and_drop_the_value(case):
    case.write(F, sales_csv())
    case.write(
        "contacts.csv",
        table_csv(
            "contact_id,account_id,first_name,last_name,email,phone",
            "C1,ACC1,Ann,O'Hara,ann.ohara@acme.co.uk,+44 20 7946 0000",
            "C2,ACC2,Bob,Smith,bob.smith@,call me",
            "C3,ACC3,Cé,Dupont,c dupont@beta,12",
        ),
    )
    case.build().assert_built()
    case.assert_rejected({}, entity="contacts")
    flags = case.q(
        "select contact_id, is_email_malformed, is_phone_malformed, email is null, phone is null "
        "from staging.stg_landing__contacts order by contact_id"
    )
    assert flags == [
        ("C1", False, False, False, False),
        ("C2", True, True, True, True),
        ("C3", True, True, True, True),
    ]
    channels = case.q(
        "select contact_id, has_email, has_phone from intermediate.int_contacts order by 1"
    )
    assert channels == [("C1", True, True), ("C2", False, False), ("C3", False, False)]
    case.assert_reconciles({F: N_BASE, "contacts.csv": 3})


# --------------------------------------------------------------------------------------------
# Everything at once, with the project's own data tests
# --------------------------------------------------------------------------------------------


def test_every_row_level_case_at_once_passes_the_projects_data_tests(case):
    """The dbt data tests of staging, data quality, conformed and core models stay green on a
    delivery mixing every row-level problem: bad input is held back, never breaks the build."""
    bad = {
        raw(line("INV900")) + ",EXTRA": "malformed_record",
        "INV901,1,2024-05-20,ACC1": "malformed_record",
        raw(line("", line_number="1")): "missing_required_value",
        raw(line("INV903", account_id="")): "missing_required_value",
        raw(dict(BASE_ROWS[0], quantity="3")): "conflicting_duplicate_key",
        raw(BASE_ROWS[2]): "exact_duplicate",
        raw(line("INV906", quantity="-3")): "negative_quantity_on_invoice",
        raw(line("INV907", unit_price="-1")): "negative_amount",
        raw(line("INV908", quantity="abc")): "invalid_number",
        raw(line("INV909", invoice_date="2024-02-30")): "invalid_date",
        raw(line("INV910", invoice_date="03/04/2024")): "invalid_date",
        raw(line("INV911", invoice_date="1900-01-01")): "date_out_of_range",
        raw(line("INV912", currency="XYZ")): "unknown_currency",
        raw(line("INV913", account_id="ACC9")): "orphan_key",
        raw(line("INV914", document_type="refund")): "invalid_value",
        raw(line("ADJ915", document_type="adjustment")): "accounting_adjustment",
        raw(line("INV916", discount_amount="1000")): "discount_exceeds_line",
        # 2e13: DuckDB's decimal product overflowed and stopped the build (a typo, not an order)
        raw(line("INV917", quantity="100000", unit_price="200000000")): "amount_out_of_range",
        raw(line("INV918", line_number="0")): "invalid_value",
    }
    clean = [
        line("INV950", unit_price="0"),
        line("CN951", document_type="credit_note", quantity="2"),
        line(" inv952 ", account_id=" acc2", currency="eur", account_name="L'Oréal"),
        line("INV953", account_name="Robert'); drop table x;--"),
    ]
    case.write(F, sales_csv(*bad, *clean))
    later = sales_file(line("Q2001"), line("Q2002", quantity="7"))
    case.write("sales_lines_q2.csv", later)
    case.write("sales_lines_q2_resent.csv", later)
    case.write("accounts.csv", ACCOUNTS_CSV)
    case.write(
        "contacts.csv",
        table_csv(
            "contact_id,account_id,email,phone", "C1,ACC1,x@,y", "C2,ACC2,a@b.com,+4412345678"
        ),
    )
    case.build(tests=True).assert_built()
    got = case.rejections()
    by_row = {row: r.reason_code for (file, row), r in got.items() if file == F}
    expected = {N_BASE + 1 + i: code for i, code in enumerate(bad.values())}
    expected[1] = "conflicting_duplicate_key"  # the base row whose key arrives again, changed
    assert by_row == expected
    assert {(f, r.reason_code) for (f, _), r in got.items() if f != F} == {
        ("sales_lines_q2_resent.csv", "duplicate_file")
    }
    assert case.fact_count() == N_BASE - 1 + len(clean) + 2
    case.assert_reconciles(
        {
            F: N_BASE + len(bad) + len(clean),
            "sales_lines_q2.csv": 2,
            "sales_lines_q2_resent.csv": 2,
            "accounts.csv": 3,
            "contacts.csv": 2,
        }
    )


# --------------------------------------------------------------------------------------------
# Vars that reach SQL
# --------------------------------------------------------------------------------------------


def _user_build(tmp: Path, landing: Path, *args: str, **env: str):
    """The real user command, in a subprocess: what the user reads."""
    proc = run_kam(["build", *args], {**build_env(tmp, landing), **env}, check=False)
    return proc.returncode, proc.stdout + "\n" + proc.stderr, proc.stderr


@pytest.fixture(scope="module")
def user_build_with_sql_in_as_of_date(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("var_as_of_date")
    landing = tmp / "landing"
    landing.mkdir()
    (landing / F).write_text(sales_csv(), encoding="utf-8")
    return _user_build(tmp, landing, "--vars", '{as_of_date: "2024-01-01; drop table x"}')


def test_vars_that_are_not_yaml_stop_before_dbt_with_a_sentence(tmp_path):
    # YAML reads 2025-13-45 as a date and fails; dbt stops on it with a Python traceback
    landing = tmp_path / "landing"
    landing.mkdir()
    for bad, why in (("{as_of_date: 2025-13-45}", "month must be in 1..12"),
                     ("{as_of_date: [2025", "while parsing a flow sequence")):  # fmt: skip
        rc, output, stderr = _user_build(tmp_path, landing, "--vars", bad)
        assert rc != 0
        assert TRACEBACK not in output
        assert f"ERROR: --vars {bad!r} cannot be read as YAML ({why})" in stderr
        assert "Running with dbt" not in output  # stopped before dbt started


def test_as_of_date_var_with_sql_stops_with_a_clear_message(user_build_with_sql_in_as_of_date):
    rc, output, _ = user_build_with_sql_in_as_of_date
    assert rc != 0
    assert TRACEBACK not in output
    assert "var as_of_date must be a date written YYYY-MM-DD" in output
    assert "got: 2024-01-01; drop table x" in output


def test_the_error_summary_names_the_bad_var(user_build_with_sql_in_as_of_date):
    _, _, stderr = user_build_with_sql_in_as_of_date
    assert "var as_of_date must be a date written YYYY-MM-DD" in stderr


def test_numeric_var_with_text_stops_with_a_clear_message(tmp_path):
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / F).write_text(sales_csv(), encoding="utf-8")
    rc, output, _ = _user_build(tmp_path, landing, "--vars", "{abc_a_cutoff: abc}")
    assert rc != 0
    assert TRACEBACK not in output
    assert "var abc_a_cutoff must be a number, got: abc" in output


def test_numeric_var_with_text_stops_the_build_in_process(case):
    case.write(F, sales_csv())
    case.build(vars_yaml="{max_future_days: '31 or true'}").assert_stopped(
        "var max_future_days must be a number, got: 31 or true"
    )


def test_vars_out_of_range_stop_the_build_listing_every_problem(case):
    # numbers, so number_var lets them through; before, they built without an error
    case.write(F, sales_csv())
    case.build(vars_yaml="{abc_a_cutoff: 0.97}").assert_stopped(
        "vars out of range",
        "var abc_a_cutoff (0.97) must be below var abc_b_cutoff (0.95)",
    )
    case.build(
        vars_yaml="{field_day_share: 1.5, window_months: 0, visit_overflow_rule: shrink}"
    ).assert_stopped(
        "var window_months is 0, below 1",
        "var field_day_share is 1.5, above 1",
        "var visit_overflow_rule is shrink, not one of stretch, drop_lowest",
    )
    # dates: quoted, YAML lets a day that does not exist through to the project, which stops it
    # before any model runs (DuckDB's conversion error came from the first model that read it)
    case.build(vars_yaml="{as_of_date: '2024-02-30'}").assert_stopped(
        "var as_of_date is 2024-02-30, which is no day of the calendar"
    )
    assert not case.outcome.failed_nodes  # stopped by the on-run-start hook, not by a model
    case.build(vars_yaml="{as_of_date: '1999-12-31'}").assert_stopped(
        "var as_of_date (1999-12-31) must not be before var min_valid_date (2000-01-01)"
    )
    # a null var (unknown cost) is not out of range: the build goes on
    assert case.build(vars_yaml="{order_handling_cost: null}").outcome.ok


def test_min_valid_date_var_with_sql_stops_with_a_clear_message(tmp_path):
    """The staging models paste min_valid_date into SQL as it is; the user's build is protected
    because the project is parsed first and models that validate it (int_as_of_date,
    metricflow_time_spine) stop the parse, even with as_of_date set."""
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / F).write_text(sales_csv(), encoding="utf-8")
    rc, output, _ = _user_build(
        tmp_path,
        landing,
        "--vars",
        "{as_of_date: 2024-06-30, min_valid_date: \"2000-01-01' or 'a' = 'a\"}",
    )
    assert rc != 0
    assert TRACEBACK not in output
    assert "var min_valid_date must be a date written YYYY-MM-DD" in output


def test_reporting_currency_var_with_sql_is_escaped_or_refused(case):
    case.write(F, sales_csv(line("INV900", currency="")))
    case.build(vars_yaml="{reporting_currency: \"GBP' || 'X\"}")
    assert TRACEBACK not in case.output
    if case.outcome.ok:  # escaped: the text is data, an unknown currency
        got = case.rejections()
        assert got[(F, 9)].reason_detail == "currency GBP' || 'X"
    else:  # refused with a message naming the var
        case.assert_stopped("reporting_currency")
        assert "Error in model" not in case.output or "var reporting_currency" in case.output


def test_default_rep_cost_var_with_sql_is_refused(case):
    case.write(F, sales_csv())
    case.build(
        vars_yaml="{default_rep_loaded_annual_cost: "
        '"(select 40000 + count(*) from config.currency_rates)"}'
    )
    case.assert_stopped("var default_rep_loaded_annual_cost must be a number")


# --------------------------------------------------------------------------------------------
# The real user command on a file problem
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def unterminated_quote_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("user_unterminated_quote")


@pytest.fixture(scope="module")
def user_build_with_unterminated_quote(unterminated_quote_dir):
    tmp = unterminated_quote_dir
    landing = tmp / "landing"
    landing.mkdir()
    bad = raw(line("INV900")).replace(",Widget,", ',"Widget,')
    (landing / F).write_text(sales_file(*BASE_ROWS[:2], bad, *BASE_ROWS[2:]), encoding="utf-8")
    # --models-only: the same command without the ~1,100 data tests, which a stopped load skips;
    # a spill folder two levels down that does not exist yet (DuckDB creates one level only)
    return _user_build(tmp, landing, "--models-only", KAM_TEMP_DIR=str(tmp / "spill" / "duckdb"))


def test_user_command_on_a_broken_file_names_file_and_problem(user_build_with_unterminated_quote):
    rc, output, _ = user_build_with_unterminated_quote
    assert rc == 1
    assert TRACEBACK not in output
    assert f"{F}: unterminated quote at line 4" in output


def test_the_user_command_creates_the_spill_folder_it_is_given(
    user_build_with_unterminated_quote, unterminated_quote_dir
):
    assert (unterminated_quote_dir / "spill" / "duckdb").is_dir()


def test_the_error_summary_names_the_file_problem(user_build_with_unterminated_quote):
    _, _, stderr = user_build_with_unterminated_quote
    assert f"{F}: unterminated quote at line 4" in stderr


# --------------------------------------------------------------------------------------------
# The real user command when the machine, not the data, stops the build
# --------------------------------------------------------------------------------------------


def test_a_build_out_of_memory_says_which_settings_to_change(tmp_path, demo_landing):
    # 4 MB: below the single 30 MiB block the demo's sales-line staging asks for, so it cannot
    # pass however the nodes are scheduled
    rc, output, stderr = _user_build(
        tmp_path, demo_landing, "--models-only", KAM_MEMORY_LIMIT="4MB"
    )
    assert rc != 0
    assert TRACEBACK not in output
    assert "stg_landing__sales_lines: Out of Memory Error" in stderr
    assert "Memory, not the data, stopped the build" in stderr
    assert "KAM_THREADS=1" in stderr and "KAM_MEMORY_LIMIT" in stderr
    assert f"spill folder {tmp_path / 'duckdb_tmp'}" in stderr
    assert "Fix the data or the model" not in stderr


def test_a_memory_limit_that_is_not_a_size_stops_with_a_clear_message(tmp_path, demo_landing):
    rc, output, stderr = _user_build(
        tmp_path, demo_landing, "--models-only", KAM_MEMORY_LIMIT="lots"
    )
    assert rc != 0
    assert TRACEBACK not in output
    assert "ERROR: KAM_MEMORY_LIMIT='lots' is not a memory size" in stderr


def test_a_warehouse_file_open_in_another_process_stops_with_what_to_do(tmp_path, demo_landing):
    # an analyst's notebook holding the development file, even read-only, locks out every writer
    db = tmp_path / "kam.duckdb"
    duckdb.connect(str(db)).close()
    with held_open(db) as pid:
        rc, output, stderr = _user_build(tmp_path, demo_landing, "--models-only")
    assert rc != 0
    assert TRACEBACK not in output
    assert "IO Error" not in output  # DuckDB's words are replaced by what to do
    assert f"ERROR: dbt build stopped: the warehouse file {db} is open in another process" in stderr
    assert f"(PID {pid})" in stderr
    assert "KAM_DUCKDB_PATH" in stderr


@pytest.mark.parametrize("exists", [False, True])
def test_a_mistyped_landing_folder_stops_the_main_job_instead_of_building_the_demo(
    tmp_path, exists
):
    # the demo fills the repository's own landing/ only: a KAM_LANDING_DIR that does not exist
    # (a typo) or holds no file must not publish a made-up warehouse in place of the user's data
    landing = tmp_path / "landng"
    if exists:
        landing.mkdir()
    proc = run_kam(["run"], build_env(tmp_path, landing), check=False)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert TRACEBACK not in output
    what = "is empty" if exists else "does not exist"
    assert f"KAM_LANDING_DIR={landing}: the folder {what}" in output
    assert "unset KAM_LANDING_DIR to build the demo" in output
    assert not landing.exists() or not any(landing.iterdir())
    assert not (tmp_path / "kam.duckdb").exists()


def test_a_full_disk_says_where_duckdb_writes_and_how_much_is_free(tmp_path, monkeypatch):
    from kam import cli

    spill = tmp_path / "spill"
    monkeypatch.setenv("KAM_TEMP_DIR", str(spill))
    monkeypatch.setenv("KAM_DUCKDB_PATH", str(tmp_path / "kam.duckdb"))
    # DuckDB's message when a spill write meets a full disk
    full = (
        'int_x: IO Error: Could not write file "/s/duckdb_temp_storage-0.tmp": '
        "No space left on device"
    )
    advice = cli._resource_advice([full])
    assert advice.startswith("The disk, not the data, stopped the build")
    # the spill folder does not exist yet: the free space of the disk it will be on
    assert re.search(rf"spills to {re.escape(str(spill))} \(KAM_TEMP_DIR; \d+\.\d GB free", advice)
    assert str(tmp_path / "kam.duckdb") in advice
    # data and model errors keep their own advice
    assert cli._resource_advice(["stg_x: Conversion Error: Could not convert 'a' to INT32"]) is None
    assert cli._resource_advice([]) is None
