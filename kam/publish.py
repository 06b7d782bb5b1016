"""Write-audit-publish: build into a candidate file, audit it, publish it with one atomic rename.

Layout, next to the published file (`warehouse/kam.duckdb` by default, KAM_DUCKDB_PATH):

    warehouse/kam.duckdb                      the published version: a hard link to one file below
    warehouse/versions/<id>/kam.duckdb        immutable, audited versions (current + `keep` others)
    warehouse/build/candidate-<id>/kam.duckdb the build in progress: nobody else ever opens it
    warehouse/.kam.duckdb.publish.lock        one build, publish or rollback at a time (not readers)

Every copy has the published file's name because DuckDB names the database (catalog) after the file:
what dbt writes as "kam"."marts"."x" (views, the landing plugin) must resolve in every copy.

The build holds DuckDB's single-writer lock on the candidate only, so readers of the published file
never wait for a build and a build never waits for readers. Publishing checkpoints the candidate (no
WAL left), audits it read-only, moves it into versions/ and swaps the published name onto it with
os.replace of a hard link: a reader that opens the path gets either the old file or the new one,
whole; a reader that already has the old file open keeps reading the old file (its inode lives on)
until it reconnects. Rollback is the same swap onto the previous version. A failed or interrupted
build never touches the published file; what a killed build leaves in build/ is deleted at the start
of the next run. Details and the reasons: docs/readers.md.

`export_parquet` writes the marts of a published version as Parquet files, one folder per version,
and switches an `exports/current` symlink the same way.

POSIX only (fcntl locks, rename over an open file, hard links and symlinks).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb

DEFAULT_KEEP = 2  # previous versions kept besides the current one
ID_FORMAT = "%Y%m%dT%H%M%S%fZ"  # UTC, microseconds: sorts as text in publication order
_ID_RE = r"\d{8}T\d{12}Z"

Step = Callable[[Path], object]
Log = Callable[[str], None]


class PublishError(Exception):
    """The publication did not happen; the published file is as it was."""


class BuildFailed(PublishError):
    """The build step failed (dbt build, including its tests)."""


class AuditFailed(PublishError):
    """The audit rejected the candidate (Great Expectations validation)."""


class Busy(PublishError):
    """Another build, publish or rollback holds the warehouse lock."""


@dataclass(frozen=True)
class Version:
    id: str
    path: Path


@dataclass(frozen=True)
class Publication:
    published: Path
    version: Version
    previous: Version | None
    removed: list[Path] = field(default_factory=list)


@dataclass(frozen=True)
class Layout:
    """Where everything lives, derived from the published path."""

    published: Path

    @property
    def root(self) -> Path:
        return self.published.parent

    @property
    def build_dir(self) -> Path:
        return self.root / "build"

    @property
    def versions_dir(self) -> Path:
        return self.root / "versions"

    @property
    def lock_path(self) -> Path:
        return self.root / f".{self.published.name}.publish.lock"

    def candidate_path(self, version_id: str) -> Path:
        return self.build_dir / f"candidate-{version_id}" / self.published.name

    def version_path(self, version_id: str) -> Path:
        return self.versions_dir / version_id / self.published.name


def _layout(published: str | Path) -> Layout:
    return Layout(Path(published).absolute())


def _quiet(_msg: str) -> None:
    pass


# --- small file-system helpers ------------------------------------------------------------------


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def _wal(db: Path) -> Path:
    return db.with_name(db.name + ".wal")


def _same_file(a: os.stat_result, b: os.stat_result) -> bool:
    return (a.st_ino, a.st_dev) == (b.st_ino, b.st_dev)


@contextlib.contextmanager
def _exclusive(lock_path: Path, what: str) -> Iterator[None]:
    """One holder at a time (released by the kernel if the holder dies, so never stale)."""
    lock_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
            raise Busy(
                f"another {what} is running on {lock_path.parent} (pid {holder}): "
                "wait for it to finish, then run again"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


# --- versions -----------------------------------------------------------------------------------


def list_versions(published: str | Path) -> list[Version]:
    """Kept versions, oldest first."""
    lay = _layout(published)
    if not lay.versions_dir.is_dir():
        return []
    found = []
    for d in lay.versions_dir.iterdir():
        if re.fullmatch(_ID_RE, d.name) and (d / lay.published.name).is_file():
            found.append(Version(d.name, d / lay.published.name))
    return sorted(found, key=lambda v: v.id)


def current_version(published: str | Path) -> Version | None:
    """The kept version the published path points at (None: nothing published, or unmanaged)."""
    lay = _layout(published)
    try:
        pub = os.stat(lay.published)
    except FileNotFoundError:
        return None
    for v in list_versions(lay.published):
        with contextlib.suppress(FileNotFoundError):
            if _same_file(os.stat(v.path), pub):
                return v
    return None


def _new_version_id(taken: list[str]) -> str:
    now = datetime.now(UTC)
    if taken:
        last = datetime.strptime(max(taken), ID_FORMAT).replace(tzinfo=UTC)
        # strictly increasing, even if the clock goes back
        now = max(now, last + timedelta(microseconds=1))
    return now.strftime(ID_FORMAT)


def _refuse_wal(published: Path) -> None:
    if _wal(published).exists():
        raise PublishError(
            f"{_wal(published)} exists: a process has the published warehouse open for writing "
            "(or crashed while writing). The published file must only be opened read-only: close "
            "that process; if none is running, delete the .wal file (it belongs to no version)."
        )


def _switch(lay: Layout, version: Version) -> None:
    """Point the published name at `version` in one rename (readers see old or new, whole)."""
    tmp = lay.root / f".{lay.published.name}.{version.id}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    os.link(version.path, tmp)
    try:
        os.replace(tmp, lay.published)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_dir(lay.root)


def _cleanup_stale(lay: Layout, log: Log) -> list[Path]:
    """What interrupted runs left behind. Called under the lock, so no build is using any of it."""
    stale = []
    if lay.build_dir.is_dir():
        stale += [p for p in lay.build_dir.iterdir() if p.name.startswith("candidate-")]
    stale += list(lay.root.glob(f".{lay.published.name}.*.tmp"))
    if lay.versions_dir.is_dir():  # a version folder without its file: an interrupted adoption
        kept = {v.path.parent for v in list_versions(lay.published)}
        stale += [
            d for d in lay.versions_dir.iterdir() if re.fullmatch(_ID_RE, d.name) and d not in kept
        ]
    for p in sorted(stale):
        log(f"Removing what an interrupted run left: {p}")
        _remove(p)
    return stale


def _adopt_unmanaged(lay: Layout, log: Log) -> Version | None:
    """A published file that is not a kept version (older layout, copied in): keep it as one."""
    if not lay.published.exists():
        return None
    if (cur := current_version(lay.published)) is not None:
        return cur
    vid = _new_version_id([v.id for v in list_versions(lay.published)])
    target = lay.version_path(vid)
    target.parent.mkdir()
    os.link(lay.published, target)
    os.chmod(target, 0o444)
    _fsync_dir(lay.versions_dir)
    log(f"Keeping the existing {lay.published.name} as version {vid} (so it can be rolled back to)")
    return Version(vid, target)


def _finalize(candidate: Path) -> None:
    """Checkpoint and close the candidate: everything in the main file, no WAL beside it."""
    if not candidate.is_file():
        raise BuildFailed(f"the build did not create {candidate}")
    try:
        con = duckdb.connect(str(candidate))
        try:
            con.execute("checkpoint")
        finally:
            con.close()
    except duckdb.Error as exc:
        raise BuildFailed(f"the candidate cannot be opened and checkpointed: {exc}") from exc
    if _wal(candidate).exists():
        raise BuildFailed(f"{_wal(candidate)} is still there after a checkpoint")


def _stamp(path: Path) -> tuple[int, int, int]:
    st = os.stat(path)
    return st.st_size, st.st_mtime_ns, st.st_ino


def _prune(lay: Layout, keep: int, log: Log) -> list[Path]:
    """Keep the current version and the `keep` newest others; delete the rest."""
    cur = current_version(lay.published)
    others = [v for v in list_versions(lay.published) if v != cur]
    removed = []
    for v in others[: max(len(others) - keep, 0)]:
        log(f"Removing old version {v.id}")
        shutil.rmtree(v.path.parent, ignore_errors=True)  # open readers keep reading their file
        removed.append(v.path)
    return removed


def write_audit_publish(
    published: str | Path,
    build: Step,
    audit: Step | None = None,
    *,
    keep: int = DEFAULT_KEEP,
    log: Log = _quiet,
) -> Publication:
    """Build a candidate with `build(candidate_path)`, audit it, publish it atomically.

    build: writes a complete DuckDB database at the path it is given (the CLI runs dbt build with
    KAM_DUCKDB_PATH set to it, every dbt test included). It fails by raising or returning False.
    audit: reads the finished candidate (read-only) and fails by raising or returning False (the CLI
    runs the Great Expectations validation).
    Raises BuildFailed, AuditFailed, Busy or PublishError with the published file untouched.
    KeyboardInterrupt and the like propagate, after the candidate is deleted.
    """
    if keep < 0:
        raise ValueError("keep must be >= 0")
    lay = _layout(published)
    lay.root.mkdir(parents=True, exist_ok=True)
    with _exclusive(lay.lock_path, "build"):
        lay.build_dir.mkdir(exist_ok=True)
        lay.versions_dir.mkdir(exist_ok=True)
        _cleanup_stale(lay, log)
        _refuse_wal(lay.published)
        previous = _adopt_unmanaged(lay, log)
        vid = _new_version_id([v.id for v in list_versions(lay.published)])
        candidate = lay.candidate_path(vid)
        version = Version(vid, lay.version_path(vid))
        installed = False
        candidate.parent.mkdir()
        try:
            log(f"Building candidate {candidate}")
            try:
                ok = build(candidate)
            except PublishError:
                raise
            except Exception as exc:
                raise BuildFailed(f"build failed: {exc}") from exc
            if ok is False:
                raise BuildFailed("build failed")
            _finalize(candidate)
            before = _stamp(candidate)
            if audit is not None:
                log(f"Auditing candidate {candidate}")
                try:
                    ok = audit(candidate)
                except PublishError:
                    raise
                except Exception as exc:
                    raise AuditFailed(f"audit failed: {exc}") from exc
                if ok is False:
                    raise AuditFailed("audit failed")
            if _stamp(candidate) != before or _wal(candidate).exists():
                raise AuditFailed("the candidate changed during the audit: it must be read-only")
            os.chmod(candidate, 0o444)  # published versions are immutable
            _fsync_file(candidate)
            for extra in candidate.parent.iterdir():  # DuckDB's spill folder, if the build left it
                if extra != candidate:
                    _remove(extra)
            _fsync_dir(candidate.parent)
            os.replace(candidate.parent, version.path.parent)  # the folder appears whole, at once
            installed = True
            _fsync_dir(lay.versions_dir)
            _refuse_wal(lay.published)
            _switch(lay, version)
        except BaseException:
            _remove(candidate.parent)
            if installed and current_version(lay.published) != version:
                _remove(version.path.parent)
            raise
        log(f"Published version {vid} at {lay.published}")
        removed = _prune(lay, keep, log)
    return Publication(lay.published, version, previous, removed)


def rollback(published: str | Path, to: str | None = None, *, log: Log = _quiet) -> Publication:
    """Publish the version before the current one again (or version `to`), atomically."""
    lay = _layout(published)
    with _exclusive(lay.lock_path, "build or rollback"):
        _refuse_wal(lay.published)
        lay.versions_dir.mkdir(exist_ok=True)
        cur = _adopt_unmanaged(lay, log)  # never lose what is published now
        versions = list_versions(lay.published)
        if to is not None:
            wanted = [v for v in versions if v.id == to]
            if not wanted:
                kept = ", ".join(v.id for v in versions) or "none"
                raise PublishError(f"no kept version {to} (kept: {kept})")
            target = wanted[0]
        else:
            if cur is None:
                raise PublishError(f"nothing is published at {lay.published}: nothing to roll back")
            older = [v for v in versions if v.id < cur.id]
            if not older:
                raise PublishError(
                    f"no version older than {cur.id} is kept: nothing to roll back to"
                )
            target = older[-1]
        if target != cur:
            _switch(lay, target)
        log(f"Published version {target.id} at {lay.published} (was {cur.id if cur else 'none'})")
    return Publication(lay.published, target, cur)


def status_text(published: str | Path) -> str:
    lay = _layout(published)
    cur = current_version(lay.published)
    lines = [f"Published: {lay.published}"]
    if cur is None:
        state = "not a kept version" if lay.published.exists() else "nothing published yet"
        lines.append(f"    ({state})")
    for v in reversed(list_versions(lay.published)):
        mark = "  <- current" if v == cur else ""
        lines.append(f"    {v.id}  {v.path}{mark}")
    return "\n".join(lines)


# --- Parquet export ------------------------------------------------------------------------------


def _version_label(db: Path) -> str:
    """The version id of `db` (published path or kept version), else a label from its mtime."""
    if (cur := current_version(db)) is not None:
        return cur.id
    if re.fullmatch(_ID_RE, db.parent.name) and db.parent.parent.name == "versions":
        return db.parent.name
    mtime = datetime.fromtimestamp(db.stat().st_mtime, UTC)
    return f"snapshot-{mtime.strftime(ID_FORMAT)}"


def _export_sort_key(name: str) -> str:
    return name.removeprefix("snapshot-")


def current_export(out_root: str | Path) -> Path | None:
    """The folder `current` points at, resolved once: read every file from it, not via `current`."""
    link = Path(out_root) / "current"
    return link.resolve() if link.is_symlink() and link.resolve().is_dir() else None


def _sql_string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def export_parquet(
    db: str | Path,
    out_root: str | Path | None = None,
    *,
    keep: int = DEFAULT_KEEP,
    schema: str = "marts",
    log: Log = _quiet,
) -> Path:
    """Write every table of `schema` in `db` to out_root/<version>/<table>.parquet, then switch
    out_root/current to that folder in one rename; keep `keep` older folders besides the current.

    Reads `db` read-only and locked down (writing only to the staging folder), like any reader.
    """
    db = Path(db).absolute()
    out = Path(out_root).absolute() if out_root is not None else db.parent / "exports"
    if not db.is_file():
        raise PublishError(f"no warehouse at {db}: publish one first")
    out.mkdir(parents=True, exist_ok=True)
    with _exclusive(out / ".export.lock", "export"):
        for p in [*out.glob(".tmp-*"), *out.glob(".current.*.tmp")]:
            log(f"Removing what an interrupted export left: {p}")
            _remove(p)
        label = _version_label(db)
        final = out / label
        if final.is_dir():
            log(f"Version {label} is already exported at {final}")
        else:
            _write_export(db, out / f".tmp-{label}-{os.getpid()}", final, label, schema, log)
        link = out / "current"
        if link.exists() and not link.is_symlink():
            raise PublishError(f"{link} exists and is not a symlink: move it away")
        tmp_link = out / f".current.{os.getpid()}.tmp"
        tmp_link.unlink(missing_ok=True)
        os.symlink(label, tmp_link)  # relative: the exports folder can be moved or mounted
        os.replace(tmp_link, link)
        _fsync_dir(out)
        log(f"Parquet export of version {label}: {final} ({link} points at it)")
        others = sorted(
            (
                p
                for p in out.iterdir()
                if p.is_dir() and not p.is_symlink() and not p.name.startswith(".") and p != final
            ),
            key=lambda p: _export_sort_key(p.name),
        )
        for p in others[: max(len(others) - keep, 0)]:
            log(f"Removing old export {p}")
            shutil.rmtree(p, ignore_errors=True)
    return final


def _write_export(db: Path, staging: Path, final: Path, label: str, schema: str, log: Log) -> None:
    from kam.readers import connect_readonly

    staging.mkdir()
    try:
        con = connect_readonly(db, allowed_directories=[staging])
        try:
            tables = [
                r[0]
                for r in con.execute(
                    "select table_name from duckdb_tables() where schema_name = ? "
                    "order by table_name",
                    [schema],
                ).fetchall()
            ]
            if not tables:
                raise PublishError(f"no tables in schema {schema} of {db}")
            manifest = {"version": label, "source": str(db), "schema": schema, "tables": {}}
            for t in tables:
                target = staging / f"{t}.parquet"
                ident = '"' + t.replace('"', '""') + '"'
                (n,) = con.execute(
                    f"copy {schema}.{ident} to {_sql_string(str(target))} "
                    "(format parquet, compression zstd)"
                ).fetchall()[0]
                manifest["tables"][t] = {"file": target.name, "rows": n}
                log(f"    {t:<40} {n:>12,} rows")
        finally:
            con.close()
        (staging / "_manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
        for p in staging.iterdir():
            _fsync_file(p)
        _fsync_dir(staging)
        os.replace(staging, final)  # a complete folder appears at once, or not at all
        _fsync_dir(final.parent)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
