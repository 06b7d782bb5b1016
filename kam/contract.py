"""The input contract, read from the sources YAML (the single source of truth).

`models/staging/_landing__sources.yml` declares every landing entity and, per column, its
`data_type`, whether it is `required`, its `allowed_values` and whether it is `personal_data`.
The loader, the demo generator, the README's tables and the tests all read it from here.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import yaml

PROJECT_DIR = Path(__file__).resolve().parent.parent
SOURCES_YAML = PROJECT_DIR / "models" / "staging" / "_landing__sources.yml"

#: Lineage columns the loader adds to every landing table, in order.
LINEAGE_COLUMNS = (
    "_source_file",
    "_source_row",
    "_source_line",
    "_file_sha256",
    "_is_duplicate_file",
    "_load_error",
    "_raw_record",
)


@dataclass(frozen=True)
class Column:
    name: str
    data_type: str
    required: bool
    description: str
    allowed_values: tuple[str, ...] = ()
    personal_data: bool = False


@dataclass(frozen=True)
class Entity:
    name: str
    required: bool
    description: str
    columns: tuple[Column, ...] = field(default_factory=tuple)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def required_columns(self) -> list[str]:
        return [c.name for c in self.columns if c.required]


def _meta(node: dict) -> dict:
    return (node.get("config") or {}).get("meta") or node.get("meta") or {}


@lru_cache(maxsize=4)
def load_contract(path: str | Path = SOURCES_YAML) -> dict[str, Entity]:
    """Return the landing entities declared in the sources YAML, keyed by name."""
    doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    source = next(s for s in doc["sources"] if s["name"] == "landing")
    entities: dict[str, Entity] = {}
    for table in source["tables"]:
        meta = _meta(table)
        columns = []
        for col in table["columns"]:
            cmeta = _meta(col)
            columns.append(
                Column(
                    name=col["name"],
                    data_type=cmeta.get("data_type", "text"),
                    required=bool(cmeta.get("required", False)),
                    description=col.get("description", ""),
                    allowed_values=tuple(str(v) for v in cmeta.get("allowed_values", ())),
                    personal_data=bool(cmeta.get("personal_data", False)),
                )
            )
        entities[table["name"]] = Entity(
            name=table["name"],
            required=bool(meta.get("required", False)),
            description=table.get("description", ""),
            columns=tuple(columns),
        )
    return entities


def contract_markdown() -> str:
    """The contract as Markdown tables, for the README."""
    lines: list[str] = []
    for entity in load_contract().values():
        status = "required" if entity.required else "optional"
        lines += [f"#### `{entity.name}` ({status})", "", entity.description, ""]
        lines += [
            "| column | type | required | meaning | allowed values |",
            "|---|---|---|---|---|",
        ]
        for c in entity.columns:
            allowed = ", ".join(c.allowed_values)
            req = "yes" if c.required else ""
            lines.append(f"| `{c.name}` | {c.data_type} | {req} | {c.description} | {allowed} |")
        lines.append("")
    return "\n".join(lines)
