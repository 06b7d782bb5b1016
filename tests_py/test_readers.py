"""Readers' lockdown: a read-only connection that reads the marts and can do nothing else."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from kam.contract import PROJECT_DIR
from kam.readers import (
    CHECK_SQL,
    EXPECTED_SETTINGS,
    LOCKDOWN_SETTINGS,
    check_lockdown,
    connect_readonly,
    lockdown_sql,
)


@pytest.fixture
def warehouse(tmp_path) -> Path:
    db = tmp_path / "kam.duckdb"
    con = duckdb.connect(str(db))
    con.execute("create schema marts")
    con.execute(
        "create table marts.dim_accounts as select 'A' || range as account_id from range(5)"
    )
    con.execute("create table marts.fct_sales_lines as select range as n from range(10)")
    con.close()
    return db


@pytest.fixture
def con(warehouse):
    c = connect_readonly(warehouse)
    yield c
    c.close()


def test_reads_the_marts(con):
    assert con.execute("select count(*) from marts.dim_accounts").fetchall() == [(5,)]
    assert con.sql("select sum(n) from marts.fct_sales_lines").fetchall() == [(45,)]
    assert check_lockdown(con) == []


def test_temporary_tables_still_work(con):
    # in memory, nothing reaches the file system: analysts may stage intermediate results
    con.execute("create temp table top as select * from marts.dim_accounts limit 2")
    assert con.execute("select count(*) from top").fetchall() == [(2,)]


def test_copy_to_a_file_fails(con, tmp_path):
    target = tmp_path / "leak.csv"
    with pytest.raises(duckdb.PermissionException):
        con.execute(f"copy marts.dim_accounts to '{target}'")
    with pytest.raises(duckdb.PermissionException):
        con.execute(f"copy (select 1) to '{tmp_path / 'leak.parquet'}' (format parquet)")
    with pytest.raises(duckdb.PermissionException):
        con.execute(f"export database '{tmp_path / 'dump'}'")
    assert not target.exists() and not (tmp_path / "dump").exists()


@pytest.mark.parametrize(
    "reader", ["read_csv('{p}')", "read_text('{p}')", "read_blob('{p}')", "glob('{d}/*')", "'{p}'"]
)
def test_reading_local_files_fails(con, tmp_path, reader):
    secret = tmp_path / "secret.csv"
    secret.write_text("a,b\n1,2\n")
    with pytest.raises(duckdb.PermissionException):
        con.execute("select * from " + reader.format(p=secret, d=tmp_path)).fetchall()


@pytest.mark.parametrize(
    "statement",
    [
        "set enable_external_access = true",
        "set lock_configuration = false",
        "reset lock_configuration",
        "set autoload_known_extensions = true",
        "set autoinstall_known_extensions = true",
        "set allow_community_extensions = true",
        "set threads = 1",
        "set memory_limit = '100GB'",
        "set allowed_directories = ['/']",
        "set temp_directory = '/tmp'",
        "pragma enable_profiling",
        "pragma memory_limit = '1GB'",
    ],
)
def test_configuration_changes_fail(con, statement):
    with pytest.raises(duckdb.InvalidInputException, match="configuration has been locked"):
        con.execute(statement)
    assert check_lockdown(con) == []


def test_attach_fails(con, tmp_path):
    other = tmp_path / "other.duckdb"
    duckdb.connect(str(other)).close()
    with pytest.raises(duckdb.PermissionException):
        con.execute(f"attach '{other}' as other")
    with pytest.raises(duckdb.Error):
        con.execute("attach ':memory:' as scratch")
    assert {
        r[0] for r in con.execute("select database_name from duckdb_databases()").fetchall()
    } <= {
        "kam",
        "system",
        "temp",
    }


@pytest.mark.parametrize(
    "statement",
    [
        "insert into marts.dim_accounts values ('X')",
        "update marts.fct_sales_lines set n = 0",
        "delete from marts.fct_sales_lines",
        "drop table marts.dim_accounts",
        "create table marts.mine as select 1 as x",
        "create view marts.v as select 1 as x",
        "alter table marts.dim_accounts add column y integer",
        "create schema scratch",
    ],
)
def test_writes_fail(con, warehouse, statement):
    with pytest.raises(duckdb.Error, match="read-only"):
        con.execute(statement)
    assert con.execute("select count(*) from marts.fct_sales_lines").fetchall() == [(10,)]


def test_extensions_cannot_be_installed_or_loaded(con):
    with pytest.raises(duckdb.Error):
        con.execute("install httpfs")
    with pytest.raises(duckdb.Error):
        con.execute("load httpfs")
    with pytest.raises(duckdb.PermissionException):
        con.execute("select * from read_csv('https://example.com/x.csv')")


def test_the_init_sql_locks_a_plain_read_only_connection(warehouse, tmp_path):
    """What docs/readers.md tells other clients to run (DBeaver bootstrap queries, CLI -init)."""
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        assert check_lockdown(con)  # a plain read-only connection is not locked down
        con.execute(lockdown_sql())
        assert check_lockdown(con) == []
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"copy marts.dim_accounts to '{tmp_path / 'x.csv'}'")
        with pytest.raises(duckdb.InvalidInputException):
            con.execute("set enable_external_access = true")
        rows = dict(con.execute(CHECK_SQL).fetchall())
        assert rows == EXPECTED_SETTINGS
    finally:
        con.close()


def test_allowed_directories_open_one_folder_only(warehouse, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    con = connect_readonly(warehouse, allowed_directories=[out])
    try:
        assert check_lockdown(con) == []
        con.execute(f"copy marts.dim_accounts to '{out / 'a.parquet'}' (format parquet)")
        assert (out / "a.parquet").is_file()
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"copy marts.dim_accounts to '{tmp_path / 'b.parquet'}' (format parquet)")
        with pytest.raises(duckdb.PermissionException):
            con.execute(f"copy marts.dim_accounts to '{out}/../c.parquet' (format parquet)")
        with pytest.raises(duckdb.InvalidInputException):
            con.execute("set allowed_directories = ['/']")
    finally:
        con.close()


def test_resources_can_be_set_at_connection_time(warehouse, tmp_path):
    con = connect_readonly(warehouse, memory_limit="256MB", threads=1, temp_directory=tmp_path)
    try:
        settings = dict(
            con.execute(
                "select name, value from duckdb_settings() "
                "where name in ('threads', 'temp_directory')"
            ).fetchall()
        )
        assert settings["threads"] == "1"
        assert Path(settings["temp_directory"]) == tmp_path
        assert check_lockdown(con) == []
    finally:
        con.close()


def test_missing_warehouse_says_what_to_do(tmp_path):
    with pytest.raises(FileNotFoundError, match="kam run"):
        connect_readonly(tmp_path / "nothing.duckdb")
    assert not (tmp_path / "nothing.duckdb").exists()


def test_docs_list_every_lockdown_setting():
    doc = (PROJECT_DIR / "docs" / "readers.md").read_text()
    for name in [*LOCKDOWN_SETTINGS, "duckdb.read_only", "read_only=True"]:
        assert name in doc, f"docs/readers.md does not mention {name}"
    assert lockdown_sql() in doc  # the init SQL shown to users is the one tested above
