"""Shared fixtures: warehouses built once per test session, each in its own temporary folder."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from kam.contract import PROJECT_DIR

SHARED_DATA = PROJECT_DIR.parent / "shared" / "data"
UCI_FILE = SHARED_DATA / "online_retail.csv.gz"


def run_kam(args: list[str], env_overrides: dict[str, str], check: bool = True):
    """Run `python -m kam ...` in a subprocess with the given environment; return the result."""
    env = {**os.environ, **env_overrides}
    proc = subprocess.run(
        [sys.executable, "-m", "kam", *args],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if check and proc.returncode != 0:
        raise AssertionError(
            f"kam {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}\n"
            f"{proc.stderr[-4000:]}"
        )
    return proc


def run_dbt(
    args: list[str],
    env_overrides: dict[str, str],
    project_dir: Path = PROJECT_DIR,
    check: bool = True,
    timeout: int = 900,
):
    """Run the dbt CLI (`dbt <args>`) in a subprocess on `project_dir` with its profiles.yml and
    the given environment; return the result."""
    proc = subprocess.run(
        [sys.executable, "-c", "from dbt.cli.main import cli; cli()", *args,
         "--profiles-dir", str(project_dir), "--project-dir", str(project_dir)],
        cwd=project_dir,
        env={**os.environ, **env_overrides},
        capture_output=True,
        text=True,
        timeout=timeout,
    )  # fmt: skip
    if check and proc.returncode != 0:
        raise AssertionError(
            f"dbt {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout[-4000:]}"
        )
    return proc


_HOLD = (
    "import duckdb, sys; c = duckdb.connect(sys.argv[1], read_only=True); "
    "print('open', flush=True); sys.stdin.read()"
)


@contextlib.contextmanager
def held_open(db: Path):
    """Another process (an analyst's notebook) holding `db` open read-only while the block
    runs; yields its PID."""
    holder = subprocess.Popen(
        [sys.executable, "-c", _HOLD, str(db)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "open"
        yield holder.pid
    finally:
        holder.communicate("")


def build_env(tmp: Path, landing: Path, mapping: str | None = None) -> dict[str, str]:
    env = {
        "KAM_DUCKDB_PATH": str(tmp / "kam.duckdb"),
        "KAM_LANDING_DIR": str(landing),
        "KAM_TEMP_DIR": str(tmp / "duckdb_tmp"),
        "DBT_TARGET_PATH": str(tmp / "target"),
        "DBT_LOG_PATH": str(tmp / "logs"),
    }
    if mapping:
        env["KAM_MAPPING"] = mapping
    return env


@pytest.fixture(scope="session")
def demo_landing(tmp_path_factory) -> Path:
    from kam import generate

    landing = tmp_path_factory.mktemp("demo_landing")
    generate.generate(landing, scale="small", seed=42)
    return landing


@pytest.fixture(scope="session")
def demo_warehouse(tmp_path_factory, demo_landing) -> Path:
    """The default demo, built with `kam build --with-unit-tests` (dbt build: seeds, models,
    every data test and, unlike a production build, the dbt unit tests)."""
    tmp = tmp_path_factory.mktemp("demo_wh")
    run_kam(["build", "--with-unit-tests"], build_env(tmp, demo_landing))
    return tmp / "kam.duckdb"


@pytest.fixture(scope="session")
def uci_warehouse(tmp_path_factory) -> Path:
    """The real UCI Online Retail export, mapped with mappings/online_retail.yml."""
    if not UCI_FILE.exists():
        if os.environ.get("KAM_ALLOW_NO_SHARED"):
            pytest.skip(f"{UCI_FILE} not found")
        raise AssertionError(f"{UCI_FILE} not found: the real export must run in the test suite")
    tmp = tmp_path_factory.mktemp("uci_wh")
    mapping = str(PROJECT_DIR / "mappings" / "online_retail.yml")
    run_kam(["build"], build_env(tmp, SHARED_DATA, mapping))
    return tmp / "kam.duckdb"


def query(db: Path, sql: str) -> list[tuple]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        return con.sql(sql).fetchall()
    finally:
        con.close()
