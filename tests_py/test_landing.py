"""Unit tests of the landing loader (kam/landing.py) and the input contract (kam/contract.py).

Every test writes small crafted files into `tmp_path` and reads them with an in-memory DuckDB
connection. The loader must lose nothing: for every CSV case the accepted plus the rejected rows
equal the number of data records written, and the load log says the same.
"""

from __future__ import annotations

import gzip
import hashlib
import unicodedata
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb
import pytest

from kam.contract import LINEAGE_COLUMNS, contract_markdown, load_contract
from kam.landing import (
    RAW_RECORD_MAX_CHARS,
    EntityMapping,
    LandingError,
    LandingReader,
    find_files,
    load_mapping,
)

# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------

SALES_COLUMNS = load_contract()["sales_lines"].column_names
HEADER = "invoice_id,line_number,invoice_date,account_id,product_id,quantity,unit_price"


def record(i: int, *, sep: str = ",") -> str:
    """A well-formed sales_lines record matching HEADER."""
    return sep.join([f"I{i}", "1", f"2024-01-{i:02d}", "A1", "P1", str(i), "10.5"])


def csv_text(header: str, *records: str, eol: str = "\n") -> str:
    return eol.join([header, *records]) + eol


@dataclass
class Loaded:
    columns: list[str]
    rows: list[dict[str, Any]]
    log: list[dict[str, Any]]

    @property
    def accepted(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["_load_error"] is None]

    @property
    def rejected(self) -> list[dict[str, Any]]:
        return [r for r in self.rows if r["_load_error"] is not None]

    def col(self, name: str, rows: list[dict[str, Any]] | None = None) -> list[Any]:
        return [r[name] for r in (self.rows if rows is None else rows)]

    def assert_nothing_lost(self, n_records: int) -> None:
        """Accepted + rejected rows == records written, and the load log agrees."""
        assert len(self.accepted) + len(self.rejected) == n_records
        assert sum(e["rows_accepted"] for e in self.log) == len(self.accepted)
        assert sum(e["rows_rejected"] for e in self.log) == len(self.rejected)


def load(
    landing: Path,
    entity: str = "sales_lines",
    mapping: Path | None = None,
    conn: duckdb.DuckDBPyConnection | None = None,
) -> Loaded:
    """Read one entity, fetch its rows (sorted by file and row) and write the load log."""
    conn = conn or duckdb.connect()
    reader = LandingReader(conn, landing, mapping)
    rel = reader.read(entity)
    columns = list(rel.columns)
    rows = [dict(zip(columns, r, strict=True)) for r in rel.fetchall()]
    rows.sort(key=lambda r: (r["_source_file"] or "", r["_source_row"] or 0))
    reader.write_load_log()
    cur = conn.execute("select * from landing.load_log where entity = ? order by file", [entity])
    log_cols = [d[0] for d in cur.description]
    log = [dict(zip(log_cols, r, strict=True)) for r in cur.fetchall()]
    return Loaded(columns, rows, log)


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    folder = tmp_path / "landing"
    folder.mkdir()
    return folder


@pytest.fixture
def mapping_file(tmp_path: Path):
    """Write a mapping YAML outside the landing folder and return its path."""

    def _write(text: str) -> Path:
        path = tmp_path / "mapping.yml"
        path.write_text(text, encoding="utf-8")
        return path

    return _write


def write_parquet(path: Path, select_sql: str) -> None:
    with duckdb.connect() as con:
        con.execute(f"copy ({select_sql}) to '{path}' (format parquet)")


# --------------------------------------------------------------------------------------------
# Contract (kam/contract.py)
# --------------------------------------------------------------------------------------------


def test_contract_declares_the_ten_entities_in_order():
    assert list(load_contract()) == [
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
    ]


def test_contract_only_sales_lines_is_required():
    required = {name for name, e in load_contract().items() if e.required}
    assert required == {"sales_lines"}


def test_contract_sales_lines_columns_types_and_required_flags():
    e = load_contract()["sales_lines"]
    assert e.required_columns == [
        "invoice_id",
        "invoice_date",
        "account_id",
        "product_id",
        "quantity",
        "unit_price",
    ]
    types = {c.name: c.data_type for c in e.columns}
    assert types["invoice_date"] == "date"
    assert types["quantity"] == types["unit_price"] == "decimal"
    assert types["line_number"] == "integer"
    doc_type = next(c for c in e.columns if c.name == "document_type")
    assert doc_type.allowed_values == ("invoice", "credit_note", "adjustment")


def test_contract_personal_data_only_on_contact_names_email_phone():
    flagged = {
        (e.name, c.name) for e in load_contract().values() for c in e.columns if c.personal_data
    }
    assert flagged == {
        ("contacts", "first_name"),
        ("contacts", "last_name"),
        ("contacts", "email"),
        ("contacts", "phone"),
    }


def test_contract_lineage_columns_in_order():
    assert LINEAGE_COLUMNS == (
        "_source_file",
        "_source_row",
        "_source_line",
        "_file_sha256",
        "_is_duplicate_file",
        "_load_error",
        "_raw_record",
    )


def test_load_contract_reads_meta_from_config_or_top_level_and_defaults(tmp_path: Path):
    yml = tmp_path / "sources.yml"
    yml.write_text(
        "version: 2\n"
        "sources:\n"
        "  - name: other\n"
        "    tables: [{name: ignored, columns: [{name: x}]}]\n"
        "  - name: landing\n"
        "    tables:\n"
        "      - name: things\n"
        "        description: Things.\n"
        "        meta: {required: true}\n"
        "        columns:\n"
        "          - name: thing_id\n"
        "            meta: {data_type: integer, required: true, allowed_values: [1, 2]}\n"
        "          - name: note\n",
        encoding="utf-8",
    )
    contract = load_contract(yml)
    assert list(contract) == ["things"]
    things = contract["things"]
    assert things.required is True
    assert things.description == "Things."
    thing_id, note = things.columns
    assert (thing_id.data_type, thing_id.required, thing_id.allowed_values) == (
        "integer",
        True,
        ("1", "2"),
    )
    assert (note.data_type, note.required, note.personal_data, note.description) == (
        "text",
        False,
        False,
        "",
    )


