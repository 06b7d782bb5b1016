"""Documentation and test coverage of the dbt project, read from its manifest.

Rules (each violation is listed; any violation fails `python -m kam coverage` and the test suite):
- every model, seed, source table, and every column of each, has a description;
- every model has a primary-key test: `unique` and `not_null` on one column, or
  `unique_combination_of_columns` with `not_null` on each of its columns, or an enforced
  primary-key constraint, or (one-row models) `at_most_one_row`; an enforced `not_null`
  constraint counts as `not_null`;
- no test that cannot fail: a `not_null` test on a column whose enforced contract has a
  `not_null` constraint, or a `unique` test on an enforced primary key (DuckDB refuses such rows
  when the table is built, so the test would only re-check what cannot be there; decision log 36);
- every mart (models/marts/): each label column (name ending in _class, _type, _stage, _band,
  _cell, _category, _status, _rule, _label, _role, status, role, ...) has `accepted_values`
  or an enforced `check` constraint `<column> in (...)`; each share, ratio, rate, score or
  coverage column has `accepted_range` or an enforced `check` constraint bounding it
  (`<column> >= ...`, `<column> <= ...`; decision log 37); and the mart carries
  `no_personal_data`.
"""

from __future__ import annotations

import json
import re
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

LABEL = re.compile(
    r"(^|_)(class|type|stage|band|cell|category|status|rule|role|tier|"
    r"origin|basis|disposition|recommendation|demand_class)$"
)
MEASURE = re.compile(
    r"(^|_)(share|ratio|rate|score|coverage|pct|percent|probability|"
    r"utilisation|utilization)($|_)"
)
# columns that match the patterns above but are not labels or bounded measures
NOT_A_LABEL = re.compile(
    r"(_id|_ids|_name|_date|_at|_rule_text|_description|_reason|_detail|"
    r"_types|_rules|_note|_label|z_score)$|^(is|has)_"
)
# Reviewed exceptions, each with its reason (shown in the report). Keep this list short.
EXEMPT = {
    "dim_accounts.potential_growth_rate": "a growth rate as delivered in the accounts file, "
    "not a bounded share",
    "fct_account_segments.cost_coverage_share_window": "a share of net revenue: credit notes "
    "make it fall outside 0-1 (described on the column)",
    "fct_group_segments.cost_coverage_share_window": "as fct_account_segments",
    "fct_account_segments.discount_share_window": "discounts over gross sales: credit notes and "
    "discount lines can push it outside 0-1 (described on the column)",
    "fct_group_segments.discount_share_window": "as fct_account_segments",
    "fct_account_profitability.cost_of_sales_coverage": "a label (complete / partial / unknown), "
    "not a bounded share",
    "fct_account_criterion_scores.measured_category": "the raw category measured for a criterion "
    "(free text from the source), not a closed list",
    "stg_landing__load_log": "one row per file read or per missing entity: the file is null for a "
    "missing entity, so its key is checked by the reconciliation tests instead",
}


@dataclass
class Coverage:
    violations: list[str] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=lambda: defaultdict(int))

    def add(self, msg: str) -> None:
        self.violations.append(msg)


def _tests_by_node(manifest: dict) -> dict[str, list[dict]]:
    by_node: dict[str, list[dict]] = defaultdict(list)
    for node in manifest["nodes"].values():
        if node["resource_type"] != "test":
            continue
        for dep in node.get("depends_on", {}).get("nodes", []):
            by_node[dep].append(node)
    return by_node


def _test_name(test: dict) -> str:
    meta = test.get("test_metadata") or {}
    return meta.get("name", "singular")


def _test_column(test: dict) -> str | None:
    col = test.get("column_name")
    if col:
        return col.lower()
    kwargs = (test.get("test_metadata") or {}).get("kwargs") or {}
    col = kwargs.get("column_name")
    return col.lower() if isinstance(col, str) else None


def _checks_constraints(model: dict) -> bool:
    """DuckDB checks the model's constraints: a table with an enforced contract (views have
    none)."""
    config = model.get("config") or {}
    return bool((config.get("contract") or {}).get("enforced")) and (
        config.get("materialized") != "view"
    )


