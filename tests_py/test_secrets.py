"""No secret in the repository or in dbt's artifacts (manifest, run results, logs of a build)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from kam.contract import PROJECT_DIR

SECRET = re.compile(
    # a credential-looking key with a quoted literal value, or an unquoted YAML value
    r"(?im)\b(password|passwd|secret|api[_-]?key|access[_-]?key|token)\b\s*[:=]\s*['\"][^'\"\s{]{8,}['\"]"
    r"|^\s*(password|passwd|secret|api_key|access_key|token)\s*:\s*[^\s'\"{][^\s]{7,}$"
    r"|AKIA[0-9A-Z]{16}|-----BEGIN [A-Z ]*PRIVATE KEY-----|xox[bpa]-[0-9A-Za-z-]{10,}"
)


def scan(paths: list[Path]) -> list[str]:
    hits = []
    for p in paths:
        try:
            text = p.read_text(encoding="utf-8", errors="ignore")
        except (IsADirectoryError, FileNotFoundError):
            continue
        hits += [f"{p}: {m.group(0)[:40]}" for m in SECRET.finditer(text)]
    return hits


def test_no_secret_in_tracked_files():
    files = subprocess.run(
        ["git", "ls-files"], cwd=PROJECT_DIR, capture_output=True, text=True, check=True
    ).stdout.split()
    tracked = [PROJECT_DIR / f for f in files if not f.endswith((".gz", ".parquet", ".png"))]
    assert tracked
    assert scan(tracked) == []


def test_no_secret_in_dbt_artifacts(demo_warehouse):
    target = demo_warehouse.parent / "target"
    artifacts = [target / "manifest.json", target / "run_results.json"]
    artifacts += list((demo_warehouse.parent / "logs").glob("*.log"))
    assert (target / "manifest.json").exists()
    assert scan(artifacts) == []


def test_the_scan_catches_a_planted_secret(tmp_path):
    planted = tmp_path / "profiles.yml"
    # assembled at run time so this file does not itself hold a credential-looking literal
    value = "hunter2" * 2
    planted.write_text(f"password: '{value}'\n", encoding="utf-8")
    assert scan([planted])