def test_contract_markdown_has_one_table_per_entity():
    md = contract_markdown()
    headings = [line for line in md.splitlines() if line.startswith("#### ")]
    assert len(headings) == 10
    assert headings[0] == "#### `sales_lines` (required)"
    assert "#### `accounts` (optional)" in headings
    assert md.count("| column | type | required | meaning | allowed values |") == 10
    lines = md.splitlines()
    assert "| `invoice_id` | text | yes | Invoice or credit-note number. |  |" in lines
    doc_line = next(line for line in lines if line.startswith("| `document_type` |"))
    assert doc_line.startswith("| `document_type` | text |  | ")
    assert doc_line.endswith("| invoice, credit_note, adjustment |")
    assert "Invoice and credit-note lines: the only required entity." in lines


# --------------------------------------------------------------------------------------------
# Canonical format
# --------------------------------------------------------------------------------------------


def test_canonical_file_loads_contract_and_lineage_columns(landing: Path):
    path = write(landing, "sales_lines.csv", csv_text(HEADER, record(1), record(2), record(3)))
    out = load(landing)
    assert out.columns == [*SALES_COLUMNS, *LINEAGE_COLUMNS]
    assert out.col("invoice_id") == ["I1", "I2", "I3"]
    assert out.rows[1]["invoice_date"] == "2024-01-02"
    assert out.rows[2]["quantity"] == "3"
    assert out.rows[2]["unit_price"] == "10.5"
    assert out.col("currency") == [None, None, None]  # optional column absent -> null
    assert out.col("_source_file") == ["sales_lines.csv"] * 3
    assert out.col("_source_row") == [1, 2, 3]
    assert out.col("_source_line") == [None, None, None]
    assert out.col("_file_sha256") == [sha256(path)] * 3
    assert out.col("_is_duplicate_file") == [False] * 3
    assert out.col("_raw_record") == [None, None, None]
    out.assert_nothing_lost(3)
    assert out.log == [
        {
            "entity": "sales_lines",
            "file": "sales_lines.csv",
            "file_format": "csv",
            "bytes": path.stat().st_size,
            "sha256": sha256(path),
            "status": "loaded",
            "rows_accepted": 3,
            "rows_rejected": 0,
            "unexpected_columns": "",
            "message": "",
        }
    ]


def test_a_header_column_without_a_name_is_listed_as_unexpected(landing: Path):
    write(landing, "sales_lines.csv", csv_text(HEADER + ",", record(1) + ",IMPORTANT NOTE"))
    out = load(landing)
    assert out.log[0]["unexpected_columns"] == "(column 8, no name)"
    out.assert_nothing_lost(1)


def test_values_are_loaded_as_text_without_type_inference(landing: Path):
    write(landing, "sales_lines.csv", csv_text(HEADER, "007,01,2024-01-01,A1,P1,1e3,010.50"))
    out = load(landing)
    row = out.rows[0]
    assert (row["invoice_id"], row["line_number"], row["quantity"], row["unit_price"]) == (
        "007",
        "01",
        "1e3",
        "010.50",
    )
    out.assert_nothing_lost(1)


def test_header_is_case_insensitive_reordered_and_padded(landing: Path):
    header = " Unit_Price ,QUANTITY,  product_id,Account_ID,invoice_date  ,Invoice_Id,Currency "
    write(landing, "sales_lines.csv", csv_text(header, "10.5,2,P1,A1,2024-01-31,I1,EUR"))
    out = load(landing)
    row = out.rows[0]
    assert {c: row[c] for c in ["invoice_id", "invoice_date", "account_id", "product_id"]} == {
        "invoice_id": "I1",
        "invoice_date": "2024-01-31",
        "account_id": "A1",
        "product_id": "P1",
    }
    assert (row["quantity"], row["unit_price"], row["currency"]) == ("2", "10.5", "EUR")
    assert row["line_number"] is None
    assert out.columns == [*SALES_COLUMNS, *LINEAGE_COLUMNS]
    assert out.log[0]["unexpected_columns"] == ""
    out.assert_nothing_lost(1)


def test_quoted_fields_with_delimiters_newlines_and_doubled_quotes_are_accepted(landing: Path):
    header = HEADER + ",account_name,product_name"
    rec1 = record(1) + ',"Dupont, Fils & Cie","14"" screen\nsecond line"'
    write(landing, "sales_lines.csv", csv_text(header, rec1, record(2) + ",,"))
    out = load(landing)
    assert out.rejected == []
    assert out.rows[0]["account_name"] == "Dupont, Fils & Cie"
    assert out.rows[0]["product_name"] == '14" screen\nsecond line'
    assert out.rows[1]["account_name"] is None
    assert out.col("_source_row") == [1, 2]
    out.assert_nothing_lost(2)


# --------------------------------------------------------------------------------------------
# Malformed records: kept, with the reason and the raw text
# --------------------------------------------------------------------------------------------


def test_too_many_fields_is_kept_as_rejected_row(landing: Path):
    bad = record(2) + ",EXTRA"
    path = write(landing, "sales_lines.csv", csv_text(HEADER, record(1), bad))
    out = load(landing)
    assert out.col("invoice_id", out.accepted) == ["I1"]
    [rej] = out.rejected
    assert rej["_load_error"] == "too_many_columns"
    assert rej["_raw_record"] == bad
    assert rej["_source_line"] == 3  # the header is line 1
    assert rej["_source_row"] == 2
    assert rej["_source_file"] == "sales_lines.csv"
    assert rej["_file_sha256"] == sha256(path)
    assert rej["_is_duplicate_file"] is False
    assert all(rej[c] is None for c in SALES_COLUMNS)
    out.assert_nothing_lost(2)
    assert (out.log[0]["status"], out.log[0]["rows_accepted"], out.log[0]["rows_rejected"]) == (
        "loaded",
        1,
        1,
    )


def test_too_few_fields_is_kept_as_rejected_row(landing: Path):
    bad = "I2,1,2024-01-02,A1"
    write(landing, "sales_lines.csv", csv_text(HEADER, record(1), bad))
    out = load(landing)
    assert out.col("invoice_id", out.accepted) == ["I1"]
    [rej] = out.rejected
    assert rej["_load_error"] == "missing_columns"
    assert rej["_raw_record"] == bad
    assert (rej["_source_line"], rej["_source_row"]) == (3, 2)
    assert all(rej[c] is None for c in SALES_COLUMNS)
    out.assert_nothing_lost(2)


def test_file_with_only_malformed_records_is_loaded_not_header_only(landing: Path):
    write(landing, "sales_lines.csv", csv_text(HEADER, "I1,1", "I2,2"))
    out = load(landing)
    assert out.accepted == []
    assert out.col("_load_error") == ["missing_columns", "missing_columns"]
    assert out.col("_source_line") == [2, 3]
    assert out.col("_source_row") == [1, 2]
    assert out.log[0]["status"] == "loaded"
    out.assert_nothing_lost(2)


