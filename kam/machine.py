"""DuckDB's memory limit, from the machine unless KAM_MEMORY_LIMIT says otherwise.

Every dbt command (and so `python -m kam run`, the benchmark and a plain `dbt build`) opens the
warehouse through the landing plugin, which calls `apply_memory_limit` once on the connection:
the limit is global to the database, so every model, test and Python model shares it.

The default is half the machine's memory (the lower of the physical memory and a container's
cgroup limit), in whole GB, at least 1 GB and at most 8 GB:
- half, because DuckDB's limit covers its buffers only: dbt, pandas in the Python models and the
  Arrow results they pull live beside it (at 61M lines the build peaked 1.4 GiB above the
  limit, and once 4 GiB: decision log 38), and a BI reader may have the file open;
- at most 8 GB, because that ceiling is what the large scale (61M lines) was measured with: it
  built in one process at an 8.87 GiB peak, where a 10 GB limit peaked at 13.26 GiB, above the
  12 GiB target. A bigger machine can raise it with KAM_MEMORY_LIMIT; DuckDB spills what does
  not fit to KAM_TEMP_DIR either way.
When the memory cannot be read (no sysconf, e.g. Windows), the limit is left to DuckDB (80% of
the memory it finds).
"""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

#: the highest default limit, in GB (see the module docstring)
CEILING_GB = 8
#: the share of the machine's memory DuckDB gets by default
SHARE = 0.5

_SIZE = re.compile(r"^\s*\d+(\.\d+)?\s*(B|KB|MB|GB|TB|KIB|MIB|GIB|TIB)\s*$", re.IGNORECASE)
_CGROUP_FILES = (
    Path("/sys/fs/cgroup/memory.max"),  # cgroup v2: a number, or "max"
    Path("/sys/fs/cgroup/memory/memory.limit_in_bytes"),  # cgroup v1: a huge number if unset
)


def machine_memory_bytes(cgroup_files: tuple[Path, ...] = _CGROUP_FILES) -> int | None:
    """The memory this process can use: the physical memory, or a container's lower limit.
    None when the physical memory cannot be read."""
    try:
        physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (AttributeError, ValueError, OSError):
        return None
    if physical <= 0:
        return None
    limits = [physical]
    for path in cgroup_files:
        with contextlib.suppress(OSError, ValueError):
            limits.append(int(path.read_text().strip()))  # "max" raises ValueError: no limit
    return min(limit for limit in limits if limit > 0)


def default_memory_limit(memory_bytes: int | None) -> str | None:
    """Half of `memory_bytes` in whole GB, between 1 and CEILING_GB ("8GB" on 24 GiB);
    None (DuckDB's own default) when the memory is unknown."""
    if not memory_bytes:
        return None
    gib = memory_bytes / 1024**3
    return f"{max(1, min(CEILING_GB, int(gib * SHARE)))}GB"


def memory_limit(environ: dict[str, str] | None = None) -> str | None:
    """KAM_MEMORY_LIMIT when set (checked: a size such as 6GB or 512MB), else the machine's
    default. Raises ValueError, naming the variable, for anything that is not a size."""
    env = os.environ if environ is None else environ
    value = (env.get("KAM_MEMORY_LIMIT") or "").strip()
    if not value:
        return default_memory_limit(machine_memory_bytes())
    if not _SIZE.match(value):
        raise ValueError(
            f"KAM_MEMORY_LIMIT={value!r} is not a memory size: give a number and a unit, "
            "e.g. KAM_MEMORY_LIMIT=6GB or 512MB (unset it to take half the machine's memory, "
            f"at most {CEILING_GB}GB)"
        )
    return value.replace(" ", "")


def apply_memory_limit(conn, environ: dict[str, str] | None = None) -> str | None:
    """Set DuckDB's memory limit on `conn` (see memory_limit); returns what was set."""
    limit = memory_limit(environ)
    if limit is not None:
        conn.execute(f"set memory_limit = '{limit}'")  # checked against _SIZE: no quote inside
    return limit
