"""The project's command line: `python -m kam <command>` (or `kam <command>` in the venv).

Commands
  run             the main job: demo data if landing/ is empty (never into KAM_LANDING_DIR),
                  then publish, then summary (what `make run` calls)
  publish         write-audit-publish: dbt build into a candidate file, every dbt test and the
                  Great Expectations validation on it, then an atomic switch of the published file
                  (the previous versions are kept for rollback; see docs/readers.md)
  rollback        publish the previous kept version again (or --to VERSION)
  versions        the kept versions and which one is published
  export-parquet  the published marts as Parquet, one folder per version, `current` switched at once
  generate        write demo landing files (see kam/generate.py)
  build           dbt build only (seeds, models, tests) into KAM_DUCKDB_PATH, for development:
                  never into the published file
  validate        Great Expectations validation of the marts (read-only)
  summary         what was built and where
  report          the portfolio review: one self-contained HTML page from the published marts
                  (charts and account lists for a sales director; see kam/report.py)
  contract        print the input contract as Markdown (the README's tables)
  lint            ruff and sqlfluff over the project
  bench           the benchmark (kam/bench.py): `python -m kam bench --scale medium --runs 3`
                  writes bench_results/<scale>-<time>.json and prints the table with the targets

Data problems end with a short message saying what to do, never a stack trace.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

from kam.contract import PROJECT_DIR, contract_markdown
from kam.machine import memory_limit

DEFAULT_DB = "warehouse/kam.duckdb"  # the published warehouse
DEV_DB = "warehouse/dev/kam.duckdb"  # development builds (plain `dbt build` too)


def _env_path(name: str, default: str) -> Path:
    p = Path(os.environ.get(name) or default)
    return p if p.is_absolute() else PROJECT_DIR / p


def db_path() -> Path:
    return _env_path("KAM_DUCKDB_PATH", DEFAULT_DB)


def landing_dir() -> Path:
    return _env_path("KAM_LANDING_DIR", "landing")


def say(msg: str) -> None:
    print(f"==> {msg}", flush=True)


def say_step(msg: str) -> None:
    """say() for a step, plain print for an indented detail line."""
    if msg.startswith(" "):
        print(msg, flush=True)
    else:
        say(msg)


def fail(msg: str, code: int = 1) -> int:
    print(f"ERROR: {msg}", file=sys.stderr, flush=True)
    return code


def _has_landing_files(folder: Path) -> bool:
    return folder.is_dir() and any(
        p.is_file() and not p.name.startswith(".") for p in folder.iterdir()
    )


def dbt_invoke(args: list[str]) -> tuple[bool, object]:
    """Run one dbt command in this process; returns (success, result)."""
    from dbt.cli.main import dbtRunner

    os.chdir(PROJECT_DIR)
    full = [*args, "--profiles-dir", str(PROJECT_DIR), "--project-dir", str(PROJECT_DIR)]
    res = dbtRunner().invoke(full)
    return bool(res.success), res


def _problem(message: object) -> str:
    """The line of a dbt error that states the problem: not the 'Compilation Error in model x'
    header nor a nested one ('Database Error', then 'Runtime Error'), nor the '> in macro' /
    '> called by' trace, nor the 'compiled code at' pointer."""
    lines = [ln.strip() for ln in str(message or "").strip().splitlines() if ln.strip()]
    body = [
        ln
        for ln in lines[1:]
        if not ln.startswith((">", "compiled code at")) and not re.fullmatch(r"\w+ Error", ln)
    ]
    return body[0] if body else (lines[0] if lines else "")


def _vars_problem(text: str) -> str | None:
    """Why dbt cannot read `--vars` as YAML, in a sentence; None when it can. (dbt itself stops
    with a Python traceback on, for example, an impossible date: YAML reads 2025-13-45 as one.)"""
    import yaml

    try:
        yaml.safe_load(text)
    except (yaml.YAMLError, ValueError) as exc:
        first = str(exc).strip().splitlines()[0]
        return (
            f"--vars {text!r} cannot be read as YAML ({first}): write {{name: value, ...}}, "
            "dates as a real YYYY-MM-DD, e.g. --vars '{as_of_date: 2025-06-30}'"
        )
    return None


def _failed_nodes(res) -> list[str]:
    out = []
    result = getattr(res, "result", None)
    for r in getattr(result, "results", None) or []:
        status = str(getattr(r, "status", ""))
        if status in ("error", "fail"):
            node = getattr(r, "node", None)
            name = getattr(node, "name", "?")
            out.append(f"{name}: {_problem(getattr(r, 'message', '')) or status}")
    return out


#: DuckDB errors that mean the machine stopped the build, not the data or the model
_MEMORY_ERRORS = ("Out of Memory Error",)
_DISK_ERRORS = ("No space left on device", "Failed to create directory", "max_temp_directory_size")


def _spill_dir() -> Path:
    return _env_path("KAM_TEMP_DIR", "warehouse/tmp")


def _free_gb(folder: Path) -> float | None:
    for p in (folder, *folder.parents):
        if p.exists():
            return shutil.disk_usage(p).free / 1e9
    return None


def _resource_advice(problems: list[str]) -> str | None:
    """What to change when memory or disk, not the data, stopped the build: DuckDB's own advice
    names SET commands a user of this project does not run; the settings are KAM_* variables."""
    text = "\n".join(problems)
    spill = _spill_dir()
    free = _free_gb(spill)
    free_text = f"{free:.1f} GB free there now" if free is not None else "its disk not found"
    if any(e in text for e in _DISK_ERRORS):
        return (
            f"The disk, not the data, stopped the build: DuckDB spills to {spill} (KAM_TEMP_DIR; "
            f"{free_text}) and writes the warehouse to {_env_path('KAM_DUCKDB_PATH', DEV_DB)}. "
            "Free disk space or set KAM_TEMP_DIR to a folder on a larger disk, then run again "
            "(61M sales lines need about 70 GB free: benchmarks/README.md)."
        )
    if any(e in text for e in _MEMORY_ERRORS):
        return (
            "Memory, not the data, stopped the build: DuckDB reached its limit (KAM_MEMORY_LIMIT, "
            f"shared by the KAM_THREADS models built at once; spill folder {spill}, {free_text}). "
            "Set KAM_THREADS=1, or a higher KAM_MEMORY_LIMIT a few GB below the machine's RAM, "
            "then run again (README: Running on your own data)."
        )
    return None


def cmd_generate(args: argparse.Namespace) -> int:
    from kam import generate

    out = Path(args.out) if args.out else landing_dir()
    say(f"Writing {args.scale} demo data (seed {args.seed}) to {out}")
    t0 = time.perf_counter()
    counts = generate.generate(out, scale=args.scale, seed=args.seed, fmt=args.format)
    for entity, n in counts.items():
        print(f"    {entity:<26} {n:>12,} rows")
    say(f"Demo data written in {time.perf_counter() - t0:.1f} s")
    return 0


def cmd_build(args: argparse.Namespace) -> int:
    from kam import publish

    # a development build: KAM_DUCKDB_PATH when set (publish sets it to the candidate), else the
    # same development file as a plain `dbt build` (profiles.yml)
    db = _env_path("KAM_DUCKDB_PATH", DEV_DB)
    os.environ["KAM_DUCKDB_PATH"] = str(db)
    if (version := publish.current_version(db)) is not None:
        return fail(
            f"{db} is the published warehouse (version {version.id}): it is never written in "
            "place, readers may have it open. Run `python -m kam publish` (build, test, validate, "
            "then switch), or set KAM_DUCKDB_PATH to a scratch file for a development build."
        )
    # the warehouse file's folder and the spill folder are created by the landing plugin when
    # dbt opens the database (kam/landing_plugin.py create_folders), for a plain dbt command too
    try:
        limit = memory_limit() or "DuckDB's own (80% of the memory)"
    except ValueError as exc:
        return fail(str(exc))
    say(
        f"dbt build into {db} (landing: {landing_dir()}; DuckDB memory limit {limit}, "
        f"spill folder {_spill_dir()}; {os.environ.get('KAM_THREADS') or 2} dbt threads)"
    )
    dbt_args = ["build"]
    if getattr(args, "empty", False):
        dbt_args.append("--empty")
    if getattr(args, "models_only", False):
        # seeds and models without the ~1,800 data tests: for checks that only need the tables
        dbt_args += ["--resource-type", "seed", "--resource-type", "model"]
    elif not getattr(args, "with_unit_tests", False):
        # unit tests check model logic on fixed fixtures, not the data: the same answer on every
        # build, so production builds leave them to CI (dbt's own advice); data tests all run
        dbt_args += ["--exclude-resource-type", "unit_test"]
    if getattr(args, "vars", None):
        if problem := _vars_problem(args.vars):
            return fail(problem)
        dbt_args += ["--vars", args.vars]
    ok, res = dbt_invoke(dbt_args)
    if not ok:
        failed = _failed_nodes(res)
        exc = getattr(res, "exception", None)
        if exc is not None:
            # empty for a KeyboardInterrupt
            problem = _problem(exc) or type(exc).__name__
            advice = _resource_advice([problem])
            return fail(f"dbt build stopped: {problem}" + (f"\n{advice}" if advice else ""))
        details = "\n  ".join(failed[:20]) or "see logs/dbt.log"
        advice = (
            _resource_advice(failed) or "Fix the data or the model named above, then run again."
        )
        return fail(f"dbt build failed ({len(failed)} node(s)):\n  {details}\n{advice}")
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    try:
        from kam import validation
    except ImportError:
        return fail("validation module missing")
    return validation.main(db_path())


def cmd_summary(args: argparse.Namespace) -> int:
    from kam import publish, report_summary

    print(report_summary.summary_text(db_path()))
    print(publish.status_text(db_path()))
    return 0


def _dbt_build_step(args: argparse.Namespace):
    """The build step of write-audit-publish: `kam build` into the candidate, in a child process
    (the candidate is closed and its write lock released when it returns; Ctrl-C stops both)."""
    from kam import publish

    def build(candidate: Path) -> None:
        cmd = [sys.executable, "-m", "kam", "build"]
        if getattr(args, "vars", None):
            cmd += ["--vars", args.vars]
        env = {**os.environ, "KAM_DUCKDB_PATH": str(candidate)}
        rc = subprocess.call(cmd, cwd=PROJECT_DIR, env=env)
        if rc != 0:
            raise publish.BuildFailed(f"dbt build or one of its tests failed (exit code {rc})")

    return build


def _validation_step(candidate: Path) -> None:
    """The audit step: the Great Expectations validation of the candidate, read-only."""
    from kam import publish, validation

    if validation.main(candidate) != 0:
        raise publish.AuditFailed("the Great Expectations validation failed")


def cmd_publish(args: argparse.Namespace) -> int:
    from kam import publish

    db = db_path()
    say(f"Write-audit-publish into {db} (landing: {landing_dir()})")
    try:
        pub = publish.write_audit_publish(
            db, _dbt_build_step(args), _validation_step, keep=args.keep, log=say_step
        )
    except publish.PublishError as exc:
        return fail(f"{exc}\nNothing was published: {db} is unchanged.")
    previous = pub.previous.id if pub.previous else "none"
    say(f"Version {pub.version.id} published (previous: {previous}; undo: python -m kam rollback)")
    if getattr(args, "export_parquet", False):
        return cmd_export_parquet(args)
    return 0


def cmd_rollback(args: argparse.Namespace) -> int:
    from kam import publish

    try:
        publish.rollback(db_path(), to=args.to, log=say_step)
    except publish.PublishError as exc:
        return fail(str(exc))
    print(publish.status_text(db_path()))
    return 0


def cmd_versions(args: argparse.Namespace) -> int:
    from kam import publish

    print(publish.status_text(db_path()))
    return 0


def cmd_export_parquet(args: argparse.Namespace) -> int:
    from kam import publish

    out = getattr(args, "out", None)
    say(f"Parquet export of the marts of {db_path()}")
    try:
        publish.export_parquet(db_path(), out, keep=args.keep, log=say_step)
    except publish.PublishError as exc:
        return fail(str(exc))
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from kam import report

    db = Path(args.db) if args.db else db_path()
    out = Path(args.out) if args.out else None
    try:
        report.render_report(db, out, log=say_step)
    except report.ReportError as exc:
        return fail(str(exc))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    land = landing_dir()
    chosen = os.environ.get("KAM_LANDING_DIR")
    if chosen and not _has_landing_files(land):
        # demo data only ever goes to the repository's own landing folder: a mistyped
        # KAM_LANDING_DIR must not publish a made-up warehouse in place of the user's data
        what = "is empty" if land.is_dir() else "does not exist"
        return fail(
            f"KAM_LANDING_DIR={chosen}: the folder {what} ({land}). Put your landing files there "
            "(README, 'Running on your own data'), or unset KAM_LANDING_DIR to build the demo."
        )
    if not _has_landing_files(land) and not os.environ.get("KAM_MAPPING"):
        ns = argparse.Namespace(out=str(land), scale="small", seed=42, format=None)
        if (rc := cmd_generate(ns)) != 0:
            return rc
    else:
        say(f"Using the landing files already in {land}")
    if (rc := cmd_publish(args)) != 0:
        return rc
    rc = cmd_summary(args)
    if rc == 0:
        rc = cmd_report(argparse.Namespace(db=None, out=None))
    say(f"Done in {time.perf_counter() - t0:.0f} s")
    return rc


def cmd_contract(args: argparse.Namespace) -> int:
    print(contract_markdown())
    return 0


def cmd_lint(args: argparse.Namespace) -> int:
    bin_dir = Path(sys.executable).parent
    steps = [
        [str(bin_dir / "ruff"), "check", "kam", "tests_py"],
        [str(bin_dir / "ruff"), "format", "--check", "kam", "tests_py"],
        [str(bin_dir / "sqlfluff"), "lint", "models", "macros", "tests", "analyses"],
    ]
    # sqlfluff's dbt templater compiles the project: no landing file is read (dry run) and the
    # database is a scratch file, so linting works on a fresh clone with nothing built
    import tempfile

    scratch = Path(tempfile.mkdtemp(prefix="kam-lint-"))
    env = {
        **os.environ,
        "KAM_LANDING_DRY_RUN": "1",
        "KAM_DUCKDB_PATH": str(scratch / "kam.duckdb"),
        "KAM_TEMP_DIR": str(scratch / "tmp"),
    }
    for step in steps:
        say(" ".join(Path(step[0]).name if i == 0 else s for i, s in enumerate(step)))
        if subprocess.call(step, cwd=PROJECT_DIR, env=env) != 0:
            return fail(f"lint failed: {' '.join(step[1:])}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kam", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    keep_help = "previous versions to keep besides the current one (default 2)"
    for name, func, help_ in (
        ("run", cmd_run, "the main job"),
        ("publish", cmd_publish, "build a candidate, test and validate it, publish it atomically"),
    ):
        p = sub.add_parser(name, help=help_)
        p.add_argument("--vars", help="dbt vars as YAML, e.g. '{as_of_date: 2025-06-30}'")
        p.add_argument("--keep", type=int, default=2, help=keep_help)
        p.add_argument(
            "--export-parquet", action="store_true", help="then export the marts as Parquet"
        )
        p.set_defaults(func=func)
    p = sub.add_parser("rollback", help="publish the previous version again")
    p.add_argument("--to", help="a kept version id (see `versions`) instead of the previous one")
    p.set_defaults(func=cmd_rollback)
    sub.add_parser("versions", help="kept versions").set_defaults(func=cmd_versions)
    p = sub.add_parser("export-parquet", help="the published marts as Parquet files")
    p.add_argument("--out", help="exports folder (default: exports/ beside the warehouse)")
    p.add_argument("--keep", type=int, default=2, help="previous exports to keep (default 2)")
    p.set_defaults(func=cmd_export_parquet)
    p = sub.add_parser("generate", help="write demo landing files")
    p.add_argument("--out", help="folder (default: the landing folder)")
    p.add_argument("--scale", default="small", choices=["small", "medium", "large"])
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--format", choices=["csv", "parquet"], default=None)
    p.set_defaults(func=cmd_generate)
    p = sub.add_parser("build", help="dbt build only")
    p.add_argument("--vars", help="dbt vars as YAML")
    p.add_argument("--empty", action="store_true", help="schema-only build (dbt --empty)")
    p.add_argument(
        "--models-only",
        action="store_true",
        help="seeds and models only, no data tests (faster; not for publishing)",
    )
    p.add_argument(
        "--with-unit-tests",
        action="store_true",
        help="also run the dbt unit tests (fixed fixtures; CI runs them, production skips them)",
    )
    p.set_defaults(func=cmd_build)
    sub.add_parser("validate", help="Great Expectations validation").set_defaults(func=cmd_validate)
    sub.add_parser("summary", help="what was built").set_defaults(func=cmd_summary)
    p = sub.add_parser("report", help="portfolio review as a self-contained HTML page")
    p.add_argument("--out", help="HTML file to write (default: reports/portfolio_review.html)")
    p.add_argument("--db", help="warehouse to read (default: KAM_DUCKDB_PATH or the published one)")
    p.set_defaults(func=cmd_report)
    sub.add_parser("contract", help="print the input contract").set_defaults(func=cmd_contract)
    sub.add_parser("lint", help="ruff and sqlfluff").set_defaults(func=cmd_lint)
    # listed for --help; main() hands every argument after `bench` to kam.bench unparsed
    sub.add_parser("bench", help="benchmark at one scale (see python -m kam bench --help)")
    return parser


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["bench"]:
        from kam import bench

        return bench.main(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except BrokenPipeError:
        # the reader closed the pipe (`python -m kam contract | head`): nothing left to say
        with contextlib.suppress(OSError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except Exception as exc:  # a last net: users get one line, the log keeps the detail
        from kam.landing import LandingError

        if isinstance(exc, LandingError):
            return fail(str(exc))
        raise


if __name__ == "__main__":
    sys.exit(main())