def test_unterminated_quote_on_last_record_is_kept_as_rejected_row(landing: Path):
    bad = 'I2,1,2024-01-02,A1,P1,2,"10.5'
    write(landing, "sales_lines.csv", csv_text(HEADER, record(1), bad))
    out = load(landing)
    assert out.col("invoice_id", out.accepted) == ["I1"]
    [rej] = out.rejected
    assert rej["_load_error"] == "unquoted_value"
    assert rej["_raw_record"].rstrip("\n") == bad
    assert (rej["_source_line"], rej["_source_row"]) == (3, 2)
    out.assert_nothing_lost(2)


def test_unterminated_quote_mid_file_does_not_swallow_the_following_records(landing: Path):
    following = [record(i) for i in range(3, 103)]  # 100 records, ~2.7 KB after the quote
    bad = 'I2,1,2024-01-02,A1,P1,2,"10.5'
    write(landing, "sales_lines.csv", csv_text(HEADER, record(1), bad, *following))
    try:
        out = load(landing)
    except LandingError as exc:  # acceptable: a file-level error naming the file and the line
        assert "sales_lines.csv" in str(exc)
        assert "line 3" in str(exc)
        return
    out.assert_nothing_lost(102)


def test_line_longer_than_1_mib_is_kept_truncated_and_following_rows_load(landing: Path):
    bad = record(2) + "," + "x" * ((1 << 20) + 10)
    write(landing, "sales_lines.csv", csv_text(HEADER + ",product_name", record(1) + ",a", bad))
    with (landing / "sales_lines.csv").open("a") as f:
        f.write(record(3) + ",c\n")
    out = load(landing)
    assert out.col("invoice_id", out.accepted) == ["I1", "I3"]
    [rej] = out.rejected
    assert rej["_load_error"] == "line_size_over_maximum"
    assert rej["_source_line"] == 3
    assert len(rej["_raw_record"]) == RAW_RECORD_MAX_CHARS
    assert rej["_raw_record"] == bad[:RAW_RECORD_MAX_CHARS]
    out.assert_nothing_lost(3)


def test_line_longer_than_the_csv_buffer_is_not_silently_dropped(landing: Path):
    bad = record(2) + "," + "x" * (34 << 20)
    with (landing / "sales_lines.csv").open("w") as f:
        f.write(csv_text(HEADER + ",product_name", record(1) + ",a", bad, record(3) + ",c"))
    out = load(landing)
    assert out.col("invoice_id", out.accepted) == ["I1", "I3"]
    assert out.col("_load_error", out.rejected) == ["line_size_over_maximum"]
    out.assert_nothing_lost(3)


def test_several_malformed_records_each_kept_once_with_their_line(landing: Path):
    records = [
        record(1),
        record(2) + ",X",  # line 3: too many
        record(3),
        "I4,1",  # line 5: too few
        record(5),
        'I6,1,2024-01-06,A1,P1,1,"10',  # line 7: unterminated quote (last record)
    ]
    write(landing, "sales_lines.csv", csv_text(HEADER, *records))
    out = load(landing)
    assert out.col("invoice_id", out.accepted) == ["I1", "I3", "I5"]
    rejected = sorted(out.rejected, key=lambda r: r["_source_line"])
    assert [(r["_source_line"], r["_load_error"]) for r in rejected] == [
        (3, "too_many_columns"),
        (5, "missing_columns"),
        (7, "unquoted_value"),
    ]
    assert [r["_raw_record"].rstrip("\n") for r in rejected] == [records[1], records[3], records[5]]
    assert len({r["_source_row"] for r in out.rows}) == 6
    out.assert_nothing_lost(6)


def test_source_row_is_the_data_row_position_around_a_malformed_record(landing: Path):
    write(landing, "sales_lines.csv", csv_text(HEADER, record(1), record(2) + ",X", record(3)))
    out = load(landing)
    by_row = {r["_source_row"]: r for r in out.rows}
    assert by_row[1]["invoice_id"] == "I1"
    assert by_row[2]["_load_error"] == "too_many_columns"
    assert by_row[3]["invoice_id"] == "I3"


def test_whitespace_only_line_is_kept_as_rejected_row_and_blank_lines_skipped(landing: Path):
    text = csv_text(HEADER, record(1), "", record(2), "   ", record(3))
    write(landing, "sales_lines.csv", text)
    out = load(landing)
    assert out.col("invoice_id", out.accepted) == ["I1", "I2", "I3"]
    [rej] = out.rejected
    assert (rej["_load_error"], rej["_raw_record"], rej["_source_line"]) == (
        "missing_columns",
        "   ",
        5,
    )
    out.assert_nothing_lost(4)  # 3 records + 1 junk line; the empty line is no record


# --------------------------------------------------------------------------------------------
# Encodings, BOM, line endings
# --------------------------------------------------------------------------------------------


def test_latin1_header_without_mapping_raises_with_encoding_hint(landing: Path):
    header = HEADER + ",société"
    content = csv_text(header, record(1) + ",Générale").encode("latin-1")
    write(landing, "sales_lines.csv", content)
    with pytest.raises(LandingError) as exc:
        load(landing)
    msg = str(exc.value)
    assert msg.startswith("sales_lines.csv:")
    assert "not valid utf-8" in msg
    assert "encoding: latin-1" in msg


def test_latin1_data_without_mapping_raises_with_encoding_hint(landing: Path):
    header = HEADER + ",account_name"
    content = csv_text(header, record(1) + ",Plain", record(2) + ",Société Générale")
    write(landing, "sales_lines.csv", content.encode("latin-1"))
    with pytest.raises(LandingError) as exc:
        load(landing)
    msg = str(exc.value)
    assert "sales_lines.csv" in msg
    assert "line 3" in msg
    assert "encoding: latin-1" in msg


def test_windows_1252_bytes_under_latin1_mapping_stop_with_the_file_name(
    landing: Path, mapping_file
):
    # DuckDB's latin-1 refuses 0x80-0x9F, the bytes Windows-1252 uses for curly quotes and the
    # euro sign: a clear message, not DuckDB's bare error
    header = HEADER + ",account_name"
    content = csv_text(header, record(1) + ",O'Brien", record(2) + ",O\x92Brien \x80 Ltd")
    write(landing, "sales_lines.csv", content.encode("latin-1"))
    mapping = mapping_file("entities:\n  sales_lines:\n    encoding: latin-1\n")
    with pytest.raises(LandingError) as exc:
        load(landing, mapping=mapping)
    msg = str(exc.value)
    assert msg.startswith("sales_lines.csv: DuckDB cannot read it as latin-1")
    assert "save it as UTF-8" in msg


