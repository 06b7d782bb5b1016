"""The project's command line: `python -m kam <command>` (or `kam <command>` in the venv).

Commands
  run        the main job: demo data if the landing folder is empty, dbt build, validation,
             summary (what `make run` calls)
  generate   write demo landing files (see kam/generate.py)
  build      dbt build only (seeds, models, tests) in one dbt process
  validate   Great Expectations validation of the marts (read-only)
  summary    what was built and where
  contract   print the input contract as Markdown (the README's tables)
  lint       ruff and sqlfluff over the project

Data problems end with a short message saying what to do, never a stack trace.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

from kam.contract import PROJECT_DIR, contract_markdown

DEFAULT_DB = "warehouse/kam.duckdb"


def _env_path(name: str, default: str) -> Path:
    p = Path(os.environ.get(name) or default)
    return p if p.is_absolute() else PROJECT_DIR / p


def db_path() -> Path:
    return _env_path("KAM_DUCKDB_PATH", DEFAULT_DB)


def landing_dir() -> Path:
    return _env_path("KAM_LANDING_DIR", "landing")


def say(msg: str) -> None:
    print(f"==> {msg}", flush=True)


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


def _failed_nodes(res) -> list[str]:
    out = []
    result = getattr(res, "result", None)
    for r in getattr(result, "results", None) or []:
        status = str(getattr(r, "status", ""))
        if status in ("error", "fail"):
            node = getattr(r, "node", None)
            name = getattr(node, "name", "?")
            message = (getattr(r, "message", "") or "").strip().splitlines()
            out.append(f"{name}: {message[0] if message else status}")
    return out


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
    db = db_path()
    db.parent.mkdir(parents=True, exist_ok=True)
    (PROJECT_DIR / "warehouse" / "tmp").mkdir(parents=True, exist_ok=True)
    say(f"dbt build into {db} (landing: {landing_dir()})")
    dbt_args = ["build"]
    if getattr(args, "empty", False):
        dbt_args.append("--empty")
    if getattr(args, "vars", None):
        dbt_args += ["--vars", args.vars]
    ok, res = dbt_invoke(dbt_args)
    if not ok:
        failed = _failed_nodes(res)
        exc = getattr(res, "exception", None)
        if exc is not None:
            return fail(f"dbt build stopped: {str(exc).strip().splitlines()[-1]}")
        details = "\n  ".join(failed[:20]) or "see logs/dbt.log"
        return fail(
            f"dbt build failed ({len(failed)} node(s)):\n  {details}\n"
            "Fix the data or the model named above, then run again."
        )
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    try:
        from kam import validation
    except ImportError:
        return fail("validation module missing")
    return validation.main(db_path())


def cmd_summary(args: argparse.Namespace) -> int:
    from kam import report_summary

    print(report_summary.summary_text(db_path()))
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    t0 = time.perf_counter()
    land = landing_dir()
    if not _has_landing_files(land) and not os.environ.get("KAM_MAPPING"):
        ns = argparse.Namespace(out=str(land), scale="small", seed=42, format=None)
        if (rc := cmd_generate(ns)) != 0:
            return rc
    else:
        say(f"Using the landing files already in {land}")
    if (rc := cmd_build(args)) != 0:
        return rc
    if (rc := cmd_validate(args)) != 0:
        return rc
    rc = cmd_summary(args)
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
    for step in steps:
        say(" ".join(Path(step[0]).name if i == 0 else s for i, s in enumerate(step)))
        if subprocess.call(step, cwd=PROJECT_DIR) != 0:
            return fail(f"lint failed: {' '.join(step[1:])}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kam", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("run", help="the main job")
    p.add_argument("--vars", help="dbt vars as YAML, e.g. '{as_of_date: 2025-06-30}'")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("generate", help="write demo landing files")
    p.add_argument("--out", help="folder (default: the landing folder)")
    p.add_argument("--scale", default="small", choices=["small", "medium", "large"])
    p.add_argument("--seed", type=int, default=42)
    p.add_argument("--format", choices=["csv", "parquet"], default=None)
    p.set_defaults(func=cmd_generate)
    p = sub.add_parser("build", help="dbt build only")
    p.add_argument("--vars", help="dbt vars as YAML")
    p.add_argument("--empty", action="store_true", help="schema-only build (dbt --empty)")
    p.set_defaults(func=cmd_build)
    sub.add_parser("validate", help="Great Expectations validation").set_defaults(func=cmd_validate)
    sub.add_parser("summary", help="what was built").set_defaults(func=cmd_summary)
    sub.add_parser("contract", help="print the input contract").set_defaults(func=cmd_contract)
    sub.add_parser("lint", help="ruff and sqlfluff").set_defaults(func=cmd_lint)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return fail("interrupted", 130)
    except Exception as exc:  # a last net: users get one line, the log keeps the detail
        from kam.landing import LandingError

        if isinstance(exc, LandingError):
            return fail(str(exc))
        raise


if __name__ == "__main__":
    sys.exit(main())
