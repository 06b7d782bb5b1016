"""Run many `kam build`s in one Python process, fast: a test harness, not a user command.

A subprocess `python -m kam build` pays ~5 s of start-up and project parsing, then builds every
node of the project. The bad-input suite (tests_py/test_bad_inputs.py) builds the warehouse on
dozens of crafted landing folders, so it uses this harness instead:

- the project is parsed ONCE (`dbt parse`), and the manifest is pruned to the layers the suite
  needs (the models and seeds under `paths`, plus everything upstream of them); selection and
  graph building then cost nothing per build;
- the seeds are loaded ONCE into a template database, which each build copies;
- each build then runs the real user code path, `kam.cli.main(["build", ...])`, with its
  `dbt_invoke` swapped for a dbtRunner holding the pruned manifest. What the user would read
  (stdout, and stderr with the `ERROR:` summary) is captured and returned.

dbt renders profiles.yml at every invoke, so KAM_DUCKDB_PATH / KAM_LANDING_DIR / KAM_MAPPING set
for one build are honoured; dbt-duckdb re-creates its DuckDB environment, and with it the landing
plugin, whenever the rendered credentials change. The harness also closes that environment after
every build (so the database file can be opened by the test, and a later build starting on the
same path re-initialises the plugin anyway).

Two deliberate differences from a user build, both without effect on the data: column comments
(`persist_docs`) are not written, and dbt's data tests run only when asked (`tests=True`: the
tests of the built models; unit tests never, they do not read the data). Invalid vars are
rejected by the macros when a node compiles, while a user build rejects them when the project
is parsed: run those cases through a subprocess to see the user's message.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from kam.contract import PROJECT_DIR

#: The layers the bad-input suite builds (seeds, staging, data quality, conformed, core, marts).
DEFAULT_PATHS = (
    "seeds",
    "models/staging",
    "models/intermediate/dq",
    "models/intermediate/conformed",
    "models/intermediate/int_as_of_date.sql",
    "models/intermediate/sales",
    "models/marts/core",
    "models/marts/data_quality",
)
_LOCK = threading.Lock()


@dataclass
class BuildOutcome:
    """What one build returned, printed and produced."""

    returncode: int
    stdout: str
    stderr: str
    db_path: Path
    seconds: float
    failed_nodes: dict[str, str] = field(default_factory=dict)

    @property
    def output(self) -> str:
        """Everything the user would see in the terminal."""
        return self.stdout + "\n" + self.stderr

    @property
    def ok(self) -> bool:
        return self.returncode == 0


@contextlib.contextmanager
def _environment(values: dict[str, str | None]) -> Iterator[None]:
    saved = {k: os.environ.get(k) for k in values}
    try:
        for k, v in values.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        yield
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v


def close_duckdb_environment() -> None:
    """Close dbt-duckdb's process-wide DuckDB environment (its database and plugins)."""
    from dbt.adapters.duckdb.connections import DuckDBConnectionManager as manager

    with manager._LOCK:
        env, manager._ENV = manager._ENV, None
    if env is not None:
        with contextlib.suppress(Exception):
            env.close()