def test_parquet_timestamps_with_time_zone_read_the_same_in_every_zone(landing: Path):
    write_parquet(
        landing / "sales_lines.parquet",
        "select 'I1' as invoice_id, timestamptz '2025-05-31 22:30:00+00' as invoice_date, "
        "'A1' as account_id, 'P1' as product_id, 1 as quantity, 2.5 as unit_price",
    )
    conn = duckdb.connect()
    conn.execute("set TimeZone = 'Asia/Tokyo'")  # a machine nine hours ahead of UTC
    out = load(landing, conn=conn)
    assert out.col("invoice_date")[0].startswith("2025-05-31 22:30:00")


def test_latin1_with_mapping_loads_and_preserves_accents(landing: Path, mapping_file):
    header = HEADER + ",account_name,société"
    content = csv_text(header, record(1) + ",Société Générale,oui", record(2) + ",Zoë Crème,é")
    write(landing, "sales_lines.csv", content.encode("latin-1"))
    out = load(landing, mapping=mapping_file("entities:\n  sales_lines:\n    encoding: latin-1\n"))
    assert out.col("account_name") == ["Société Générale", "Zoë Crème"]
    assert out.log[0]["unexpected_columns"] == "société"
    out.assert_nothing_lost(2)


def test_utf8_bom_and_crlf_load_without_polluting_first_column(landing: Path):
    text = csv_text(HEADER + ",account_name", record(1) + ",Zoë", record(2) + ",Ørsted", eol="\r\n")
    write(landing, "sales_lines.csv", b"\xef\xbb\xbf" + text.encode("utf-8"))
    out = load(landing)
    assert out.col("invoice_id") == ["I1", "I2"]  # not lost to a '\ufeffinvoice_id' header
    assert out.col("account_name") == ["Zoë", "Ørsted"]  # no trailing '\r'
    assert out.log[0]["unexpected_columns"] == ""
    assert not any(
        isinstance(v, str) and ("\ufeff" in v or "\r" in v) for r in out.rows for v in r.values()
    )
    out.assert_nothing_lost(2)


def test_crlf_rejected_record_raw_text_is_verbatim(landing: Path):
    bad = record(2) + ",X"
    write(landing, "sales_lines.csv", csv_text(HEADER, record(1), bad, eol="\r\n"))
    out = load(landing)
    [rej] = out.rejected
    assert rej["_source_line"] == 3
    assert rej["_raw_record"].strip("\r\n") == bad
    assert rej["_raw_record"] in (bad, bad + "\r", bad + "\r\n")


def test_utf16_with_mapping_loads(landing: Path, mapping_file):
    text = csv_text(HEADER + ",account_name", record(1) + ",Zoë")
    write(landing, "sales_lines.csv", text.encode("utf-16"))
    out = load(landing, mapping=mapping_file("entities:\n  sales_lines:\n    encoding: utf-16\n"))
    assert out.col("account_name") == ["Zoë"]
    out.assert_nothing_lost(1)


# --------------------------------------------------------------------------------------------
# Delimiter, decimal mark, thousands separator, date format, quote
# --------------------------------------------------------------------------------------------


def test_semicolon_file_without_mapping_raises_with_delimiter_hint(landing: Path):
    write(landing, "sales_lines.csv", csv_text(HEADER.replace(",", ";"), record(1, sep=";")))
    with pytest.raises(LandingError) as exc:
        load(landing)
    msg = str(exc.value)
    assert msg.startswith("sales_lines.csv: required column(s) invoice_id, invoice_date")
    assert "missing from the header" in msg
    assert "looks ';'-delimited" in msg
    assert "delimiter: ';'" in msg


def test_tab_file_without_mapping_raises_with_tab_hint(landing: Path):
    write(landing, "sales_lines.csv", csv_text(HEADER.replace(",", "\t"), record(1, sep="\t")))
    with pytest.raises(LandingError, match=r"sales_lines\.csv: .*looks '\\t'-delimited"):
        load(landing)


def test_semicolon_mapping_normalises_decimal_mark_and_thousands(landing: Path, mapping_file):
    header = "invoice_id;invoice_date;account_id;product_id;quantity;unit_price;"
    header += "discount_amount;line_number;account_name"
    records = [
        "I1;2024-01-01;A1;P1;1.234,5;2,5;-0,75;1.000;Dupont S.A.",
        "I2;2024-01-02;A1;P1;7;1.000;;2;Société, Ltd",
    ]
    write(landing, "sales_lines.csv", csv_text(header, *records))
    mapping = mapping_file(
        "entities:\n  sales_lines:\n    delimiter: ';'\n    decimal_mark: ','\n"
        "    thousands_separator: '.'\n"
    )
    out = load(landing, mapping=mapping)
    assert out.col("quantity") == ["1234.5", "7"]
    assert out.col("unit_price") == ["2.5", "1000"]
    assert out.col("discount_amount") == ["-0.75", None]
    assert out.col("line_number") == ["1000", "2"]  # integers too
    assert out.col("account_name") == ["Dupont S.A.", "Société, Ltd"]  # text untouched
    assert out.col("invoice_date") == ["2024-01-01", "2024-01-02"]
    out.assert_nothing_lost(2)


def test_date_format_converts_to_iso_and_keeps_non_matching_values(landing: Path, mapping_file):
    header = "invoice_id,invoice_date,account_id,product_id,quantity,unit_price"
    values = ["31/01/2024", "2024-02-01", "31/02/2024", "not a date", "", "05/03/2024"]
    records = [f"I{i},{v},A1,P1,1,1" for i, v in enumerate(values, start=1)]
    write(landing, "sales_lines.csv", csv_text(header, *records))
    out = load(
        landing, mapping=mapping_file("entities:\n  sales_lines:\n    date_format: '%d/%m/%Y'\n")
    )
    assert out.col("invoice_date") == [
        "2024-01-31",
        "2024-02-01",  # already ISO: does not match, kept as is
        "31/02/2024",  # impossible date: kept as is, staging quarantines it
        "not a date",
        None,
        "2024-03-05",
    ]
    assert out.col("quantity") == ["1"] * 6  # numbers untouched by date_format
    out.assert_nothing_lost(6)


