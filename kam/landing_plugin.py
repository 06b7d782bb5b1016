"""dbt-duckdb source plugin: `meta: {plugin: kam}` sources are read from the landing folder.

Configured in profiles.yml (landing_dir, mapping). When a staging model resolves
`source('landing', <entity>)`, the landing table `landing.<entity>` is brought up to date with
the entity's files. Reading stays inside DuckDB (no pandas), so it streams at any scale. With
KAM_LANDING_DRY_RUN=1 set, every entity loads empty (used by the SQL linter, which only needs
the models to compile).

Files already loaded are not read again. dbt-duckdb's own source loading rewrites the whole
table (`create or replace table ... as select`) every time a source is resolved, which a dbt
run does several times (the staging model, the row-count test): at 6 million sales lines that
was most of an incremental run. So `load_source` is wrapped (see `_install`) and the plugin
materialises its tables itself, recording in `landing.load_state` the loader signature (loader
version, contract, mapping, erasure list) and the (file, sha256) list the table holds:
- same signature and same files: nothing to do;
- same signature, the files loaded before still there unchanged, new files sorting after them
  (a daily drop `sales_lines_2025-06-30.csv`): only the new files are read and appended, and
  their rows added to landing.load_log (duplicate-file detection still sees every file);
- anything else (a file changed, removed or inserted before an old one, a new mapping, a new
  erasure list, `dbt ... --full-refresh`, no state yet): the table is reloaded in full.
The result is the same table a full reload gives (rows in another physical order). If the
wrapper cannot be installed (another dbt-duckdb version), dbt-duckdb's full reload runs, as
before, and the state is cleared so the next wrapped run reloads in full.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import threading
from pathlib import Path
from typing import Any

import duckdb
from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.duckdb.utils import SourceConfig
from dbt_common.exceptions import DbtRuntimeError

from kam.contract import load_contract
from kam.landing import (
    LandingError,
    LandingReader,
    clear_digest_cache,
    create_load_log,
    load_mapping,
    unread_entity_entries,
    unread_entries_message,
)
from kam.machine import apply_memory_limit

# dbt runs models on several threads; loads share the load log, so they take turns.
_LOAD_LOCK = threading.Lock()
STATE_TABLE = "landing.load_state"


def _full_refresh_requested() -> bool:
    try:
        from dbt.flags import get_flags

        return bool(getattr(get_flags(), "FULL_REFRESH", False))
    except Exception:  # no dbt flags (plugin used outside a dbt command): no full refresh
        return False


def _invocation_id() -> str:
    try:
        from dbt_common.invocation import get_invocation_id

        return str(get_invocation_id())
    except Exception:
        return ""


def create_folders(db_path: str, temp_dir: str | None) -> None:
    """Create the folders the warehouse file and DuckDB's spill folder go in. DuckDB creates
    neither a database file's folder nor a spill folder's parents, so a plain `dbt build` in a
    fresh clone (no warehouse/dev yet) or into a new KAM_DUCKDB_PATH stopped with DuckDB's
    traceback. In-memory and remote databases have no folder. Raises DbtRuntimeError (a
    message, no traceback) when a folder cannot be created."""
    folders = []
    if db_path and db_path != ":memory:" and ":" not in db_path.split("/", 1)[0]:
        folders.append(Path(db_path).parent)
    if temp_dir:
        folders.append(Path(temp_dir))
    for folder in folders:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DbtRuntimeError(
                f"cannot create the folder {str(folder)!r} for the warehouse ({exc.strerror}): "
                "set KAM_DUCKDB_PATH (the warehouse file) or KAM_TEMP_DIR (the spill folder) to "
                "a place this user can write"
            ) from None


def _create_state(conn) -> None:
    conn.execute("create schema if not exists landing")
    conn.execute(
        f"create table if not exists {STATE_TABLE} (entity varchar, relation varchar, "
        "signature varchar, files varchar, loaded_by_invocation varchar)"
    )


def _quote_identifier(name: str) -> str:
    """A SQL identifier in double quotes (embedded quotes doubled)."""
    return '"' + name.replace('"', '""') + '"'


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self.landing_dir = plugin_config.get("landing_dir") or "landing"
        self.mapping = plugin_config.get("mapping") or None
        # relative to the dbt project folder dbt runs in (the current directory)
        self.erasure_file = plugin_config.get("erasure_file") or None
        self._conn = None
        self._keep: list[Any] = []
        self._digests_for = None
        self._unread = ""

    def _unread_entries(self) -> str:
        """The message naming the landing entries meant for an entity that none reads ('' if
        none): see kam.landing.unread_entity_entries."""
        landing = Path(self.landing_dir)
        skip = {Path(f).name for f in (self.mapping, self.erasure_file) if f}
        entries = unread_entity_entries(
            landing, list(load_contract()), load_mapping(self.mapping), skip
        )
        return unread_entries_message(landing, entries) if entries else ""

    def update_connection_config(self, creds, config: dict[str, Any]) -> None:
        # called by dbt-duckdb just before it opens the database file
        create_folders(str(creds.path or ""), config.get("temp_directory"))

    def configure_connection(self, conn) -> None:
        self._conn = conn
        # once per process: the limit is global to the database (kam/machine.py)
        try:
            apply_memory_limit(conn)
        except ValueError as exc:  # a bad KAM_MEMORY_LIMIT: dbt prints the message, no traceback
            raise DbtRuntimeError(str(exc)) from None
        create_load_log(conn)
        _create_state(conn)
        # Every landing table exists from the start, empty and with the contract's columns, so
        # that dbt unit tests (which read a source's columns) work on a brand-new database.
        reader = LandingReader(conn, self.landing_dir, None)
        for entity in reader.contract:
            empty = reader.empty(entity)
            conn.execute(f"create table if not exists landing.{entity} as {empty.sql_query()}")

    def load(self, source_config: SourceConfig):
        """dbt-duckdb's path (used when `_install` could not wrap load_source): a relation over
        every file, materialised by dbt-duckdb in full."""
        entity = source_config.meta.get("entity") or source_config.identifier
        # A cursor of our own: the relation must outlive dbt's cursor until it is materialised.
        with _LOAD_LOCK:
            cur = self._conn.cursor()
            reader = LandingReader(cur, self.landing_dir, self.mapping, self.erasure_file)
            # the table is about to be rewritten by dbt-duckdb: forget what it held
            _create_state(cur)
            cur.execute(f"delete from {STATE_TABLE} where entity = ?", [entity])
            # Dry run (linting, docs on a machine without data): typed, empty, no file read.
            if os.environ.get("KAM_LANDING_DRY_RUN"):
                relation = reader.empty(entity)
                self._keep.append((cur, relation))
                return relation
            clear_digest_cache()
            relation = reader.read(entity)
            reader.write_load_log()
            self._keep.append((cur, relation))
        return relation

    def load_in_place(self, source_config: SourceConfig) -> bool:
        """Bring landing.<entity> up to date, reading only what is new (see the module doc).
        Returns False when dbt-duckdb should load the source itself (dry run)."""
        if os.environ.get("KAM_LANDING_DRY_RUN"):
            return False
        entity = source_config.meta.get("entity") or source_config.identifier
        table = source_config.table_name()  # the state's key, as dbt-duckdb names it
        # quoted for SQL: the database is named after the file, and kam-prod.duckdb or
        # full.duckdb give names that are no bare identifiers
        quoted = ".".join(
            _quote_identifier(part)
            for part in (source_config.database, source_config.schema, source_config.identifier)
            if part
        )
        invocation = _invocation_id()
        with _LOAD_LOCK:
            if invocation != self._digests_for:  # files may have changed since the last command
                clear_digest_cache()
                self._digests_for = invocation
                self._unread = self._unread_entries()
            if self._unread:
                # every source of the command stops, not only the first one resolved
                raise LandingError(self._unread)
            cur = self._conn.cursor()
            try:
                if source_config.schema:
                    cur.execute(
                        f"create schema if not exists {_quote_identifier(source_config.schema)}"
                    )
                _create_state(cur)
                reader = LandingReader(cur, self.landing_dir, self.mapping, self.erasure_file)
                files = reader.files_with_digests(entity)
                signature = reader.signature(entity)
                previous = cur.execute(
                    f"select signature, files, loaded_by_invocation from {STATE_TABLE} "
                    "where entity = ? and relation = ?",
                    [entity, table],
                ).fetchall()
                exists = cur.execute(
                    "select count(*) from information_schema.tables "
                    "where table_schema = ? and table_name = ?",
                    [source_config.schema, source_config.identifier],
                ).fetchall()[0][0]
                mode, new_files = "full", []
                if previous and exists and previous[0][0] == signature:
                    old = [tuple(f) for f in json.loads(previous[0][1])]
                    # --full-refresh reloads once per dbt command, not at every resolution
                    fresh = not _full_refresh_requested() or previous[0][2] == invocation
                    old_names = {name for name, _ in old}
                    new_files = [f for f in files if f[0] not in old_names]
                    appendable = set(old) <= set(files) and all(
                        name > max(old_names, default="") for name, _ in new_files
                    )
                    if fresh and appendable:
                        mode = "append" if new_files else "current"
                if mode == "current":
                    return True
                cur.execute("begin transaction")
                if mode == "full":
                    relation = reader.read(entity)
                    cur.execute(f"create or replace table {quoted} as {relation.sql_query()}")
                    reader.write_load_log()
                else:
                    skip = frozenset(name for name, _ in files) - {n for n, _ in new_files}
                    relation = reader.read(entity, skip=skip)
                    cur.execute(f"insert into {quoted} by name {relation.sql_query()}")
                    reader.write_load_log(append=True)
                cur.execute(
                    f"delete from {STATE_TABLE} where entity = ? and relation = ?", [entity, table]
                )
                cur.execute(
                    f"insert into {STATE_TABLE} values (?, ?, ?, ?, ?)",
                    [entity, table, signature, json.dumps(files), invocation],
                )
                cur.execute("commit")
            except BaseException:
                # no transaction is open when the error came before it
                with contextlib.suppress(Exception):
                    cur.execute("rollback")
                raise
            finally:
                cur.close()
        return True


def _install() -> None:
    """Wrap dbt-duckdb's load_source so that `kam` sources are materialised by the plugin."""
    try:
        from dbt.adapters.duckdb.environments.local import LocalEnvironment
    except ImportError:  # another dbt-duckdb layout: its full reload stays in charge
        return
    original = LocalEnvironment.load_source
    if getattr(original, "_kam_wrapped", False):
        return

    def load_source(self, plugin_name: str, source_config: SourceConfig):
        plugin = getattr(self, "_plugins", {}).get(plugin_name)
        if isinstance(plugin, Plugin) and plugin.load_in_place(source_config):
            return None
        return original(self, plugin_name, source_config)

    load_source._kam_wrapped = True  # type: ignore[attr-defined]
    LocalEnvironment.load_source = load_source


