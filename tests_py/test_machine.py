"""DuckDB's memory limit from the machine (kam/machine.py), and its wiring into every dbt
connection (the landing plugin); the folders the plugin creates before dbt opens the warehouse,
and what dbt says when another process holds the file."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from kam import machine
from kam.landing_plugin import Plugin, create_folders, lock_message
from tests_py.conftest import held_open, run_dbt

GIB = 1024**3


@pytest.mark.parametrize(
    ("memory", "expected"),
    [
        (1 * GIB, "1GB"),  # never below 1 GB
        (3 * GIB, "1GB"),
        (8 * GIB, "4GB"),  # half of a laptop
        (int(23.5 * GIB), "8GB"),  # the benchmark machine: the 8 GB ceiling
        (64 * GIB, "8GB"),
        (None, None),  # unknown memory: DuckDB's own default
        (0, None),
    ],
)
def test_the_default_limit_is_half_the_memory_between_1_and_8_gb(memory, expected):
    assert machine.default_memory_limit(memory) == expected


def test_a_container_limit_below_the_physical_memory_wins(tmp_path):
    v2, v1 = tmp_path / "memory.max", tmp_path / "memory.limit_in_bytes"
    v2.write_text(f"{2 * GIB}\n")
    v1.write_text("max\n")  # no limit: ignored
    assert machine.machine_memory_bytes((v2, v1)) == 2 * GIB
    physical = machine.machine_memory_bytes(())
    assert physical and physical > 0
    huge = tmp_path / "huge"
    huge.write_text(str(2**63 - 4096))  # cgroup v1 without a limit
    assert machine.machine_memory_bytes((huge, tmp_path / "missing")) == physical


def test_kam_memory_limit_overrides_the_default():
    assert machine.memory_limit({"KAM_MEMORY_LIMIT": "6GB"}) == "6GB"
    assert machine.memory_limit({"KAM_MEMORY_LIMIT": " 512 MB "}) == "512MB"
    assert machine.memory_limit({"KAM_MEMORY_LIMIT": "1.5GiB"}) == "1.5GiB"
    default = machine.default_memory_limit(machine.machine_memory_bytes())
    assert machine.memory_limit({}) == default
    assert machine.memory_limit({"KAM_MEMORY_LIMIT": ""}) == default


@pytest.mark.parametrize("value", ["lots", "8", "GB", "8 gigs", "8GB'; drop table x; --"])
def test_a_value_that_is_not_a_size_is_refused_by_name(value):
    with pytest.raises(ValueError, match=r"KAM_MEMORY_LIMIT=.* is not a memory size"):
        machine.memory_limit({"KAM_MEMORY_LIMIT": value})


def _limit(conn) -> str:
    return conn.sql("select current_setting('memory_limit')").fetchall()[0][0]


def test_every_dbt_connection_gets_the_limit(tmp_path, monkeypatch):
    # the landing plugin is what dbt-duckdb calls when it opens the warehouse
    plugin = Plugin("kam", {"landing_dir": str(tmp_path)})
    monkeypatch.setenv("KAM_MEMORY_LIMIT", "3GB")
    conn = duckdb.connect()
    plugin.configure_connection(conn)
    assert _limit(conn) == "2.7 GiB"  # DuckDB shows 3 GB in GiB
    assert _limit(conn.cursor()) == "2.7 GiB"  # global: every cursor (model) shares it

    monkeypatch.delenv("KAM_MEMORY_LIMIT")
    default = machine.default_memory_limit(machine.machine_memory_bytes())
    conn = duckdb.connect()
    plugin.configure_connection(conn)
    expected = duckdb.connect(config={"memory_limit": default})
    assert _limit(conn) == _limit(expected)


def test_a_plain_dbt_build_with_a_bad_limit_gets_dbt_s_own_error(tmp_path, monkeypatch):
    # a dbt error (printed as a message) rather than a ValueError (printed with a traceback)
    from dbt_common.exceptions import DbtRuntimeError

    monkeypatch.setenv("KAM_MEMORY_LIMIT", "lots")
    with pytest.raises(DbtRuntimeError, match="KAM_MEMORY_LIMIT='lots' is not a memory size"):
        Plugin("kam", {"landing_dir": str(tmp_path)}).configure_connection(duckdb.connect())


def test_the_warehouse_and_spill_folders_are_created_before_duckdb_opens_them(tmp_path):
    db = tmp_path / "new" / "dev" / "kam.duckdb"
    spill = tmp_path / "spill" / "deep" / "tmp"
    create_folders(str(db), str(spill))
    assert db.parent.is_dir() and spill.is_dir()
    assert not db.exists()  # the file is DuckDB's to create
    create_folders(str(db), str(spill))  # already there: nothing to do
    for no_folder in (":memory:", "md:kam", "s3://bucket/kam.duckdb"):
        create_folders(no_folder, None)  # nothing to create, nothing raised
    assert not list(Path.cwd().glob("md:*")) and not (Path.cwd() / "s3:").exists()


def test_a_folder_that_cannot_be_created_stops_with_a_message(tmp_path):
    from dbt_common.exceptions import DbtRuntimeError

    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(DbtRuntimeError, match=r"cannot create the folder .*KAM_DUCKDB_PATH"):
        create_folders(str(blocker / "dev" / "kam.duckdb"), None)


def _plain_dbt_run(tmp_path: Path, db: Path, **env: str):
    """A plain `dbt run` of a one-row model that needs no data once the as-of date is given,
    into `db`, with KAM_* settings overridden by `env`; returns the finished process."""
    settings = {
        "KAM_DUCKDB_PATH": str(db),
        "KAM_TEMP_DIR": str(tmp_path / "spill"),
        "KAM_LANDING_DIR": str(tmp_path),
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
        **env,
    }
    return run_dbt(
        ["run", "--select", "int_snapshot_dates", "--vars", "{as_of_date: 2025-06-30}"],
        settings,
        check=False,
    )


def test_a_plain_dbt_command_builds_into_a_folder_that_does_not_exist_yet(tmp_path):
    # a fresh clone has no warehouse/dev: the profile's default file sits in a folder dbt must
    # not expect to exist (before, DuckDB stopped dbt with an IO Error traceback)
    db = tmp_path / "fresh" / "dev" / "kam.duckdb"
    spill = tmp_path / "spill" / "nested" / "tmp"
    landing = tmp_path / "landing"
    landing.mkdir()
    proc = _plain_dbt_run(tmp_path, db, KAM_TEMP_DIR=str(spill), KAM_LANDING_DIR=str(landing))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "Traceback" not in proc.stdout + proc.stderr
    assert db.is_file() and spill.is_dir()
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.sql("select count(*) from intermediate.int_snapshot_dates").fetchall()[0][0] > 0


def test_a_warehouse_file_whose_name_is_no_bare_identifier_loads_its_sources(tmp_path):
    # DuckDB names the database after the file: kam-prod (like full, a keyword) must be quoted
    # where the landing plugin writes landing.<entity> (before: a Parser Error at "-")
    name = "kam-prod.duckdb"
    landing = tmp_path / "landing"
    landing.mkdir()
    (landing / "reps.csv").write_text(
        "rep_id,rep_name,role,manager_id,region,loaded_annual_cost,working_days_per_year,"
        "working_hours_per_day,visits_per_day\nREP1,Rhys,manager,,National,110500,212,7.5,2.0\n",
        encoding="utf-8",
    )
    db = tmp_path / name
    proc = run_dbt(
        ["run", "--select", "stg_landing__reps"],
        {
            "KAM_DUCKDB_PATH": str(db),
            "KAM_TEMP_DIR": str(tmp_path / "spill"),
            "KAM_LANDING_DIR": str(landing),
            "DBT_TARGET_PATH": str(tmp_path / "target"),
            "DBT_LOG_PATH": str(tmp_path / "logs"),
        },
        check=False,
    )
    assert proc.returncode == 0, proc.stdout[-3000:]
    with duckdb.connect(str(db), read_only=True) as con:
        [(rows,)] = con.sql("select count(*) from staging.stg_landing__reps").fetchall()
    assert rows > 0


def test_the_lock_message_names_the_holder_and_what_to_do():
    duckdb_says = (
        'IO Error: Could not set lock on file "/w/kam.duckdb": Conflicting lock is held in '
        "/usr/bin/python3.11 (PID 4242). However, you would be able to open this database in "
        "read-only mode"
    )
    message = lock_message("/w/kam.duckdb", duckdb_says)
    assert message.startswith(
        "the warehouse file /w/kam.duckdb is open in another process, held by "
        "/usr/bin/python3.11 (PID 4242). DuckDB lets one process write"
    )
    assert "KAM_DUCKDB_PATH" in message and "python -m kam publish" in message
    # DuckDB's wording changed: the message still says what to do, without a holder
    assert lock_message("/w/kam.duckdb", "IO Error: Could not set lock").startswith(
        "the warehouse file /w/kam.duckdb is open in another process. DuckDB"
    )


def test_a_plain_dbt_command_on_a_file_another_process_holds_says_so(tmp_path):
    db = tmp_path / "kam.duckdb"
    duckdb.connect(str(db)).close()
    with held_open(db) as pid:
        proc = _plain_dbt_run(tmp_path, db)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "Traceback" not in output and "IO Error" not in output
    assert f"the warehouse file {db} is open in another process" in output
    assert f"(PID {pid})" in output


@pytest.mark.parametrize("threads", ["abc", "0"])
def test_kam_threads_that_is_not_a_count_stops_dbt_with_a_sentence(tmp_path, threads):
    # before, dbt's thread pool refused it with a ValueError and a traceback
    proc = _plain_dbt_run(tmp_path, tmp_path / "kam.duckdb", KAM_THREADS=threads)
    output = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "Traceback" not in output
    assert f"KAM_THREADS must be a whole number of at least 1, not {threads}" in output
