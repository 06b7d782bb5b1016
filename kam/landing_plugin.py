"""dbt-duckdb source plugin: `meta: {plugin: kam}` sources are read from the landing folder.

Configured in profiles.yml (landing_dir, mapping). When a staging model resolves
`source('landing', <entity>)`, dbt-duckdb calls `load`, which returns a DuckDB relation over the
entity's files; dbt-duckdb then materialises it as the table `landing.<entity>`. Reading stays
inside DuckDB (no pandas), so it streams at any scale. With KAM_LANDING_DRY_RUN=1 set, every
entity loads empty (used by the SQL linter, which only needs the models to compile).
"""

from __future__ import annotations

import threading
import os
from typing import Any

from dbt.adapters.duckdb.plugins import BasePlugin
from dbt.adapters.duckdb.utils import SourceConfig

from kam.landing import LandingReader, create_load_log

# dbt runs models on several threads; loads share the load log, so they take turns.
_LOAD_LOCK = threading.Lock()


class Plugin(BasePlugin):
    def initialize(self, plugin_config: dict[str, Any]) -> None:
        self.landing_dir = plugin_config.get("landing_dir") or "landing"
        self.mapping = plugin_config.get("mapping") or None
        # relative to the dbt project folder dbt runs in (the current directory)
        self.erasure_file = plugin_config.get("erasure_file") or None
        self._conn = None
        self._keep: list[Any] = []

    def configure_connection(self, conn) -> None:
        self._conn = conn
        create_load_log(conn)
        # Every landing table exists from the start, empty and with the contract's columns, so
        # that dbt unit tests (which read a source's columns) work on a brand-new database.
        reader = LandingReader(conn, self.landing_dir, None)
        for entity in reader.contract:
            empty = reader.empty(entity)
            conn.execute(f"create table if not exists landing.{entity} as {empty.sql_query()}")

    def load(self, source_config: SourceConfig):
        entity = source_config.meta.get("entity") or source_config.identifier
        # A cursor of our own: the relation must outlive dbt's cursor until it is materialised.
        with _LOAD_LOCK:
            cur = self._conn.cursor()
            reader = LandingReader(cur, self.landing_dir, self.mapping, self.erasure_file)
            # Dry run (linting, docs on a machine without data): typed, empty, no file read.
            if os.environ.get("KAM_LANDING_DRY_RUN"):
                relation = reader.empty(entity)
                self._keep.append((cur, relation))
                return relation
            relation = reader.read(entity)
            reader.write_load_log()
            self._keep.append((cur, relation))
        return relation