def lock_message(path: str, error: str) -> str:
    """What to do when another process holds the warehouse file (DuckDB's lock error)."""
    holder = re.search(r"Conflicting lock is held in (.*?)(?:\. |$)", error)
    who = f", held by {holder.group(1)}" if holder else ""
    return (
        f"the warehouse file {path} is open in another process{who}. DuckDB lets one process "
        "write a file, and none while another process has it open, even read-only. Close that "
        "connection (a notebook, a SQL client, another dbt run) and run again, or build into "
        "another file with KAM_DUCKDB_PATH. Readers who keep a warehouse open should read the "
        "published one (python -m kam publish), which a build never writes in place."
    )


def _install_lock_message() -> None:
    """Wrap dbt-duckdb's database opening so that a file held by another process stops the
    command with lock_message instead of DuckDB's IO Error and a traceback."""
    try:
        from dbt.adapters.duckdb.environments import Environment
    except ImportError:  # another dbt-duckdb layout: DuckDB's own error stays
        return
    original = Environment.initialize_db
    if getattr(original, "_kam_wrapped", False):
        return

    def initialize_db(cls, creds, plugins=None):
        try:
            return original.__func__(cls, creds, plugins)
        except duckdb.IOException as exc:
            if "Could not set lock" not in str(exc):
                raise
            raise DbtRuntimeError(lock_message(str(creds.path), str(exc))) from None

    initialize_db._kam_wrapped = True  # type: ignore[attr-defined]
    Environment.initialize_db = classmethod(initialize_db)


_install()
_install_lock_message()