def test_mapping_quote_empty_disables_quoting(landing: Path, mapping_file):
    header = HEADER + ",account_name"
    write(landing, "sales_lines.csv", csv_text(header, record(1) + ',"Ltd', record(2) + ",ok"))
    out = load(landing, mapping=mapping_file("entities:\n  sales_lines:\n    quote: ''\n"))
    assert out.col("account_name") == ['"Ltd', "ok"]
    out.assert_nothing_lost(2)


def test_mapping_single_quote_as_quote_char(landing: Path, mapping_file):
    header = HEADER + ",account_name"
    write(landing, "sales_lines.csv", csv_text(header, record(1) + ",'Dupont, ''Fils'''"))
    out = load(landing, mapping=mapping_file('entities:\n  sales_lines:\n    quote: "\'"\n'))
    assert out.col("account_name") == ["Dupont, 'Fils'"]
    out.assert_nothing_lost(1)


# --------------------------------------------------------------------------------------------
# File-level statuses
# --------------------------------------------------------------------------------------------


def test_empty_file_has_status_empty_and_no_rows(landing: Path):
    path = write(landing, "sales_lines.csv", b"")
    out = load(landing)
    assert out.rows == []
    assert out.columns == [*SALES_COLUMNS, *LINEAGE_COLUMNS]
    [entry] = out.log
    assert (entry["file"], entry["status"], entry["bytes"], entry["rows_accepted"]) == (
        "sales_lines.csv",
        "empty",
        0,
        0,
    )
    assert entry["sha256"] == sha256(path)
    assert entry["message"] == "empty file: no header, no rows"


def test_blank_first_line_before_the_header_stops_with_the_file_name(landing: Path):
    # the first line is read as the header: a blank one made the whole file read as empty and
    # its rows vanished, the build passing
    write(landing, "sales_lines.csv", "\n" + csv_text(HEADER, record(1), record(2)))
    with pytest.raises(LandingError, match=r"^sales_lines\.csv: the first line is blank"):
        load(landing)


def test_blank_lines_only_and_bom_only_files_are_empty(landing: Path):
    write(landing, "sales_lines_a.csv", b"\n \r\n\n")
    write(landing, "sales_lines_b.csv", b"\xef\xbb\xbf")
    out = load(landing)
    assert out.rows == []
    assert [(e["file"], e["status"]) for e in out.log] == [
        ("sales_lines_a.csv", "empty"),
        ("sales_lines_b.csv", "empty"),
    ]


def test_header_only_file_has_status_header_only_and_no_rows(landing: Path):
    write(landing, "sales_lines.csv", csv_text(HEADER))
    out = load(landing)
    assert out.rows == []
    assert out.columns == [*SALES_COLUMNS, *LINEAGE_COLUMNS]
    [entry] = out.log
    assert (entry["status"], entry["rows_accepted"], entry["rows_rejected"]) == (
        "header_only",
        0,
        0,
    )


def test_header_only_file_without_final_newline_is_header_only(landing: Path):
    write(landing, "sales_lines.csv", HEADER)
    out = load(landing)
    assert out.rows == []
    assert out.log[0]["status"] == "header_only"


def test_same_content_delivered_twice_flags_the_second_file(landing: Path):
    text = csv_text(HEADER, record(1), record(2))
    first = write(landing, "sales_lines.csv", text)
    write(landing, "sales_lines_resent.csv", text)
    out = load(landing)
    by_file = {f: [r for r in out.rows if r["_source_file"] == f] for f in out.col("_source_file")}
    assert [r["_is_duplicate_file"] for r in by_file["sales_lines.csv"]] == [False, False]
    assert [r["_is_duplicate_file"] for r in by_file["sales_lines_resent.csv"]] == [True, True]
    assert set(out.col("_file_sha256")) == {sha256(first)}
    assert [(e["file"], e["status"], e["message"]) for e in out.log] == [
        ("sales_lines.csv", "loaded", ""),
        ("sales_lines_resent.csv", "duplicate_file", "same content as sales_lines.csv"),
    ]
    out.assert_nothing_lost(4)


def test_unexpected_column_is_logged_and_data_still_loaded(landing: Path):
    header = "Colour," + HEADER + ",Warehouse Code"
    write(landing, "sales_lines.csv", csv_text(header, "red," + record(1) + ",W 1"))
    out = load(landing)
    assert out.col("invoice_id") == ["I1"]
    assert out.columns == [*SALES_COLUMNS, *LINEAGE_COLUMNS]
    assert out.log[0]["unexpected_columns"] == "Colour, Warehouse Code"
    assert out.log[0]["status"] == "loaded"
    out.assert_nothing_lost(1)


def test_missing_optional_entity_gives_empty_relation_and_missing_log(landing: Path):
    write(landing, "sales_lines.csv", csv_text(HEADER, record(1)))
    out = load(landing, entity="accounts")
    assert out.rows == []
    assert out.columns == [*load_contract()["accounts"].column_names, *LINEAGE_COLUMNS]
    assert out.log == [
        {
            "entity": "accounts",
            "file": "",
            "file_format": "",
            "bytes": 0,
            "sha256": "",
            "status": "missing",
            "rows_accepted": 0,
            "rows_rejected": 0,
            "unexpected_columns": "",
            "message": "no file: optional entity not delivered",
        }
    ]


def test_missing_landing_folder_for_optional_entity_is_missing(tmp_path: Path):
    out = load(tmp_path / "does_not_exist", entity="contacts")
    assert out.rows == []
    assert [e["status"] for e in out.log] == ["missing"]


def test_missing_required_entity_raises_naming_entity_and_folder(landing: Path):
    write(landing, "accounts.csv", "account_id\nA1\n")
    with pytest.raises(LandingError) as exc:
        load(landing)
    msg = str(exc.value)
    assert "Required entity 'sales_lines' has no file" in msg
    assert str(landing.resolve()) in msg


def test_required_column_missing_raises_naming_file_and_columns(landing: Path):
    header = "invoice_id,invoice_date,account_id,product_id,quantity"
    write(landing, "sales_lines_2024.csv", csv_text(header, "I1,2024-01-01,A1,P1,1"))
    with pytest.raises(LandingError) as exc:
        load(landing)
    msg = str(exc.value)
    assert msg.startswith("sales_lines_2024.csv: required column(s) unit_price missing")
    assert f"({header.replace(',', ', ')})" in msg
    assert "delimited" not in msg  # no delimiter hint for a comma header