class InProcessBuilder:
    """Parse once, seed once, then build as many landing folders as wanted, each in its own file."""

    def __init__(
        self,
        work_dir: str | Path,
        paths: Sequence[str] = DEFAULT_PATHS,
        vars_yaml: str | None = None,
    ):
        self.work_dir = Path(work_dir)
        self.paths = tuple(p.rstrip("/") for p in paths)
        self.vars_yaml = vars_yaml
        self.target_path = self.work_dir / "target"
        self.log_path = self.work_dir / "logs"
        self.template_db = self.work_dir / "template" / "kam.duckdb"
        self.manifest: Any = None
        self.selected: list[str] = []
        self.tests: list[str] = []
        self._node_sets: dict[bool, dict[str, Any]] = {}
        self.parse_seconds = 0.0
        self.seed_seconds = 0.0

    # -- set-up -------------------------------------------------------------------------------

    def _flags(self, with_vars: bool = True) -> list[str]:
        flags = [
            "--profiles-dir",
            str(PROJECT_DIR),
            "--project-dir",
            str(PROJECT_DIR),
            "--target-path",
            str(self.target_path),
            "--log-path",
            str(self.log_path),
            "--log-level-file",
            "info",
        ]
        if self.vars_yaml and with_vars:
            flags += ["--vars", self.vars_yaml]
        return flags

    def _merge_vars(self, args: list[str]) -> list[str]:
        """The build's own --vars win over the harness's (which only fill in the rest)."""
        if not self.vars_yaml:
            return args
        if "--vars" not in args:
            return [*args, "--vars", self.vars_yaml]
        i = args.index("--vars")
        try:
            own = yaml.safe_load(args[i + 1])
        except yaml.YAMLError:
            return args
        if not isinstance(own, dict):
            return args
        merged = {**(yaml.safe_load(self.vars_yaml) or {}), **own}
        return [*args[:i], "--vars", json.dumps(merged, default=str), *args[i + 2 :]]

    def _env(self, db: Path, landing: Path, mapping: str | None = None) -> dict[str, str | None]:
        return {
            "KAM_DUCKDB_PATH": str(db),
            "KAM_LANDING_DIR": str(landing),
            "KAM_MAPPING": mapping,
            "KAM_TEMP_DIR": str(db.parent / "duckdb_tmp"),
            "DBT_TARGET_PATH": str(self.target_path),
            "DBT_LOG_PATH": str(self.log_path),
        }

    def prepare(self) -> InProcessBuilder:
        """Parse the project, prune the manifest to the selected layers, load the seeds."""
        from dbt.cli.main import dbtRunner

        self.work_dir.mkdir(parents=True, exist_ok=True)
        empty_landing = self.work_dir / "no_landing"
        empty_landing.mkdir(exist_ok=True)
        self.template_db.parent.mkdir(parents=True, exist_ok=True)
        env = self._env(self.template_db, empty_landing)
        with _LOCK, _environment(env), contextlib.chdir(PROJECT_DIR):
            t0 = time.perf_counter()
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                res = dbtRunner().invoke(["parse", *self._flags()])
            if not res.success:
                raise RuntimeError(f"dbt parse failed:\n{out.getvalue()[-4000:]}")
            self.manifest = res.result
            self._prune()
            self.parse_seconds = time.perf_counter() - t0
            t0 = time.perf_counter()
            out = io.StringIO()
            with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
                res = dbtRunner(manifest=self.manifest).invoke(
                    ["seed", *self._flags(), "--no-write-json"]
                )
            close_duckdb_environment()
            if not res.success:
                raise RuntimeError(f"dbt seed failed:\n{out.getvalue()[-4000:]}")
            self.seed_seconds = time.perf_counter() - t0
        return self

    def _in_paths(self, node: Any) -> bool:
        path = node.original_file_path
        return any(path == p or path.startswith(p + "/") for p in self.paths)

    def _prune(self) -> None:
        """Keep the models and seeds under `paths` and their upstream nodes; drop the rest.

        Data tests whose every parent is kept are kept aside: a build with tests=True runs them
        (dbt's indirect selection 'cautious'); the others cost nothing."""
        m = self.manifest
        keep = {
            uid
            for uid, node in m.nodes.items()
            if (node.resource_type in ("model", "seed") and self._in_paths(node))
            # the project's on-run-start hook creates schema incremental_state before any model
            or node.resource_type == "operation"
        }
        todo = list(keep)
        while todo:  # everything upstream must exist, or ref() would not resolve
            node = m.nodes.get(todo.pop())
            for dep in getattr(getattr(node, "depends_on", None), "nodes", None) or []:
                if dep in m.nodes and dep not in keep:
                    keep.add(dep)
                    todo.append(dep)
        tests = {
            uid
            for uid, node in m.nodes.items()
            if node.resource_type == "test"
            and node.depends_on.nodes
            and all(d in keep or d in m.sources for d in node.depends_on.nodes)
        }
        self._node_sets = {
            False: {uid: node for uid, node in m.nodes.items() if uid in keep},
            True: {uid: node for uid, node in m.nodes.items() if uid in keep or uid in tests},
        }
        for node in self._node_sets[True].values():
            if node.resource_type != "test":
                node.config.persist_docs = {}
        for attr in ("unit_tests", "exposures", "metrics", "semantic_models", "saved_queries"):
            if isinstance(getattr(m, attr, None), dict):
                setattr(m, attr, {})
        self._use_nodes(tests=False)
        self.selected = sorted(uid for uid in keep if uid.startswith("model."))
        self.tests = sorted(tests)

    def _use_nodes(self, tests: bool) -> None:
        if self.manifest.nodes is not self._node_sets[tests]:
            self.manifest.nodes = self._node_sets[tests]
            self.manifest.build_flat_graph()

    # -- builds -------------------------------------------------------------------------------

    def build(
        self,
        landing: str | Path,
        db_path: str | Path,
        *,
        vars_yaml: str | None = None,
        mapping: str | Path | None = None,
        tests: bool = False,
    ) -> BuildOutcome:
        """`kam build` on `landing` into a new database `db_path` (seeds pre-loaded).

        tests=True also runs the data tests of the built models (slower: ~700 tests)."""
        from dbt.cli.main import dbtRunner

        import kam.cli

        if self.manifest is None:
            self.prepare()
        db = Path(db_path)
        db.parent.mkdir(parents=True, exist_ok=True)
        for stale in (db, db.with_name(db.name + ".wal")):
            stale.unlink(missing_ok=True)
        shutil.copyfile(self.template_db, db)
        failed: dict[str, str] = {}

        def dbt_invoke(args: list[str]) -> tuple[bool, object]:
            full = [*self._merge_vars(args), *self._flags(with_vars=False)]
            full += ["--no-write-json", "--exclude", "resource_type:seed"]
            try:
                res = dbtRunner(manifest=self.manifest).invoke(full)
            finally:
                close_duckdb_environment()
            for r in getattr(getattr(res, "result", None), "results", None) or []:
                if str(getattr(r, "status", "")) in ("error", "fail"):
                    failed[r.node.name] = (r.message or "").strip()
            return bool(res.success), res

        argv = ["build"]
        if vars_yaml:
            argv += ["--vars", vars_yaml]
        env = self._env(db, Path(landing), str(mapping) if mapping else None)
        stdout, stderr = io.StringIO(), io.StringIO()
        original = kam.cli.dbt_invoke
        t0 = time.perf_counter()
        with _LOCK, _environment(env), contextlib.chdir(PROJECT_DIR):
            kam.cli.dbt_invoke = dbt_invoke
            self._use_nodes(tests)
            try:
                with contextlib.redirect_stdout(stdout), contextlib.redirect_stderr(stderr):
                    rc = kam.cli.main(argv)
            finally:
                kam.cli.dbt_invoke = original
                close_duckdb_environment()
        return BuildOutcome(
            rc, stdout.getvalue(), stderr.getvalue(), db, time.perf_counter() - t0, failed
        )