def _enforced_constraints(model: dict, kind: str) -> set[str]:
    """Columns that DuckDB checks with a constraint of this kind: the model is a table with an
    enforced contract (a view has no constraints), and `primary_key` counts only a one-column
    key (a column of a composite key may repeat). A primary-key column is also not null."""
    if not _checks_constraints(model):
        return set()
    kinds = {kind, "primary_key"} if kind == "not_null" else {kind}
    cols = {
        name.lower()
        for name, col in model.get("columns", {}).items()
        if any(c.get("type") in kinds for c in col.get("constraints", []) or [])
    }
    for c in model.get("constraints", []) or []:
        columns = c.get("columns", []) or []
        if c.get("type") in kinds and (len(columns) == 1 or c.get("type") == "not_null"):
            cols |= {x.lower() for x in columns}
    return cols


def _check_expressions(model: dict) -> dict[str, list[str]]:
    """Column -> the expressions of its enforced column-level `check` constraints (lower case)."""
    if not _checks_constraints(model):
        return {}
    return {
        name.lower(): [
            (c.get("expression") or "").strip().lower()
            for c in col.get("constraints", []) or []
            if c.get("type") == "check"
        ]
        for name, col in model.get("columns", {}).items()
    }


def _checks_values(column: str, expressions: list[str]) -> bool:
    return any(re.match(rf"^\(?{re.escape(column)} in \(", e) for e in expressions)


def _checks_range(column: str, expressions: list[str]) -> bool:
    return any(re.search(rf"(^|\(| and ){re.escape(column)} [<>]=? ", e) for e in expressions)


def _has_primary_key(model: dict, tests: list[dict]) -> bool:
    if _checks_constraints(model):
        for col in model.get("columns", {}).values():
            for c in col.get("constraints", []) or []:
                if c.get("type") == "primary_key":
                    return True
        for c in model.get("constraints", []) or []:
            if c.get("type") == "primary_key":
                return True
    unique = {_test_column(t) for t in tests if _test_name(t) == "unique"}
    not_null = {_test_column(t) for t in tests if _test_name(t) == "not_null"}
    not_null |= _enforced_constraints(model, "not_null")
    if (unique & not_null) - {None}:
        return True
    for t in tests:
        name = _test_name(t)
        kwargs = (t.get("test_metadata") or {}).get("kwargs") or {}
        if name == "unique_combination_of_columns":
            cols = {c.lower() for c in kwargs.get("combination_of_columns", [])}
            if cols and cols <= not_null:
                return True
        if name == "at_most_one_row" and not kwargs.get("group_by_columns"):
            return True
    return False


