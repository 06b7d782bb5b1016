"""Locked-down, read-only connections to the published warehouse, for analysts and BI tools.

`connect_readonly(path)` opens the file read-only with every way out of the database closed:

- no external access: no COPY TO, read_csv/read_parquet/glob of local files, ATTACH, INSTALL,
  http(s)/s3 reads, persistent secrets (only DuckDB's own spill folder is reachable);
- no extension autoinstall/autoload, no community or unsigned extensions;
- the configuration is locked: SET, RESET and PRAGMA that change a setting fail.

Reading the marts, temporary tables and `SET VARIABLE` still work. Other clients (DBeaver, the
DuckDB CLI, ODBC, R, SQLAlchemy) get the same settings from `LOCKDOWN_SETTINGS` or `lockdown_sql()`
(print it with `python -m kam.readers`); docs/readers.md has the recipes and a query that checks a
connection (`check_lockdown`).

A connection reads the published version that was current when it opened and keeps reading it,
consistently, whatever is published afterwards: reconnect to see a newer version. Within one Python
process DuckDB shares one database instance per path while any connection to it is open, so a new
connection sees a newer version only once the process has closed all its connections to that path.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

import duckdb

# Applied at start-up, before the database is opened: these cannot be changed afterwards.
LOCKDOWN_SETTINGS: dict[str, bool] = {
    "enable_external_access": False,
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
    "allow_unsigned_extensions": False,
    "lock_configuration": True,
}

# What a locked-down connection reports in duckdb_settings() (plus access_mode read_only).
EXPECTED_SETTINGS: dict[str, str] = {
    "access_mode": "read_only",
    **{k: str(v).lower() for k, v in LOCKDOWN_SETTINGS.items()},
}

# Settings a client can still SET after opening the file (init / bootstrap SQL), in a safe order:
# lock_configuration last, or the other SETs would be refused. allow_unsigned_extensions is off by
# default and cannot be changed on a running database, so it is not in the SQL.
_SQL_ORDER = (
    "autoinstall_known_extensions",
    "autoload_known_extensions",
    "allow_community_extensions",
    "enable_external_access",
    "lock_configuration",
)


def lockdown_sql() -> str:
    """SET statements that lock down a connection opened read-only by another client."""
    return "\n".join(f"SET {name} = {str(LOCKDOWN_SETTINGS[name]).lower()};" for name in _SQL_ORDER)


def connect_readonly(
    path: str | Path,
    *,
    memory_limit: str | None = None,
    threads: int | None = None,
    temp_directory: str | Path | None = None,
    allowed_directories: Iterable[str | Path] = (),
) -> duckdb.DuckDBPyConnection:
    """Open `path` read-only, locked down (see the module docstring).

    memory_limit, threads, temp_directory: resources, fixed for the connection's life (the
    configuration is locked). DuckDB spills to `<path>.tmp/` by default, with per-process file
    names, so many readers can share it.
    allowed_directories: folders that stay readable and writable despite the lockdown (the Parquet
    export writes into its staging folder this way); empty for analysts and BI tools.
    """
    db = Path(path)
    if not db.is_file():
        raise FileNotFoundError(f"no published warehouse at {db}: run `python -m kam run` first")
    allowed = [str(Path(d).absolute()).rstrip("/") + "/" for d in allowed_directories]
    config: dict[str, object] = {k: v for k, v in LOCKDOWN_SETTINGS.items()}
    if allowed:
        # allowed_directories can only be set on a running database: open with external access
        # on, then close it and lock the configuration before anyone else gets the connection.
        config.pop("enable_external_access")
        config.pop("lock_configuration")
    if memory_limit is not None:
        config["memory_limit"] = memory_limit
    if threads is not None:
        config["threads"] = threads
    if temp_directory is not None:
        config["temp_directory"] = str(temp_directory)
    try:
        con = duckdb.connect(str(db), read_only=True, config=config)
    except duckdb.ConnectionException as exc:
        if "different configuration" in str(exc):
            raise duckdb.ConnectionException(
                f"{exc}. This process already has {db} open with other settings (e.g. a plain "
                "duckdb.connect): close those connections first, or use only connect_readonly."
            ) from exc
        raise
    if allowed:
        try:
            con.execute("set allowed_directories = ?", [allowed])
            con.execute("set enable_external_access = false")
            con.execute("set lock_configuration = true")
        except BaseException:
            con.close()
            raise
    return con


def check_lockdown(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Settings of `con` that differ from the lockdown (an empty list means locked down)."""
    names = list(EXPECTED_SETTINGS)
    marks = ", ".join("?" for _ in names)
    actual = dict(
        con.execute(
            f"select name, lower(value) from duckdb_settings() where name in ({marks})", names
        ).fetchall()
    )
    return [
        f"{name} is {actual.get(name, 'missing')}, expected {want}"
        for name, want in EXPECTED_SETTINGS.items()
        if actual.get(name) != want
    ]


CHECK_SQL = (
    "select name, value from duckdb_settings() where name in ("
    + ", ".join(f"'{n}'" for n in EXPECTED_SETTINGS)
    + ") order by name;"
)


if __name__ == "__main__":  # print the init SQL for other clients: python -m kam.readers
    sys.stdout.write(lockdown_sql() + "\n")
