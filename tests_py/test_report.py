"""The portfolio review (kam/report.py): rendered from the demo warehouse and from the real
sales-only export, then opened in a real headless browser (Chromium: DOM and screenshot).

Chromium is required: `make test` installs Debian's package. Without it these tests fail and say so;
set KAM_SKIP_BROWSER=1 to skip the browser checks on purpose (everything else still runs).
"""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import duckdb
import numpy as np
import pytest

from kam import browser, report
from kam.contract import PROJECT_DIR

# id and heading of every section, in page order
SECTIONS = {
    "abc-xyz": "ABC-XYZ matrix",
    "whale-curve": "Whale curve",
    "attractiveness-qrc": "Attractiveness × QRC matrix",
    "visit-plan": "Visit plan utilisation per rep",
    "migrations": "Segment migrations",
    "accounts-to-visit": f"Top {report.MAX_TABLE_ROWS} accounts to visit",
    "at-risk": "At-risk accounts",
    "data": "Data behind this report",
}
# sections drawn as a chart (inline SVG) when their data exists
CHART_SECTIONS = ("abc-xyz", "whale-curve", "attractiveness-qrc", "visit-plan", "migrations")


def require_browser() -> None:
    """Fail (not skip) without Chromium, unless the skip was asked for explicitly."""
    if os.environ.get("KAM_SKIP_BROWSER") == "1":
        pytest.skip("KAM_SKIP_BROWSER=1: the headless browser check was skipped on request")
    if browser.find_chromium() is None:
        pytest.fail(
            "Chromium is not installed, so the report cannot be checked in a real browser: run "
            "`make test` (it installs Debian's chromium), or set KAM_SKIP_BROWSER=1 to skip on "
            "purpose",
            pytrace=False,
        )


def section_html(page: str, key: str) -> str:
    match = re.search(rf'<section id="{key}">(.*?)</section>', page, re.S)
    assert match, f"section {key} missing"
    return match.group(1)


@pytest.fixture(scope="module")
def demo_report(demo_warehouse, tmp_path_factory) -> tuple[Path, report.Report, list[str]]:
    out = tmp_path_factory.mktemp("report") / "portfolio_review.html"
    progress: list[str] = []
    rep = report.render_report(demo_warehouse, out, log=progress.append)
    return out, rep, progress


def test_demo_report_has_every_section_and_chart(demo_report):
    out, rep, _ = demo_report
    page = out.read_text(encoding="utf-8")
    assert [s.key for s in rep.sections] == list(SECTIONS)
    for key, title in SECTIONS.items():
        assert f"<h2>{title}</h2>" in section_html(page, key)
        assert 'class="how"' in section_html(page, key), f"{key} has no 'how to read' caption"
    # the demo delivers every entity: nothing may be missing
    assert [s.key for s in rep.unavailable] == []
    assert "Not available" not in page
    for key in CHART_SECTIONS:
        assert section_html(page, key).count("<svg") == 1, f"{key} has no chart"
    assert page.count("<svg") == len(CHART_SECTIONS)
    # the charts carry data, not just axes
    assert section_html(page, "abc-xyz").count("<rect") == 11  # 9 cells + new + none
    matrix = section_html(page, "attractiveness-qrc")
    assert matrix.count('class="dot') > 500
    assert 'class="dot key"' in matrix
    assert section_html(page, "whale-curve").count('class="curve"') == 1
    assert section_html(page, "visit-plan").count('class="demand"') > 5
    # tables of accounts, capped
    for key in ("accounts-to-visit", "at-risk"):
        rows = section_html(page, key).split("<tbody>")[1].count("<tr>")
        assert 0 < rows <= report.MAX_TABLE_ROWS, key
    # header: as-of date, version and currency
    assert re.search(r"As of <b>\d{4}-\d{2}-\d{2}</b>", page)
    assert "warehouse version <b>" in page
    assert "GBP" in page


def test_demo_report_is_self_contained(demo_report):
    """Nothing is fetched when the page is opened: no script, stylesheet, font or image link."""
    page = demo_report[0].read_text(encoding="utf-8")
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page, re.I)
    assert "<script" not in page.lower()
    assert "<link" not in page.lower()
    assert "@import" not in page and "url(" not in page
    assert re.search(r'<meta charset="utf-8">', page)


