"""Write-audit-publish: builds go to a candidate, only audited versions are published, atomically.

The dbt build is simulated (a fake build writes a few marts tables, all carrying one version id) so
these tests take seconds; the real CLI passes dbt build and the Great Expectations validation as the
build and audit steps. Readers run in separate processes, like BI tools: DuckDB's file locks are per
process, and within one process connections share one database instance.
"""

from __future__ import annotations

import hashlib
import json
import os
import pwd
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import threading
import time
from pathlib import Path

import duckdb
import pytest

from kam import publish
from kam.contract import PROJECT_DIR
from kam.publish import (
    AuditFailed,
    BuildFailed,
    Busy,
    PublishError,
    current_export,
    current_version,
    export_parquet,
    list_versions,
    rollback,
    write_audit_publish,
)

MARTS = ("dim_accounts", "fct_sales_lines", "agg_segments")

# A fake build, shared with the subprocesses below: every mart, and marts._version, carry the tag.
FAKE_BUILD = textwrap.dedent(
    """
    import time
    import duckdb

    MARTS = {marts!r}

    def fake_build(tag, rows=50, hold=0.0, fail_at=None, on_table=None):
        def build(candidate):
            con = duckdb.connect(str(candidate))
            try:
                con.execute("create schema marts")
                for i, name in enumerate(MARTS):
                    con.execute(
                        f"create table marts.{{name}} as "
                        "select ?::varchar as version_id, range as n from range(?)",
                        [tag, rows + i],
                    )
                    if on_table is not None:
                        on_table(i)
                    if fail_at == i:
                        raise RuntimeError(f"dbt test failed on {{name}}")
                con.execute("create table marts._version as select ?::varchar as version_id", [tag])
                time.sleep(hold)  # the build holds the candidate's write lock meanwhile
            finally:
                con.close()
        return build
    """
).format(marts=MARTS)
_ns: dict = {}
exec(FAKE_BUILD, _ns)
fake_build = _ns["fake_build"]


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def snapshot(db: Path) -> dict[str, list[tuple]]:
    con = duckdb.connect(str(db), read_only=True)
    try:
        tables = [
            r[0]
            for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
            ).fetchall()
        ]
        return {t: con.execute(f"select * from marts.{t} order by all").fetchall() for t in tables}
    finally:
        con.close()


def version_of(db: Path) -> str:
    return snapshot(db)["_version"][0][0]


def candidates(published: Path) -> list[Path]:
    build_dir = published.parent / "build"
    return sorted(build_dir.iterdir()) if build_dir.is_dir() else []


@pytest.fixture
def published(tmp_path) -> Path:
    """A warehouse folder with version v1 published."""
    db = tmp_path / "warehouse" / "kam.duckdb"
    write_audit_publish(db, fake_build("v1"))
    return db


def python(code: str, *args: str, **kw) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", code, *args],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
        **kw,
    )


# --- publishing ----------------------------------------------------------------------------------


def test_publish_switches_the_published_file_to_a_new_version(published):
    first = current_version(published)
    assert first is not None and version_of(published) == "v1"
    pub = write_audit_publish(published, fake_build("v2"))
    assert pub.previous == first and pub.version == current_version(published)
    assert version_of(published) == "v2"
    # the published path is a plain file (any client can open it), the same file as the version
    assert published.is_file() and not published.is_symlink()
    assert os.path.samefile(published, pub.version.path)
    assert [v.id for v in list_versions(published)] == [first.id, pub.version.id]
    assert not (published.parent / "kam.duckdb.wal").exists()
    assert sorted(p.name for p in pub.version.path.parent.iterdir()) == ["kam.duckdb"]  # no WAL
    assert candidates(published) == []
    assert os.stat(pub.version.path).st_mode & 0o222 == 0  # versions are read-only files


def test_every_copy_keeps_the_database_name_dbt_wrote(published):
    """DuckDB names the database after the file: a view that dbt writes as "kam"."marts"."x" must
    work in the candidate, in the kept version and through the published path."""
    seen = []

    def build(candidate: Path) -> None:
        seen.append(candidate.name)
        fake_build("v2")(candidate)
        con = duckdb.connect(str(candidate))
        con.execute('create view marts.v_accounts as select * from "kam"."marts"."dim_accounts"')
        con.close()

    pub = write_audit_publish(published, build)
    assert seen == ["kam.duckdb"]
    for path in (published, pub.version.path):
        con = duckdb.connect(str(path), read_only=True)
        assert con.execute("select count(*) from marts.v_accounts").fetchall() == [(50,)]
        con.close()