def test_write_load_log_replaces_the_entity_rows_and_clears_reports(landing: Path):
    write(landing, "sales_lines.csv", csv_text(HEADER, record(1)))
    conn = duckdb.connect()
    load(landing, conn=conn)
    load(landing, conn=conn)
    load(landing, entity="accounts", conn=conn)
    rows = conn.execute("select entity, file, status from landing.load_log order by 1").fetchall()
    assert rows == [("accounts", "", "missing"), ("sales_lines", "sales_lines.csv", "loaded")]


def test_find_files_default_patterns_are_sorted_and_entity_specific(landing: Path):
    for name in [
        "sales_lines_b.csv",
        "sales_lines.csv",
        "sales_lines.csv.gz",
        "sales_lines_a.parquet",
        "sales_linesX.csv",
        "sales_lines.txt",
        "accounts.csv",
    ]:
        write(landing, name, "")
    found = [p.name for p in find_files(landing, "sales_lines", EntityMapping())]
    assert found == [
        "sales_lines.csv",
        "sales_lines.csv.gz",
        "sales_lines_a.parquet",
        "sales_lines_b.csv",
    ]


# --------------------------------------------------------------------------------------------
# Mapping: columns, expressions, defaults
# --------------------------------------------------------------------------------------------

EXPORT_HEADER = "InvoiceNo,InvoiceDate,CustomerID,StockCode,Quantity,UnitPrice,Currency,Country"
EXPORT_COLUMNS = (
    "    columns: {invoice_id: InvoiceNo, invoice_date: InvoiceDate, account_id: CustomerID,\n"
    "              product_id: StockCode, quantity: Quantity, unit_price: UnitPrice}\n"
)


def test_mapping_columns_rename_export_columns_and_files_glob(landing: Path, mapping_file):
    write(
        landing,
        "online_retail_2024.csv",
        csv_text(EXPORT_HEADER, "536365,2024-01-01,17850,85123A,6,2.55,GBP,United Kingdom"),
    )
    write(landing, "sales_lines.csv", csv_text(HEADER, record(9)))  # ignored: glob given
    mapping = mapping_file(
        "entities:\n  sales_lines:\n    files: 'online_retail_*.csv'\n" + EXPORT_COLUMNS
    )
    out = load(landing, mapping=mapping)
    [row] = out.rows
    assert {c: row[c] for c in ["invoice_id", "account_id", "product_id", "quantity"]} == {
        "invoice_id": "536365",
        "account_id": "17850",
        "product_id": "85123A",
        "quantity": "6",
    }
    assert (row["currency"], row["country"]) == ("GBP", "United Kingdom")  # same-name columns
    assert row["_source_file"] == "online_retail_2024.csv"
    assert out.log[0]["unexpected_columns"] == ""
    out.assert_nothing_lost(1)


def test_mapping_expression_derives_document_type_from_invoice_prefix(landing: Path, mapping_file):
    write(
        landing,
        "sales_lines.csv",
        csv_text(
            EXPORT_HEADER,
            "536365,2024-01-01,17850,85123A,6,2.55,GBP,UK",
            "C536379,2024-01-02,17850,85123A,-1,27.5,GBP,UK",
        ),
    )
    mapping = mapping_file(
        "entities:\n  sales_lines:\n"
        + EXPORT_COLUMNS
        + "    expressions:\n"
        + "      document_type: \"case when InvoiceNo like 'C%' then 'credit_note' "
        + "else 'invoice' end\"\n"
        + '      line_number: "1"\n'
    )
    out = load(landing, mapping=mapping)
    assert out.col("invoice_id") == ["536365", "C536379"]
    assert out.col("document_type") == ["invoice", "credit_note"]
    assert out.col("line_number") == ["1", "1"]
    assert out.log[0]["unexpected_columns"] == ""
    out.assert_nothing_lost(2)


def test_mapping_expression_over_a_column_with_spaces_in_its_name(landing: Path, mapping_file):
    header = 'invoice_id,invoice_date,account_id,product_id,quantity,"Unit Price (EUR)"'
    write(landing, "sales_lines.csv", csv_text(header, "I1,2024-01-01,A1,P1,2,10"))
    mapping = mapping_file(
        "entities:\n  sales_lines:\n    expressions:\n      unit_price: '\"Unit Price (EUR)\"'\n"
    )
    out = load(landing, mapping=mapping)
    assert out.col("unit_price") == ["10"]
    assert out.log[0]["unexpected_columns"] == ""


def test_mapping_expression_column_reference_is_case_insensitive(landing: Path, mapping_file):
    write(landing, "sales_lines.csv", csv_text(EXPORT_HEADER, "C1,2024-01-01,A1,P1,1,1,EUR,FR"))
    mapping = mapping_file(
        "entities:\n  sales_lines:\n"
        + EXPORT_COLUMNS
        + "    expressions:\n"
        + "      document_type: \"case when invoiceno like 'C%' then 'credit_note' end\"\n"
    )
    out = load(landing, mapping=mapping)
    assert out.col("document_type") == ["credit_note"]


def test_mapping_expression_string_literals_are_not_rewritten(landing: Path, mapping_file):
    header = "invoice,invoice_date,account_id,product_id,quantity,unit_price"
    write(landing, "sales_lines.csv", csv_text(header, "X1,2024-01-01,A1,P1,1,1"))
    mapping = mapping_file(
        "entities:\n  sales_lines:\n    columns: {invoice_id: invoice}\n    expressions:\n"
        "      document_type: \"case when invoice like 'C%' then 'credit_note' "
        "else 'invoice' end\"\n"
    )
    out = load(landing, mapping=mapping)
    assert out.col("document_type") == ["invoice"]


def test_mapping_defaults_fill_absent_and_empty_columns(landing: Path, mapping_file):
    header = HEADER + ",currency"
    write(
        landing,
        "sales_lines.csv",
        csv_text(header, record(1) + ",USD", record(2) + ",", record(3) + ",  "),
    )
    mapping = mapping_file(
        "entities:\n  sales_lines:\n"
        "    defaults: {currency: EUR, country: FR, discount_amount: 0}\n"
    )
    out = load(landing, mapping=mapping)
    assert out.col("currency") == ["USD", "EUR", "EUR"]  # present value kept; empty -> default
    assert out.col("country") == ["FR", "FR", "FR"]  # absent column -> constant
    assert out.col("discount_amount") == ["0", "0", "0"]
    out.assert_nothing_lost(3)