def test_progress_is_reported_step_by_step(demo_report):
    _, _, progress = demo_report
    assert progress[0].startswith("Portfolio review from ")
    assert len(progress) == len(SECTIONS) + 2
    assert progress[-1].startswith("Report written to ")
    assert "open it in a browser" in progress[-1]


def test_demo_report_renders_in_headless_chromium(demo_report, tmp_path):
    require_browser()
    out = demo_report[0]
    dom = browser.dump_dom(out)
    for title in SECTIONS.values():
        assert f"<h2>{title}</h2>" in dom, f"{title!r} not in the rendered DOM"
    assert dom.count("<svg") == len(CHART_SECTIONS)
    assert dom.count("<circle") > 500
    png = browser.screenshot(out, tmp_path / "demo.png", width=1400, height=4000)
    shot = browser.png_summary(png)
    assert (shot.width, shot.height) == (1400, 4000)
    # a blank or unstyled page has a handful of colours; charts and text give thousands
    assert shot.distinct_colours > 200, shot
    assert shot.non_background_share > 0.15, shot


def test_sales_only_export_degrades_section_by_section(uci_warehouse, tmp_path):
    """The real UCI export has sales lines only: no costs, no reps, no accounts file. Those
    sections say why they are not available; the others are drawn; nothing fails."""
    out = tmp_path / "uci.html"
    rep = report.render_report(uci_warehouse, out, log=lambda _: None)
    page = out.read_text(encoding="utf-8")
    missing = {s.key: s.note for s in rep.unavailable}
    assert set(missing) == {"whale-curve", "attractiveness-qrc", "visit-plan", "accounts-to-visit"}
    assert "net contribution is unknown" in missing["whale-curve"]
    assert "attractiveness is not scored" in missing["attractiveness-qrc"]
    assert "no reps" in missing["visit-plan"]
    for key in ("abc-xyz", "migrations"):
        assert section_html(page, key).count("<svg") == 1
    assert "<tbody><tr>" in section_html(page, "at-risk")
    assert page.count("Not available:") == 4
    require_browser()
    dom = browser.dump_dom(out)
    assert dom.count("Not available:") == 4
    assert dom.count("<svg") == 2
    shot = browser.png_summary(browser.screenshot(out, tmp_path / "uci.png", 1400, 4000))
    assert shot.distinct_colours > 200, shot


def _copy_schema(source: Path, target: Path, drop: tuple[str, ...] = ()) -> Path:
    """A warehouse with the source's marts and config tables, all empty (like `dbt build --empty`),
    without the tables listed in `drop`."""
    con = duckdb.connect(str(target))
    try:
        con.execute(f"attach '{source}' as src (read_only)")
        names = con.execute(
            "select schema_name, table_name from duckdb_tables() "
            "where database_name = 'src' and schema_name in ('marts', 'config')"
        ).fetchall()
        for schema in {s for s, _ in names}:
            con.execute(f"create schema {schema}")
        for schema, name in names:
            if name in drop:
                continue
            source_table = f"src.{schema}.{name}"
            con.execute(f"create table {schema}.{name} as select * from {source_table} limit 0")
        con.execute("detach src")
    finally:
        con.close()
    return target


def test_empty_warehouse_degrades_without_failing(demo_warehouse, tmp_path):
    db = _copy_schema(demo_warehouse, tmp_path / "kam.duckdb")
    out = tmp_path / "empty.html"
    rep = report.render_report(db, out, log=lambda _: None)
    page = out.read_text(encoding="utf-8")
    assert "<svg" not in page
    assert {s.key for s in rep.unavailable} >= set(CHART_SECTIONS)
    assert "As of <b>unknown</b>" in page


def test_missing_mart_is_a_note_not_a_failure(demo_warehouse, tmp_path):
    db = _copy_schema(demo_warehouse, tmp_path / "kam.duckdb", drop=("fct_rep_visit_plan",))
    rep = report.render_report(db, tmp_path / "r.html", log=lambda _: None)
    notes = {s.key: s.note for s in rep.unavailable}
    assert "fct_rep_visit_plan is not in this warehouse" in notes["visit-plan"]
    assert "make run" in notes["visit-plan"]


