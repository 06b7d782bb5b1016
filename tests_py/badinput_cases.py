"""Helpers of the bad-input suite (tests_py/test_bad_inputs.py): crafted landing files and a
`Case` that builds them with dbt (kam/inprocess.py) and reads the resulting warehouse."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import duckdb

from kam.contract import load_contract
from kam.inprocess import BuildOutcome, InProcessBuilder

SALES_COLUMNS: list[str] = list(load_contract()["sales_lines"].column_names)
TRACEBACK = "Traceback (most recent call last)"

#: A small, valid delivery: 8 lines, 3 accounts, 3 products, GBP and EUR, one credit note.
BASE_ROWS: list[dict[str, str]] = [
    dict(zip(SALES_COLUMNS, r.split("|"), strict=True))
    for r in [
        "INV001|1|2024-03-01|ACC1|PRD1|2|10.00|0|GBP|invoice|REP1|Acme Ltd|GB|Widget|Tools",
        "INV001|2|2024-03-01|ACC1|PRD2|1|25.50|2.50|GBP|invoice|REP1|Acme Ltd|GB|Gadget|Tools",
        "INV002|1|2024-03-15|ACC2|PRD1|5|10.00|0|EUR|invoice|REP2|Beta SA|FR|Widget|Tools",
        "INV003|1|2024-04-02|ACC3|PRD3|3|7.25|0|GBP|invoice|REP1|Gamma GmbH|DE|Gizmo|Parts",
        "INV004|1|2024-04-20|ACC1|PRD3|10|7.25|5.00|GBP|invoice|REP1|Acme Ltd|GB|Gizmo|Parts",
        "INV005|1|2024-05-05|ACC2|PRD2|4|25.50|0|EUR|invoice|REP2|Beta SA|FR|Gadget|Tools",
        "CN001|1|2024-05-10|ACC1|PRD1|-1|10.00|0|GBP|credit_note|REP1|Acme Ltd|GB|Widget|Tools",
        "INV006|1|2024-06-01|ACC3|PRD1|6|10.00|0|GBP|invoice|REP2|Gamma GmbH|DE|Widget|Tools",
    ]
]
LAST_BASE_DATE = "2024-06-01"


def line(invoice_id: str, **values: str) -> dict[str, str]:
    """A valid sales line (line 1 of `invoice_id`, dated in the base period) with overrides."""
    row = dict(BASE_ROWS[0], invoice_id=invoice_id, line_number="1", invoice_date="2024-05-20")
    unknown = set(values) - set(row)
    assert not unknown, f"not a sales_lines column: {unknown}"
    row.update(values)
    return row


def _record(values: list[str], delimiter: str = ",", eol: str = "\n") -> str:
    out = io.StringIO()
    csv.writer(out, delimiter=delimiter, lineterminator=eol).writerow(values)
    return out.getvalue()


def sales_file(
    *items: Mapping[str, str] | str,
    columns: list[str] | None = None,
    delimiter: str = ",",
    eol: str = "\n",
) -> str:
    """A sales_lines file: a header, then one record per item, in order (item i is data row
    i + 1, on physical line i + 2). A dict is written as a CSV record (quoted only where
    needed, as most exports do); a str verbatim, so it can be malformed on purpose."""
    columns = columns or SALES_COLUMNS
    out = [_record(columns, delimiter, eol)]
    for item in items:
        if isinstance(item, str):
            out.append(item + eol)
        else:
            out.append(_record([item.get(c, "") for c in columns], delimiter, eol))
    return "".join(out)


def sales_csv(*extra: Mapping[str, str] | str, eol: str = "\n") -> str:
    """The base delivery followed by the extra items (data rows 9, 10, ...)."""
    return sales_file(*BASE_ROWS, *extra, eol=eol)


def raw(row: Mapping[str, str], delimiter: str = ",") -> str:
    """A row as one unquoted CSV record (to be edited into a malformed one)."""
    return delimiter.join(row[c] for c in SALES_COLUMNS)


def table_csv(header: str, *records: str) -> str:
    return "\n".join([header, *records]) + "\n"


@dataclass
class Rejection:
    reason_code: str
    reason_detail: str | None
    disposition: str
    raw_record: str | None
    source_line: int | None


class Case:
    """One landing folder, built into its own DuckDB file."""

    def __init__(self, builder: InProcessBuilder, folder: Path):
        self.builder = builder
        self.folder = folder
        self.landing = folder / "landing"
        self.landing.mkdir(parents=True, exist_ok=True)
        self.mapping: Path | None = None
        self.outcome: BuildOutcome | None = None

    # -- input --------------------------------------------------------------------------------

    def write(self, name: str, content: str | bytes) -> Path:
        path = self.landing / name
        path.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
        return path

    def write_mapping(self, text: str) -> Path:
        self.mapping = self.folder / "mapping.yml"
        self.mapping.write_text(text, encoding="utf-8")
        return self.mapping

    def build(self, *, vars_yaml: str | None = None, tests: bool = False) -> Case:
        self.outcome = self.builder.build(
            self.landing,
            self.folder / "kam.duckdb",
            vars_yaml=vars_yaml,
            mapping=self.mapping,
            tests=tests,
        )
        return self

    # -- outcome ------------------------------------------------------------------------------

    @property
    def output(self) -> str:
        assert self.outcome is not None, "build() first"
        return self.outcome.output

    def assert_built(self) -> Case:
        o = self.outcome
        assert o is not None
        assert TRACEBACK not in o.output
        assert o.ok, f"build failed:\n{o.stderr}\n{o.stdout[-3000:]}"
        return self

    def assert_stopped(self, *phrases: str) -> Case:
        """The build failed, with every phrase in what the user reads and no traceback."""
        o = self.outcome
        assert o is not None
        assert not o.ok, "the build should have stopped"
        assert TRACEBACK not in o.output
        for phrase in phrases:
            assert phrase in o.output, f"{phrase!r} not in the output:\n{o.output[-3000:]}"
        return self

    def q(self, sql: str, params: list[Any] | None = None) -> list[tuple]:
        con = duckdb.connect(str(self.folder / "kam.duckdb"), read_only=True)
        try:
            return con.execute(sql, params or []).fetchall()
        finally:
            con.close()

    def rows(self, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
        con = duckdb.connect(str(self.folder / "kam.duckdb"), read_only=True)
        try:
            cur = con.execute(sql, params or [])
            cols = [d[0] for d in cur.description]
            return [dict(zip(cols, r, strict=True)) for r in cur.fetchall()]
        finally:
            con.close()

    def rejections(self, entity: str = "sales_lines") -> dict[tuple[str, int], Rejection]:
        """Quarantined and excluded rows of an entity, by (file, data row)."""
        found = self.q(
            """
            select source_file, source_row, reason_code, reason_detail, 'quarantine',
                   raw_record, source_line
            from marts.dq_quarantine where entity = ?
            union all
            select source_file, source_row, reason_code, reason_detail, 'exclusion',
                   raw_record, source_line
            from marts.dq_exclusions where entity = ?
            """,
            [entity, entity],
        )
        out: dict[tuple[str, int], Rejection] = {}
        for file, row, *rest in found:
            assert (file, row) not in out, f"{file}:{row} rejected twice"
            out[(file, row)] = Rejection(*rest)
        return out

    def assert_rejected(
        self,
        expected: Mapping[tuple[str, int], tuple[str, str | None] | str],
        entity: str = "sales_lines",
    ) -> dict[tuple[str, int], Rejection]:
        """Exactly these rows are held back, each with this reason (and detail when given)."""
        got = self.rejections(entity)
        assert set(got) == set(expected), (
            f"rejected rows differ: got {sorted((k, v.reason_code) for k, v in got.items())}"
        )
        for key, want in expected.items():
            code, detail = (want, None) if isinstance(want, str) else want
            assert got[key].reason_code == code, (key, got[key])
            if detail is not None:
                assert got[key].reason_detail == detail, (key, got[key])
        return got

    def reconciliation(self) -> dict[str, dict[str, Any]]:
        return {
            r["reconciliation_id"]: r
            for r in self.rows("select * from marts.dq_reconciliation order by reconciliation_id")
        }

    def assert_reconciles(self, rows_written: Mapping[str, int]) -> None:
        """Nothing lost: every file's rows are read and accounted for (clean + excluded +
        quarantined), and the loader read as many rows as were written to each file."""
        recon = self.reconciliation()
        for rid, r in recon.items():
            assert r["unaccounted_rows"] == 0, (rid, r)
            assert r["rows_read"] == r["clean_rows"] + r["excluded_rows"] + r["quarantined_rows"]
        for file, n in rows_written.items():
            matching = [r for r in recon.values() if r["source_file"] == file]
            assert len(matching) == 1, (file, sorted(recon))
            assert matching[0]["rows_read"] == n, (file, matching[0])

    def fact(self, where: str = "true", columns: str = "*") -> list[dict[str, Any]]:
        return self.rows(
            f"select {columns} from marts.fct_sales_lines where {where} "
            "order by source_file, source_row"
        )

    def fact_count(self) -> int:
        return self.q("select count(*) from marts.fct_sales_lines")[0][0]

    def load_log(self) -> dict[str, dict[str, Any]]:
        return {
            r["source_file"] or f"<{r['entity']}>": r
            for r in self.rows("select * from staging.stg_landing__load_log")
        }