def check(manifest: dict, catalog: dict | None = None) -> Coverage:
    """Check the manifest; with a catalog (dbt docs generate), also the columns the built
    tables really have, so a column missing from the YAML is caught too."""
    cov = Coverage()
    cov.exempted = []  # type: ignore[attr-defined]
    real_columns = {
        uid: {c.lower() for c in node.get("columns", {})}
        for uid, node in ((catalog or {}).get("nodes") or {}).items()
    }
    tests_by_node = _tests_by_node(manifest)
    project = manifest["metadata"].get("project_name") or "kam"

    for uid, node in sorted(manifest["nodes"].items()):
        rtype = node["resource_type"]
        if node.get("package_name") != project or rtype not in ("model", "seed"):
            continue
        name = node["name"]
        cov.counts[f"{rtype}s"] += 1
        if not (node.get("description") or "").strip():
            cov.add(f"{rtype} {name}: no description")
        else:
            cov.counts[f"{rtype}s_described"] += 1
        for cname, col in node.get("columns", {}).items():
            cov.counts["columns"] += 1
            if not (col.get("description") or "").strip():
                cov.add(f"{rtype} {name}.{cname}: no description")
            else:
                cov.counts["columns_described"] += 1
        documented = {c.lower() for c in node.get("columns", {})}
        for missing in sorted(real_columns.get(uid, set()) - documented):
            cov.counts["columns"] += 1
            cov.add(f"{rtype} {name}.{missing}: column not documented")
        if rtype != "model":
            continue
        if not node.get("columns"):
            cov.add(f"model {name}: no column documented")
        tests = tests_by_node.get(uid, [])
        if _has_primary_key(node, tests):
            cov.counts["models_with_primary_key_test"] += 1
        else:
            cov.add(f"model {name}: no primary-key test (unique + not_null, or a constraint)")
        own_tests = [t for t in tests if t.get("attached_node") in (None, uid)]
        for kind, test_name in (("not_null", "not_null"), ("primary_key", "unique")):
            enforced = _enforced_constraints(node, kind)
            for t in own_tests:
                col = _test_column(t)
                if _test_name(t) == test_name and col in enforced:
                    cov.add(
                        f"model {name}.{col}: {test_name} test cannot fail "
                        f"(enforced {kind} constraint)"
                    )
        if "/marts/" not in "/" + node["original_file_path"].replace("\\", "/"):
            continue
        cov.counts["marts"] += 1
        names = {_test_name(t) for t in tests}
        if "no_personal_data" not in names:
            cov.add(f"mart {name}: no no_personal_data test")
        accepted = {_test_column(t) for t in tests if _test_name(t) == "accepted_values"}
        ranged = {_test_column(t) for t in tests if _test_name(t) in ("accepted_range",)}
        checks = _check_expressions(node)
        for cname, col in node.get("columns", {}).items():
            lc = cname.lower()
            if NOT_A_LABEL.search(lc):
                continue
            dtype = (col.get("data_type") or "").lower()
            if LABEL.search(lc) and not dtype.startswith(("double", "decimal", "int", "float")):
                cov.counts["mart_label_columns"] += 1
                if lc in accepted or _checks_values(lc, checks.get(lc, [])):
                    cov.counts["mart_label_columns_tested"] += 1
                else:
                    cov.add(
                        f"mart {name}.{cname}: label without accepted_values or check constraint"
                    )
            elif MEASURE.search(lc):
                cov.counts["mart_measure_columns"] += 1
                if lc in ranged or _checks_range(lc, checks.get(lc, [])):
                    cov.counts["mart_measure_columns_tested"] += 1
                else:
                    cov.add(
                        f"mart {name}.{cname}: share/ratio/score "
                        "without accepted_range or check constraint"
                    )

    kept = [v for v in cov.violations if not _exempt(v)]
    cov.exempted = [v for v in cov.violations if _exempt(v)]  # type: ignore[attr-defined]
    cov.violations = kept
    for _uid, src in sorted(manifest.get("sources", {}).items()):
        if src.get("package_name") != project:
            continue
        name = f"{src['source_name']}.{src['name']}"
        cov.counts["source_tables"] += 1
        if not (src.get("description") or "").strip():
            cov.add(f"source {name}: no description")
        for cname, col in src.get("columns", {}).items():
            cov.counts["source_columns"] += 1
            if not (col.get("description") or "").strip():
                cov.add(f"source {name}.{cname}: no description")
    for _uid, macro in sorted((manifest.get("macros") or {}).items()):
        if macro.get("package_name") != project:
            continue
        cov.counts["macros"] += 1
        if not (macro.get("description") or "").strip():
            cov.add(f"macro {macro['name']}: no description (macros/_macros.yml)")
    return cov


def _exempt(msg: str) -> bool:
    subject = msg.split(":")[0].split(" ", 1)[-1]
    return subject in EXEMPT


def report(cov: Coverage) -> str:
    c = cov.counts
    lines = [
        "Documentation and test coverage (dbt manifest):",
        f"  models described          {c['models_described']}/{c['models']}",
        f"  seeds described           {c['seeds_described']}/{c['seeds']}",
        f"  columns described         {c['columns_described']}/{c['columns']}",
        f"  source tables / columns   {c['source_tables']} / {c['source_columns']}",
        f"  models with a primary key {c['models_with_primary_key_test']}/{c['models']}",
        f"  mart labels tested        {c['mart_label_columns_tested']}/{c['mart_label_columns']}",
        "  mart shares/scores ranged "
        f"{c['mart_measure_columns_tested']}/{c['mart_measure_columns']}",
        f"  violations                {len(cov.violations)}",
    ]
    lines += [f"    - {v}" for v in cov.violations]
    exempted = getattr(cov, "exempted", [])
    if exempted:
        lines.append(f"  reviewed exceptions       {len(exempted)}")
        for v in exempted:
            subject = v.split(":")[0].split(" ", 1)[-1]
            lines.append(f"    - {subject}: {EXEMPT[subject]}")
    return "\n".join(lines)


def main(manifest_path: Path, catalog_path: Path | None = None) -> int:
    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    catalog = None
    if catalog_path and Path(catalog_path).exists():
        catalog = json.loads(Path(catalog_path).read_text(encoding="utf-8"))
    cov = check(manifest, catalog)
    print(report(cov))
    return 0 if not cov.violations else 1


if __name__ == "__main__":
    target = Path(sys.argv[1] if len(sys.argv) > 1 else "target")
    sys.exit(main(target / "manifest.json", target / "catalog.json"))