def test_failing_audit_leaves_the_published_file_untouched(published):
    digest, tables, versions = sha256(published), snapshot(published), list_versions(published)

    def audit(candidate: Path) -> bool:
        assert snapshot(candidate)["_version"] == [("v2",)]  # the audit reads the candidate
        return False  # e.g. a Great Expectations check failed

    with pytest.raises(AuditFailed):
        write_audit_publish(published, fake_build("v2"), audit)
    assert sha256(published) == digest and snapshot(published) == tables
    assert list_versions(published) == versions and candidates(published) == []


def test_audit_that_raises_is_a_failed_audit(published):
    digest = sha256(published)

    def audit(candidate: Path) -> None:
        raise ValueError("2 expectations failed on marts.dim_accounts")

    with pytest.raises(AuditFailed, match="2 expectations failed"):
        write_audit_publish(published, fake_build("v2"), audit)
    assert sha256(published) == digest and candidates(published) == []


def test_failing_build_leaves_the_published_file_untouched(published):
    digest, tables = sha256(published), snapshot(published)
    audited = []
    with pytest.raises(BuildFailed, match="dbt test failed on fct_sales_lines"):
        write_audit_publish(published, fake_build("v2", fail_at=1), audited.append)
    assert audited == []  # a failed build is never audited
    assert sha256(published) == digest and snapshot(published) == tables
    assert candidates(published) == [] and len(list_versions(published)) == 1
    with pytest.raises(BuildFailed):
        write_audit_publish(published, lambda candidate: False)
    with pytest.raises(BuildFailed, match="did not create"):
        write_audit_publish(published, lambda candidate: None)
    assert sha256(published) == digest


def test_interrupted_build_leaves_no_partial_state(published):
    digest = sha256(published)

    def interrupt(i: int) -> None:
        if i == 1:
            raise KeyboardInterrupt  # Ctrl-C in the middle of the build

    with pytest.raises(KeyboardInterrupt):
        write_audit_publish(published, fake_build("v2", on_table=interrupt))
    assert sha256(published) == digest and version_of(published) == "v1"
    assert candidates(published) == [] and len(list_versions(published)) == 1


def test_killed_build_is_cleaned_at_the_next_run(published):
    """kill -9 leaves a half-written candidate; the published file is untouched; the next run
    removes it (the kernel released the dead build's lock, so the next run is not blocked)."""
    digest = sha256(published)
    code = FAKE_BUILD + textwrap.dedent(
        """
        import sys
        from kam.publish import write_audit_publish

        def ready(i):
            if i == 1:
                print("building", flush=True)
                time.sleep(60)

        write_audit_publish(sys.argv[1], fake_build("v2", on_table=ready))
        """
    )
    proc = python(code, str(published))
    try:
        assert proc.stdout.readline().strip() == "building", proc.stderr.read()
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        proc.kill()
        proc.communicate()
    assert any(p.name.startswith("candidate-") for p in candidates(published))  # partial state
    assert sha256(published) == digest and version_of(published) == "v1"
    write_audit_publish(published, fake_build("v3"))
    assert version_of(published) == "v3" and candidates(published) == []