def test_mapping_default_satisfies_a_required_column_absent_from_the_header(
    landing: Path, mapping_file
):
    header = "invoice_id,invoice_date,product_id,quantity,unit_price"
    write(landing, "sales_lines.csv", csv_text(header, "I1,2024-01-01,P1,1,1"))
    mapping = mapping_file("entities:\n  sales_lines:\n    defaults: {account_id: UNKNOWN}\n")
    out = load(landing, mapping=mapping)
    assert out.col("account_id") == ["UNKNOWN"]


def test_mapping_null_default_does_not_become_the_text_none(landing: Path, mapping_file):
    write(landing, "sales_lines.csv", csv_text(HEADER, record(1)))
    try:
        out = load(
            landing, mapping=mapping_file("entities:\n  sales_lines:\n    defaults: {currency: }\n")
        )
    except LandingError:  # acceptable: rejected as a mapping error
        return
    assert out.col("currency") == [None]


def test_mapping_file_without_entities_means_canonical_format(landing: Path, mapping_file):
    write(landing, "sales_lines.csv", csv_text(HEADER, record(1)))
    out = load(landing, mapping=mapping_file("# nothing to adapt\n"))
    assert out.col("invoice_id") == ["I1"]


def test_load_mapping_accepts_files_as_a_string_and_keeps_defaults(mapping_file):
    mapping = load_mapping(
        mapping_file("entities:\n  accounts:\n    files: 'crm_*.csv'\n    delimiter: '|'\n")
    )
    assert list(mapping) == ["accounts"]
    m = mapping["accounts"]
    assert m.files == ["crm_*.csv"]
    assert (m.delimiter, m.quote, m.encoding, m.decimal_mark) == ("|", '"', "utf-8", ".")
    assert load_mapping(None) == {}
    assert load_mapping("") == {}


# --------------------------------------------------------------------------------------------
# Mapping errors
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("yaml_text", "expected"),
    [
        pytest.param(
            "entities:\n  invoices: {delimiter: ';'}\n",
            "unknown entity 'invoices'; known entities: sales_lines, accounts",
            id="unknown-entity",
        ),
        pytest.param(
            "entities:\n  sales_lines: {separator: ';'}\n",
            "entity sales_lines: unknown setting(s) separator; allowed: columns, date_format",
            id="unknown-setting",
        ),
        pytest.param(
            "entities:\n  sales_lines:\n    columns: {invoice_number: InvoiceNo}\n",
            "entity sales_lines: 'invoice_number' is not a contract column",
            id="unknown-contract-column-in-columns",
        ),
        pytest.param(
            "entities:\n  sales_lines:\n    expressions: {doc_type: \"'x'\"}\n",
            "'doc_type' is not a contract column",
            id="unknown-contract-column-in-expressions",
        ),
        pytest.param(
            "entities:\n  sales_lines:\n    defaults: {vat: 0.2}\n",
            "'vat' is not a contract column",
            id="unknown-contract-column-in-defaults",
        ),
        pytest.param(
            "entities:\n  sales_lines:\n    expressions:\n"
            "      document_type: \"'invoice'; drop table landing.load_log\"\n",
            "expression for document_type: ';' and '--' are not allowed",
            id="semicolon-in-expression",
        ),
        pytest.param(
            "entities:\n  sales_lines:\n    expressions:\n"
            "      document_type: \"'invoice' -- comment\"\n",
            "expression for document_type: ';' and '--' are not allowed",
            id="comment-in-expression",
        ),
        pytest.param(
            "entities:\n  sales_lines: {encoding: cp1252}\n",
            "encoding 'cp1252' is not supported; use one of utf-8, latin-1, utf-16",
            id="unsupported-encoding",
        ),
        pytest.param(
            "entities: [\n",
            "is not valid YAML",
            id="invalid-yaml",
        ),
    ],
)
def test_mapping_error_names_the_file_and_the_problem(
    landing: Path, mapping_file, yaml_text: str, expected: str
):
    path = mapping_file(yaml_text)
    with pytest.raises(LandingError) as exc:
        LandingReader(duckdb.connect(), landing, path)
    msg = str(exc.value)
    assert msg.startswith(f"Mapping file {path}")
    assert expected in msg


def test_missing_mapping_file_raises(tmp_path: Path, landing: Path):
    path = tmp_path / "nope.yml"
    with pytest.raises(LandingError) as exc:
        LandingReader(duckdb.connect(), landing, path)
    assert str(exc.value) == (
        f"Mapping file {path} not found (set KAM_MAPPING to an existing file)."
    )


@pytest.mark.parametrize(
    "yaml_text",
    [
        pytest.param("- sales_lines\n", id="top-level-list"),
        pytest.param("entities:\n  - sales_lines\n", id="entities-list"),
    ],
)
def test_mapping_that_is_not_a_mapping_raises_landing_error(
    landing: Path, mapping_file, yaml_text: str
):
    path = mapping_file(yaml_text)
    with pytest.raises(LandingError, match="Mapping file"):
        LandingReader(duckdb.connect(), landing, path)


# --------------------------------------------------------------------------------------------
# Other formats and several files
# --------------------------------------------------------------------------------------------


def test_gzip_csv_is_read_and_malformed_records_kept(landing: Path):
    text = csv_text(HEADER, record(1), record(2) + ",X", record(3))
    path = write(landing, "sales_lines.csv.gz", gzip.compress(text.encode("utf-8")))
    out = load(landing)
    assert out.col("invoice_id", out.accepted) == ["I1", "I3"]
    [rej] = out.rejected
    assert (rej["_load_error"], rej["_source_line"], rej["_raw_record"]) == (
        "too_many_columns",
        3,
        record(2) + ",X",
    )
    assert set(out.col("_source_file")) == {"sales_lines.csv.gz"}
    assert set(out.col("_file_sha256")) == {sha256(path)}  # hash of the delivered bytes
    assert (out.log[0]["file_format"], out.log[0]["status"]) == ("csv", "loaded")
    out.assert_nothing_lost(3)


def test_empty_gzip_csv_is_empty(landing: Path):
    write(landing, "sales_lines.csv.gz", gzip.compress(b""))
    out = load(landing)
    assert out.rows == []
    assert out.log[0]["status"] == "empty"