def test_scatter_is_capped(demo_warehouse, tmp_path, monkeypatch):
    monkeypatch.setattr(report, "MAX_SCATTER_POINTS", 100)
    rep = report.render_report(demo_warehouse, tmp_path / "r.html", log=lambda _: None)
    matrix = next(s for s in rep.sections if s.key == "attractiveness-qrc").body
    assert matrix.count('class="dot') == 100
    assert "Showing the 100 largest accounts" in matrix


def _run_report(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kam.report", *args],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def test_missing_warehouse_fails_with_one_line(tmp_path):
    proc = _run_report("--db", str(tmp_path / "nowhere.duckdb"), "--out", str(tmp_path / "r.html"))
    assert proc.returncode == 1
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert lines[0].startswith("ERROR: no warehouse at ")
    assert "make run" in lines[0]
    assert not (tmp_path / "r.html").exists()


def test_unwritable_output_fails_with_one_line(demo_warehouse, tmp_path):
    blocker = tmp_path / "not_a_folder"
    blocker.write_text("a file where the report's folder should be")
    proc = _run_report("--db", str(demo_warehouse), "--out", str(blocker / "r.html"))
    assert proc.returncode == 1
    last = proc.stderr.strip().splitlines()
    assert len(last) == 1 and last[0].startswith("ERROR: cannot write the report to "), proc.stderr
    assert "--out" in last[0]
    assert "Traceback" not in proc.stderr


def test_report_file_is_replaced_whole(demo_report, tmp_path):
    """Written beside the target and renamed onto it: no temporary file is left behind."""
    out = demo_report[0]
    assert [p.name for p in out.parent.iterdir()] == [out.name]


# --- the PNG check itself ------------------------------------------------------------------------


def _encode_png(pixels: np.ndarray, filters: list[int]) -> bytes:
    """An RGB PNG with the given filter type on each row (a reference encoder for the test)."""
    h, w, bpp = pixels.shape
    img = pixels.astype(np.int32).reshape(h, w * bpp)
    out = bytearray()
    prev = np.zeros(w * bpp, dtype=np.int32)
    for y in range(h):
        cur, f = img[y], filters[y % len(filters)]
        left = np.concatenate([np.zeros(bpp, dtype=np.int32), cur[:-bpp]])
        up_left = np.concatenate([np.zeros(bpp, dtype=np.int32), prev[:-bpp]])
        if f == 0:
            pred = np.zeros_like(cur)
        elif f == 1:
            pred = left
        elif f == 2:
            pred = prev
        elif f == 3:
            pred = (left + prev) // 2
        else:
            p = left + prev - up_left
            pa, pb, pc = np.abs(p - left), np.abs(p - prev), np.abs(p - up_left)
            pred = np.where((pa <= pb) & (pa <= pc), left, np.where(pb <= pc, prev, up_left))
        out.append(f)
        out += ((cur - pred) % 256).astype(np.uint8).tobytes()
        prev = cur

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = zlib.crc32(kind + body) & 0xFFFFFFFF
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", crc)

    header = struct.pack(">IIBBBBB", w, h, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(bytes(out)))
        + chunk(b"IEND", b"")
    )


def test_png_summary_decodes_every_filter_type(tmp_path):
    rng = np.random.default_rng(7)
    pixels = np.full((40, 30, 3), 255, dtype=np.uint8)
    pixels[10:30, 5:25] = rng.integers(0, 256, size=(20, 20, 3), dtype=np.uint8)
    png = tmp_path / "x.png"
    png.write_bytes(_encode_png(pixels, filters=[0, 1, 2, 3, 4]))
    got = browser.png_summary(png)
    keys = pixels.reshape(-1, 3).astype(np.uint32)
    distinct = len(np.unique(keys[:, 0] << 16 | keys[:, 1] << 8 | keys[:, 2]))
    assert (got.width, got.height, got.distinct_colours) == (30, 40, distinct)
    assert got.non_background_share == pytest.approx(400 / 1200, abs=0.01)
    blank = tmp_path / "blank.png"
    blank.write_bytes(_encode_png(np.full((20, 20, 3), 255, dtype=np.uint8), filters=[4]))
    assert browser.png_summary(blank).distinct_colours == 1