def test_a_client_that_forgets_read_only_cannot_write_the_published_file():
    """Versions are read-only files: opening the published file for writing is refused by the OS,
    even to its owner, instead of taking DuckDB's write lock. Root ignores file modes, so under
    root the file is given to user nobody, who then tries."""
    folder = Path(tempfile.mkdtemp(dir="/tmp"))
    try:
        folder.chmod(0o755)
        db = folder / "kam.duckdb"
        write_audit_publish(db, fake_build("v1"))
        if os.geteuid() != 0:
            with pytest.raises(duckdb.IOException, match="Permission denied"):
                duckdb.connect(str(db))
            return
        try:
            nobody = pwd.getpwnam("nobody")
        except KeyError:
            pytest.skip("no user nobody to check as")
        os.chown(db, nobody.pw_uid, nobody.pw_gid)  # nobody owns it: only the mode stops writes
        pid = os.fork()
        if pid == 0:  # child: drop privileges, try to open for writing, then read-only
            code = 1
            try:
                os.setgid(nobody.pw_gid)
                os.setuid(nobody.pw_uid)
                try:
                    duckdb.connect(str(db)).close()
                except duckdb.IOException as exc:
                    con = duckdb.connect(str(db), read_only=True)
                    ok = con.execute("select version_id from marts._version").fetchall()
                    code = 0 if "Permission denied" in str(exc) and ok == [("v1",)] else 2
            finally:
                os._exit(code)
        _, status = os.waitpid(pid, 0)
        assert os.waitstatus_to_exitcode(status) == 0
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_one_build_at_a_time(published):
    digest = sha256(published)
    started, release = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def slow_build(candidate: Path) -> None:
        started.set()
        release.wait(10)
        fake_build("v2")(candidate)

    def first() -> None:
        try:
            write_audit_publish(published, slow_build)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    t = threading.Thread(target=first)
    t.start()
    try:
        assert started.wait(10)
        with pytest.raises(Busy, match=f"pid {os.getpid()}"):
            write_audit_publish(published, fake_build("v3"))
        with pytest.raises(Busy):
            rollback(published)
        assert sha256(published) == digest  # the running build has not published yet
    finally:
        release.set()
        t.join(10)
    assert errors == [] and version_of(published) == "v2"


def test_a_wal_beside_the_published_file_stops_the_publication(published):
    digest = sha256(published)
    wal = published.with_name(published.name + ".wal")
    wal.write_bytes(b"someone opened the published file for writing")
    with pytest.raises(PublishError, match="read-only"):
        write_audit_publish(published, fake_build("v2"))
    assert sha256(published) == digest and candidates(published) == []
    wal.unlink()


def test_an_unmanaged_published_file_is_kept_as_a_version(tmp_path):
    """The layout before write-audit-publish: a plain warehouse/kam.duckdb built in place."""
    db = tmp_path / "kam.duckdb"
    fake_build("legacy")(db)
    assert current_version(db) is None
    pub = write_audit_publish(db, fake_build("v1"))
    assert pub.previous is not None and version_of(db) == "v1"
    rollback(db)
    assert version_of(db) == "legacy"


# --- readers during builds and publications -----------------------------------------------------

READER = textwrap.dedent(
    """
    import json, sys, time
    from pathlib import Path
    from kam.readers import connect_readonly

    path, mode, stop = sys.argv[1], sys.argv[2], Path(sys.argv[3])
    expected = set(sys.argv[4].split(","))
    reads, errors, mixes = [], [], []

    def read(con):
        # every mart of one connection must belong to the version in marts._version
        (marker,), = con.execute("select version_id from marts._version").fetchall()
        tables = {
            r[0] for r in con.execute(
                "select table_name from duckdb_tables() where schema_name = 'marts'"
            ).fetchall()
        } - {"_version"}
        found = set()
        for t in sorted(tables):
            rows = con.execute(f"select distinct version_id from marts.{t}").fetchall()
            found |= {r[0] for r in rows}
        if found != {marker} or tables != expected:
            mixes.append([marker, sorted(found), sorted(tables)])
        return marker

    con = connect_readonly(path) if mode == "long" else None
    print("ready", flush=True)
    last = None
    while not stop.exists():
        t0 = time.time()
        try:
            c = con if con is not None else connect_readonly(path)
            try:
                marker = read(c)
            finally:
                if c is not con:
                    c.close()
            reads.append([t0, time.time(), marker])
            if marker != last:
                print("seen", marker, flush=True)
                last = marker
        except Exception as exc:
            errors.append(repr(exc))
    print(json.dumps({"reads": reads, "errors": errors, "mixes": mixes}), flush=True)
    """
)


def start_reader(published: Path, mode: str, stop: Path) -> subprocess.Popen:
    proc = python(READER, str(published), mode, str(stop), ",".join(MARTS))
    assert proc.stdout.readline().strip() == "ready", proc.stderr.read()
    return proc