def test_parquet_columns_by_name_and_source_row_from_file_row_number(landing: Path):
    path = landing / "sales_lines.parquet"
    write_parquet(
        path,
        "select * from (values "
        "(10.5::decimal(10,2), 'P1', 'I1', date '2024-01-31', 'A1', 2, 'red'), "
        "(1234.5::decimal(10,2), 'P2', 'I2', date '2024-02-01', 'A2', 3, 'blue'), "
        "(0::decimal(10,2), 'P3', 'I3', date '2024-02-02', 'A3', -1, null)) "
        "t(Unit_Price, PRODUCT_ID, invoice_id, Invoice_Date, account_id, quantity, colour)",
    )
    out = load(landing)
    assert out.columns == [*SALES_COLUMNS, *LINEAGE_COLUMNS]
    assert out.col("invoice_id") == ["I1", "I2", "I3"]
    assert out.col("unit_price") == ["10.50", "1234.50", "0.00"]  # cast to text
    assert out.col("invoice_date") == ["2024-01-31", "2024-02-01", "2024-02-02"]
    assert out.col("quantity") == ["2", "3", "-1"]
    assert out.col("line_number") == [None, None, None]
    assert out.col("_source_row") == [1, 2, 3]
    assert out.col("_source_line") == [None, None, None]
    assert out.col("_load_error") == [None, None, None]
    assert set(out.col("_file_sha256")) == {sha256(path)}
    [entry] = out.log
    assert (entry["file_format"], entry["status"], entry["rows_accepted"]) == (
        "parquet",
        "loaded",
        3,
    )
    assert entry["unexpected_columns"] == "colour"


def test_parquet_missing_required_column_raises(landing: Path):
    write_parquet(landing / "sales_lines.parquet", "select 'I1' as invoice_id")
    with pytest.raises(LandingError, match=r"^sales_lines\.parquet: required column\(s\) "):
        load(landing)


def test_unreadable_parquet_raises_naming_the_file(landing: Path):
    write(landing, "sales_lines.parquet", b"this is not parquet")
    with pytest.raises(LandingError, match=r"^sales_lines\.parquet: not a readable Parquet file"):
        load(landing)


def test_parquet_numbers_are_not_mangled_by_csv_number_format(landing: Path, mapping_file):
    write_parquet(
        landing / "sales_lines_2024.parquet",
        "select 'I1' invoice_id, date '2024-01-31' invoice_date, 'A1' account_id, "
        "'P1' product_id, 2 quantity, 10.5::decimal(10,2) unit_price",
    )
    mapping = mapping_file(
        "entities:\n  sales_lines:\n    decimal_mark: ','\n    thousands_separator: '.'\n"
    )
    out = load(landing, mapping=mapping)
    assert out.col("unit_price") == ["10.50"]


def test_multiple_files_are_unioned_with_distinct_source_file(landing: Path):
    write(landing, "sales_lines_2023.csv", csv_text(HEADER, record(1), record(2)))
    write(landing, "sales_lines_2024.csv", csv_text(HEADER, record(3), record(4) + ",X"))
    write_parquet(
        landing / "sales_lines_2025.parquet",
        "select 'I5' invoice_id, '2025-01-01' invoice_date, 'A1' account_id, "
        "'P1' product_id, '1' quantity, '1' unit_price",
    )
    out = load(landing)
    assert [(r["_source_file"], r["_source_row"], r["invoice_id"]) for r in out.rows] == [
        ("sales_lines_2023.csv", 1, "I1"),
        ("sales_lines_2023.csv", 2, "I2"),
        ("sales_lines_2024.csv", 1, "I3"),
        ("sales_lines_2024.csv", 2, None),
        ("sales_lines_2025.parquet", 1, "I5"),
    ]
    assert len(set(out.col("_file_sha256"))) == 3
    assert out.col("_is_duplicate_file") == [False] * 5
    assert [(e["file"], e["rows_accepted"], e["rows_rejected"]) for e in out.log] == [
        ("sales_lines_2023.csv", 2, 0),
        ("sales_lines_2024.csv", 1, 1),
        ("sales_lines_2025.parquet", 1, 0),
    ]
    out.assert_nothing_lost(5)


def test_mapping_files_glob_list_reads_every_matching_file(landing: Path, mapping_file):
    write(landing, "export_a.txt", csv_text(HEADER, record(1)))
    write(landing, "export_b.dat", csv_text(HEADER, record(2)))
    mapping = mapping_file(
        "entities:\n  sales_lines:\n    files: ['export_*.txt', 'export_*.dat']\n"
    )
    out = load(landing, mapping=mapping)
    assert out.col("_source_file") == ["export_a.txt", "export_b.dat"]
    out.assert_nothing_lost(2)


# --------------------------------------------------------------------------------------------
# Values are loaded verbatim (normalisation is staging's job)
# --------------------------------------------------------------------------------------------


def test_injection_like_text_is_loaded_verbatim_and_never_executed(landing: Path, mapping_file):
    conn = duckdb.connect()
    conn.execute("create table x as select 1 as i")
    evil = "Robert'); drop table x;--"
    header = HEADER + ",account_name,product_name"
    write(
        landing,
        "sales_lines_o'brien.csv",  # a quote in the file name goes into SQL text too
        csv_text(header, record(1) + f',"{evil}",\'; select 1; --'),
    )
    mapping = mapping_file(
        'entities:\n  sales_lines:\n    defaults:\n      rep_id: "x\'); drop table x; --"\n'
    )
    out = load(landing, mapping=mapping, conn=conn)
    [row] = out.rows
    assert row["account_name"] == evil
    assert row["product_name"] == "'; select 1; --"
    assert row["rep_id"] == "x'); drop table x; --"
    assert row["_source_file"] == "sales_lines_o'brien.csv"
    assert conn.execute("select i from x").fetchall() == [(1,)]
    out.assert_nothing_lost(1)


def test_apostrophes_and_decomposed_accents_are_loaded_verbatim(landing: Path):
    nfd = unicodedata.normalize("NFD", "Crème Brûlée")
    names = ["L'Oréal", "L’Oréal", nfd, "  padded  ", "ÆØÅ 北京 🚀"]
    header = HEADER + ",account_name"
    records = [record(i) + f',"{name}"' for i, name in enumerate(names, start=1)]
    write(landing, "sales_lines.csv", csv_text(header, *records))
    out = load(landing)
    assert out.col("account_name") == names
    assert out.rows[2]["account_name"] != unicodedata.normalize("NFC", nfd)  # still NFD
    out.assert_nothing_lost(len(names))
