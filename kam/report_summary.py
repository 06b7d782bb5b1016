"""A short, human summary of a built warehouse: where it is, what it holds, what was held back."""

from __future__ import annotations

from pathlib import Path

import duckdb


def _rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.sql(sql).fetchall()


def summary_text(db: Path) -> str:
    if not db.exists():
        return f"No warehouse at {db}: run `make run` first."
    con = duckdb.connect(str(db), read_only=True)
    try:
        lines = [f"Warehouse: {db}  (open read-only: duckdb.connect(path, read_only=True))"]
        (as_of,) = _rows(
            con,
            "select as_of_date || ' (' || as_of_date_origin || ')' "
            "from intermediate.int_as_of_date",
        )[0]
        lines.append(f"As of: {as_of}")
        lines.append("Marts (schema marts):")
        for name, n in _rows(
            con,
            """
                select table_name, estimated_size from duckdb_tables()
                where schema_name = 'marts' order by table_name""",
        ):
            lines.append(f"    {name:<40} {n:>12,} rows")
        lines.append("Reconciliation (rows read = clean + excluded + quarantined):")
        for entity, read, clean, excl, quar, unacc in _rows(
            con,
            """
                select entity, sum(rows_read), sum(clean_rows), sum(excluded_rows),
                       sum(quarantined_rows), sum(unaccounted_rows)
                from marts.dq_reconciliation group by entity order by entity""",
        ):
            flag = "" if unacc == 0 else f"   <-- {unacc} UNACCOUNTED"
            lines.append(
                f"    {entity:<26} read {read:>10,}  clean {clean:>10,}  "
                f"excluded {excl:>8,}  quarantined {quar:>8,}{flag}"
            )
        missing = _rows(
            con,
            "select entity from staging.stg_landing__load_log "
            "where load_status = 'missing' order by entity",
        )
        if missing:
            lines.append(
                "Optional entities not delivered (their columns are null, with a reason): "
                + ", ".join(m[0] for m in missing)
            )
        top = _rows(
            con,
            """select reason_code, count(*) from marts.dq_quarantine
                            group by reason_code order by 2 desc, 1 limit 5""",
        )
        if top:
            lines.append(
                "Top quarantine reasons (see marts.dq_quarantine): "
                + ", ".join(f"{r} {n:,}" for r, n in top)
            )
        return "\n".join(lines)
    finally:
        con.close()