def reader_result(proc: subprocess.Popen) -> dict:
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def test_readers_in_a_loop_see_no_error_and_never_a_mix(published, tmp_path):
    stop = tmp_path / "stop"
    fresh = start_reader(published, "fresh", stop)  # a new connection for every read
    long_lived = start_reader(published, "long", stop)  # one connection for the whole test
    builds: list[tuple[float, float]] = []
    try:
        for n in range(2, 6):
            t0 = time.time()
            # the build holds the candidate's write lock for 1 s: readers must not notice (1 s, so
            # a read completes inside it on 2 cores shared with another test worker's build)
            write_audit_publish(published, fake_build(f"v{n}", rows=50 * n, hold=1.0), keep=1)
            builds.append((t0, time.time()))
            time.sleep(0.1)
        safety = threading.Timer(30, stop.touch)  # never wait forever for the reader below
        safety.start()
        while (line := fresh.stdout.readline()) and line.strip() != "seen v5":
            pass  # until the fresh reader has read the last version
        safety.cancel()
    finally:
        stop.touch()
        fresh_res, long_res = reader_result(fresh), reader_result(long_lived)
    for res in (fresh_res, long_res):
        assert res["errors"] == [] and res["mixes"] == []
    seen = [r[2] for r in fresh_res["reads"]]
    # fresh connections follow every publication, in order; old versions were deleted (keep=1)
    # while the long-lived reader still had v1 open, and it kept reading v1 without an error
    assert list(dict.fromkeys(seen)) == ["v1", "v2", "v3", "v4", "v5"]
    assert {r[2] for r in long_res["reads"]} == {"v1"}
    assert len(list_versions(published)) == 2
    # readers were never blocked: they completed reads while each build held its write lock
    for start, end in builds:
        assert any(start <= r[0] and r[1] <= end for r in fresh_res["reads"])
        assert any(start <= r[0] and r[1] <= end for r in long_res["reads"])


def test_a_build_succeeds_while_a_reader_holds_the_published_file(published):
    code = textwrap.dedent(
        """
        import sys
        from kam.readers import connect_readonly

        con = connect_readonly(sys.argv[1])
        print(con.execute("select version_id from marts._version").fetchall()[0][0], flush=True)
        sys.stdin.readline()  # hold the file open until told
        print(con.execute("select version_id from marts._version").fetchall()[0][0], flush=True)
        print(con.execute("select count(*) from marts.fct_sales_lines").fetchall()[0][0])
        """
    )
    reader = python(code, str(published))
    try:
        assert reader.stdout.readline().strip() == "v1", reader.stderr.read()
        write_audit_publish(published, fake_build("v2", rows=500))
        assert version_of(published) == "v2"
        rollback(published)  # and a rollback too
        write_audit_publish(published, fake_build("v3"))
        out, err = reader.communicate("go\n", timeout=30)
    finally:
        reader.kill()
    assert reader.returncode == 0, err
    assert out.split() == ["v1", "51"]  # the reader kept its consistent view of v1
    assert version_of(published) == "v3"


def test_why_readers_never_open_the_candidate(published):
    """DuckDB allows one writer or many readers per file: while a build writes its candidate, the
    candidate cannot even be opened read-only, but the published file can."""
    code = textwrap.dedent(
        """
        import sys
        import duckdb
        from kam.readers import connect_readonly

        try:
            duckdb.connect(sys.argv[1], read_only=True)
            print("candidate opened")
        except duckdb.Error as exc:
            print("candidate locked" if "lock" in str(exc).lower() else repr(exc))
        con = connect_readonly(sys.argv[2])
        print(con.execute("select version_id from marts._version").fetchall()[0][0])
        """
    )
    outputs = []

    def probe(i: int) -> None:
        if i == 0:
            (candidate,) = (published.parent / "build").glob("candidate-*/kam.duckdb")
            out = subprocess.run(
                [sys.executable, "-c", code, str(candidate), str(published)],
                cwd=PROJECT_DIR,
                capture_output=True,
                text=True,
                timeout=30,
            )
            outputs.append(out.stdout.split("\n")[:2])

    write_audit_publish(published, fake_build("v2", on_table=probe))
    assert outputs == [["candidate locked", "v1"]]


# --- rollback and retention ---------------------------------------------------------------------


def test_rollback_switches_back_one_version_per_call(published):
    for tag in ("v2", "v3"):
        write_audit_publish(published, fake_build(tag))
    ids = [v.id for v in list_versions(published)]
    assert len(ids) == 3
    back = rollback(published)
    assert (
        version_of(published) == "v2" and back.version.id == ids[1] and back.previous.id == ids[2]
    )
    rollback(published)
    assert version_of(published) == "v1"
    digest = sha256(published)
    with pytest.raises(PublishError, match="nothing to roll back"):
        rollback(published)
    assert sha256(published) == digest
    rollback(published, to=ids[2])  # forward again, by id
    assert version_of(published) == "v3"
    with pytest.raises(PublishError, match="no kept version"):
        rollback(published, to="20000101T000000000000Z")


def test_keeps_the_current_and_n_previous_versions(published):
    for n in range(2, 7):
        write_audit_publish(published, fake_build(f"v{n}"), keep=2)
    versions = list_versions(published)
    assert len(versions) == 3 and current_version(published) == versions[-1]
    assert [version_of(v.path) for v in versions] == ["v4", "v5", "v6"]
    rollback(published)
    rollback(published)
    assert version_of(published) == "v4"
    # after a rollback the next publication keeps the newest others, current included
    write_audit_publish(published, fake_build("v7"), keep=1)
    assert [version_of(v.path) for v in list_versions(published)] == ["v6", "v7"]


def test_status_text_marks_the_current_version(published):
    write_audit_publish(published, fake_build("v2"))
    text = publish.status_text(published)
    cur = current_version(published)
    assert f"{cur.id}  {cur.path}  <- current" in text and text.count("<- current") == 1


# --- Parquet export ------------------------------------------------------------------------------


def test_export_parquet_writes_one_folder_per_version_and_switches_current(published, tmp_path):
    out = tmp_path / "exports"
    v1 = current_version(published)
    folder = export_parquet(published, out)
    assert folder == out / v1.id and current_export(out) == folder
    assert (out / "current").is_symlink() and os.readlink(out / "current") == v1.id
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"{t}.parquet" for t in (*MARTS, "_version")] + ["_manifest.json"]
    )
    manifest = json.loads((folder / "_manifest.json").read_text())
    assert manifest["version"] == v1.id and manifest["tables"]["fct_sales_lines"]["rows"] == 51
    con = duckdb.connect()
    assert con.execute(
        f"select distinct version_id from read_parquet('{out}/current/*.parquet', union_by_name=1)"
    ).fetchall() == [("v1",)]
    assert (
        snapshot(published)["dim_accounts"]
        == con.execute(
            f"select * from read_parquet('{folder}/dim_accounts.parquet') order by all"
        ).fetchall()
    )

    for tag in ("v2", "v3", "v4"):
        write_audit_publish(published, fake_build(tag))
        export_parquet(published, out, keep=2)
    folders = sorted(p.name for p in out.iterdir() if p.is_dir() and not p.is_symlink())
    assert len(folders) == 3 and current_export(out).name == folders[-1]
    assert con.execute(
        f"select distinct version_id from '{current_export(out)}/*.parquet'"
    ).fetchall() == [("v4",)]
    # exporting the same version again only switches current (after a rollback, for instance)
    rollback(published)
    assert export_parquet(published, out).name == folders[-2] == current_export(out).name


def test_interrupted_export_leaves_current_untouched(published, tmp_path, monkeypatch):
    out = tmp_path / "exports"
    first = export_parquet(published, out)
    write_audit_publish(published, fake_build("v2"))

    def broken(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr(publish, "_sql_string", broken)  # dies before the first COPY
    with pytest.raises(KeyboardInterrupt):
        export_parquet(published, out)
    monkeypatch.undo()
    assert current_export(out) == first
    left = {p.name for p in out.iterdir() if not p.name.startswith(".export")}
    assert left == {"current", first.name}
    stale = out / ".tmp-left-by-a-killed-export"
    stale.mkdir()
    export_parquet(published, out)
    assert not stale.exists() and current_export(out).name == current_version(published).id


def test_export_of_a_file_outside_the_versions_is_labelled_as_a_snapshot(tmp_path):
    db = tmp_path / "scratch.duckdb"
    fake_build("dev")(db)
    folder = export_parquet(db, tmp_path / "exports")
    assert folder.name.startswith("snapshot-") and (folder / "dim_accounts.parquet").is_file()
