"""Portfolio review: one self-contained HTML page from the published marts, for a sales director.

    python -m kam report [--out reports/portfolio_review.html] [--db warehouse/kam.duckdb]
    python -m kam.report ...            (the same, without the CLI)

The page has a headline strip, then one section per question, each with a short "how to read":

1. ABC-XYZ matrix (agg_segment_cells): a heatmap of accounts and revenue per cell;
2. whale curve (fct_account_whale_curve, agg_whale_curve_summary): cumulative contribution;
3. attractiveness x QRC matrix (fct_account_visit_priorities): every account placed on it;
4. visit plan utilisation per rep (fct_rep_visit_plan);
5. segment migrations (fct_segment_migrations, fct_account_segment_history);
6. top accounts to visit (fct_account_visit_priorities, fct_account_visit_plan);
7. at-risk accounts (fct_account_segments, fct_account_profitability_classes);
8. the data behind the report (dq_reconciliation).

It reads the warehouse through `kam.readers.connect_readonly` (read-only, locked down) and pulls
only small frames: aggregates, at most MAX_TABLE_ROWS rows per table, MAX_SCATTER_POINTS accounts on
the matrix, MAX_CURVE_POINTS points on the whale curve. Charts are inline SVG written here, styles
are inline: no script, no font, no image is fetched when the page is opened (it works offline and as
an e-mail attachment). A section whose data does not exist (a sales-only export has no reps, no
costs, no accounts file) shows "Not available: <reason>" instead of a chart; nothing fails.

The page is written next to its final path and renamed onto it, so a reader never opens a half
written file.
"""

from __future__ import annotations

import argparse
import html
import itertools
import math
import os
import re
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import duckdb

from kam.contract import PROJECT_DIR

DEFAULT_OUT = "reports/portfolio_review.html"
DEFAULT_DB = "warehouse/kam.duckdb"
MAX_TABLE_ROWS = 25  # rows of every account table
MAX_SCATTER_POINTS = 3000  # accounts placed on the attractiveness x QRC matrix
MAX_CURVE_POINTS = 1200  # points of the whale curve (every k-th account, plus the peak and ends)
MAX_REP_BARS = 40  # reps on the utilisation chart
CELLS = ("AX", "AY", "AZ", "BX", "BY", "BZ", "CX", "CY", "CZ", "new", "none")
DEFAULT_BAND_EDGES = (40.0, 70.0)  # vars score_band_low / score_band_high (dbt_project.yml)

Log = Callable[[str], None]


class ReportError(Exception):
    """The report could not be written; the message is one line that says what to do."""


# --- formatting ----------------------------------------------------------------------------------


def esc(value: object) -> str:
    return html.escape("" if value is None else str(value), quote=True)


def num(value: object) -> float | None:
    """A float from a DuckDB value (Decimal, int, float); None for NULL and NaN."""
    if value is None:
        return None
    if isinstance(value, Decimal):
        return float(value)
    f = float(value)  # type: ignore[arg-type]
    return None if math.isnan(f) else f


def gbp(value: object, compact: bool = True) -> str:
    """Money in GBP: '£1.23m', '£45.6k', '£980' (compact) or '£1,234,567'."""
    v = num(value)
    if v is None:
        return "—"
    sign = "−" if v < 0 else ""
    a = abs(v)
    if not compact:
        return f"{sign}£{a:,.0f}"
    if a >= 999_500:
        return f"{sign}£{a / 1e6:.2f}m"
    if a >= 9_995:
        return f"{sign}£{a / 1e3:.1f}k"
    return f"{sign}£{a:,.0f}"


def pct(value: object, digits: int = 0) -> str:
    v = num(value)
    return "—" if v is None else f"{v * 100:.{digits}f}%"


def count(value: object) -> str:
    v = num(value)
    return "—" if v is None else f"{v:,.0f}"


def score(value: object) -> str:
    v = num(value)
    return "—" if v is None else f"{v:.0f}"


def decimal1(value: object) -> str:
    v = num(value)
    return "—" if v is None else f"{v:,.1f}"


def visits(value: object) -> str:
    """Visit counts: whole numbers without decimals, rates with one."""
    v = num(value)
    if v is None:
        return "—"
    return f"{v:,.0f}" if abs(v - round(v)) < 0.05 else f"{v:,.1f}"


def words(code: object) -> str:
    """'no_owner_rep' -> 'no owner rep' (codes shown to people)."""
    return "—" if code is None else str(code).replace("_", " ")


def short_label(label: object) -> str:
    """The part of a seed label before its colon: 'Develop first: ...' -> 'Develop first'."""
    return "" if label is None else str(label).split(":")[0].strip()


# --- colours -------------------------------------------------------------------------------------

BLUES = ((0.0, (241, 246, 251)), (0.5, (107, 174, 214)), (1.0, (8, 48, 107)))
GREENS = ((0.0, (240, 249, 240)), (1.0, (27, 122, 58)))
REDS = ((0.0, (253, 240, 238)), (1.0, (178, 38, 29)))
GREYS = ((0.0, (246, 246, 246)), (1.0, (90, 90, 90)))
ORANGES = ((0.0, (255, 250, 243)), (1.0, (253, 174, 97)))
KEY_COLOUR = "#d95f02"
OTHER_COLOUR = "#2b6cb0"
OK_COLOUR = "#4c78a8"
ALERT_COLOUR = "#d64541"


def ramp(stops: Sequence[tuple[float, tuple[int, int, int]]], t: float) -> str:
    t = min(max(t, 0.0), 1.0)
    for (t0, c0), (t1, c1) in itertools.pairwise(stops):
        if t <= t1:
            u = 0.0 if t1 == t0 else (t - t0) / (t1 - t0)
            rgb = tuple(round(a + (b - a) * u) for a, b in zip(c0, c1, strict=True))
            return "#{:02x}{:02x}{:02x}".format(*rgb)
    return "#{:02x}{:02x}{:02x}".format(*stops[-1][1])


def ink_on(fill: str) -> str:
    """Black or white text, whichever reads better on `fill` (#rrggbb)."""
    r, g, b = (int(fill[i : i + 2], 16) for i in (1, 3, 5))
    return "#111111" if 0.299 * r + 0.587 * g + 0.114 * b > 150 else "#ffffff"


# --- SVG helpers ---------------------------------------------------------------------------------


def _attrs(attrs: dict[str, object]) -> str:
    return "".join(
        f' {k.rstrip("_").replace("_", "-")}="{esc(v)}"' for k, v in attrs.items() if v is not None
    )


def tag(name: str, body: str = "", **attrs: object) -> str:
    return f"<{name}{_attrs(attrs)}>{body}</{name}>"


def text(x: float, y: float, s: str, **attrs: object) -> str:
    return tag("text", esc(s), x=f"{x:.1f}", y=f"{y:.1f}", **attrs)


def svg(width: int, height: int, body: str, label: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-label="{esc(label)}"><title>{esc(label)}</title>{body}</svg>'
    )


def nice_step(span: float, target: int = 5) -> float:
    """A round tick step (1, 2, 2.5 or 5 x 10^n) giving about `target` ticks over `span`."""
    if span <= 0:
        return 1.0
    raw = span / target
    mag = 10 ** math.floor(math.log10(raw))
    for m in (1, 2, 2.5, 5, 10):
        if raw <= m * mag:
            return m * mag
    return 10 * mag


def ticks(lo: float, hi: float, target: int = 5) -> list[float]:
    step = nice_step(hi - lo, target)
    start = math.ceil(lo / step) * step
    out, v = [], start
    while v <= hi + step * 1e-9:
        out.append(round(v, 10))
        v += step
    return out


# --- reading the warehouse -----------------------------------------------------------------------


class Marts:
    """A read-only connection with the list of marts it holds and small query helpers."""

    def __init__(self, con: duckdb.DuckDBPyConnection):
        self.con = con
        self.tables = {
            f"{schema}.{name}"
            for schema, name in con.execute(
                "select schema_name, table_name from duckdb_tables() "
                "where schema_name in ('marts', 'config') "
                "union all select schema_name, view_name from duckdb_views() "
                "where schema_name in ('marts', 'config') and not internal"
            ).fetchall()
        }

    def missing(self, *names: str) -> list[str]:
        return [n for n in names if f"marts.{n}" not in self.tables]

    def has(self, name: str) -> bool:
        return name in self.tables or f"marts.{name}" in self.tables

    def records(self, sql: str, params: Sequence[object] = ()) -> list[dict[str, object]]:
        cur = self.con.execute(sql, list(params))
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def one(self, sql: str, params: Sequence[object] = ()) -> dict[str, object]:
        rows = self.records(sql, params)
        return rows[0] if rows else {}


@dataclass
class Section:
    key: str  # the HTML id
    title: str
    how_to_read: str
    body: str = ""
    note: str | None = None  # the reason when the section is not available
    progress: str = ""  # one line for the progress log

    def html(self) -> str:
        parts = [f'<section id="{esc(self.key)}">', f"<h2>{esc(self.title)}</h2>"]
        parts.append(f'<p class="how">{self.how_to_read}</p>')
        if self.note:
            parts.append(f'<p class="na"><strong>Not available:</strong> {esc(self.note)}</p>')
        parts.append(self.body)
        parts.append("</section>")
        return "\n".join(parts)


def not_available(key: str, title: str, how: str, reason: str) -> Section:
    short = reason if len(reason) <= 70 else reason[:67].rstrip() + "..."
    return Section(key, title, how, note=reason, progress=f"not available: {short}")


def missing_marts_reason(missing: Iterable[str]) -> str:
    names = ", ".join(missing)
    return f"mart {names} is not in this warehouse (built by an older version: run `make run`)"


def html_table(
    columns: Sequence[tuple[str, str]], rows: Iterable[Sequence[str]], caption: str = ""
) -> str:
    """columns: (heading, kind: 'num', 'text', 'wide' or 'nowrap'); rows: formatted, escaped cells.
    Columns with no value in any row ('—' everywhere: e.g. no reps in the export) are left out."""
    rows = [list(r) for r in rows]
    keep = [j for j in range(len(columns)) if not rows or any(r[j] != "—" for r in rows)]
    columns = [columns[j] for j in keep]
    rows = [[r[j] for j in keep] for r in rows]
    head = "".join(f'<th class="{kind}">{esc(h)}</th>' for h, kind in columns)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{kind}">{cell}</td>' for (_, kind), cell in zip(columns, r, strict=True)
        )
        + "</tr>"
        for r in rows
    )
    cap = f"<caption>{esc(caption)}</caption>" if caption else ""
    return (
        f'<div class="table-wrap"><table>{cap}<thead><tr>{head}</tr></thead>'
        f"<tbody>{body}</tbody></table></div>"
    )


def account_cell(name: object, account_id: object, key: object = None) -> str:
    label = esc(name) if name else esc(account_id)
    badge = ' <span class="badge">key</span>' if key else ""
    ident = f' <span class="id">{esc(account_id)}</span>' if name else ""
    return f"{label}{ident}{badge}"


# --- headline ------------------------------------------------------------------------------------


def headline(m: Marts) -> tuple[str, dict[str, object]]:
    """The strip of key figures under the title, and the segmentation facts other sections use."""
    facts: dict[str, object] = {}
    cards: list[tuple[str, str, str]] = []
    if not m.missing("fct_account_segments"):
        facts = m.one(
            """
            select max(as_of_date) as as_of_date, min(window_start_date) as window_start_date,
                count(*) as accounts,
                count(*) filter (where net_revenue_window > 0) as buying_accounts,
                count(*) filter (where is_key_account) as key_accounts,
                sum(net_revenue_window)::double as net_revenue,
                sum(net_revenue_window) filter (where is_key_account)::double as key_revenue,
                count(*) filter (where lifecycle_stage = 'at_risk') as at_risk,
                count(*) filter (where lifecycle_stage = 'lost') as lost
            from marts.fct_account_segments
            """
        )
        if facts.get("accounts"):
            cards += [
                (
                    "Net revenue, trailing window",
                    gbp(facts["net_revenue"]),
                    f"from {count(facts['buying_accounts'])} buying accounts",
                ),
                (
                    "Key accounts",
                    count(facts["key_accounts"]),
                    f"{pct(_ratio(facts['key_revenue'], facts['net_revenue']))} of net revenue",
                ),
                (
                    "At risk",
                    count(facts["at_risk"]),
                    "accounts buying well below their own normal level",
                ),
                ("Lost", count(facts["lost"]), "silent longer than their usual buying interval"),
            ]
    if not m.missing("agg_whale_curve_summary"):
        w = m.one("select * from marts.agg_whale_curve_summary")
        if w and w.get("curve_status") not in (None, "not_available"):
            cards.append(
                (
                    "Net contribution, trailing 12 months",
                    gbp(w["total_net_contribution"]),
                    f"{count(w['loss_making_account_count'])} loss-making accounts"
                    + (" (partial: some costs unknown)" if w["curve_status"] == "partial" else ""),
                )
            )
        else:
            cards.append(("Net contribution", "—", "unknown: no cost of sales data"))
    body = "".join(
        f'<div class="card"><div class="card-label">{esc(label)}</div>'
        f'<div class="card-value">{esc(value)}</div><div class="card-note">{esc(note)}</div></div>'
        for label, value, note in cards
    )
    return f'<div class="cards">{body}</div>' if body else "", facts


def _ratio(a: object, b: object) -> float | None:
    x, y = num(a), num(b)
    return None if x is None or not y else x / y


# --- 1. ABC-XYZ heatmap --------------------------------------------------------------------------

ABC_HOW = (
    "Each box is one ABC-XYZ cell. <b>ABC</b> ranks accounts by net revenue over the trailing "
    "window (A = the accounts that make most of the revenue, C = the long tail). <b>XYZ</b> is "
    "how regularly they buy (X = steady every month, Z = irregular). The darker the box, the "
    "larger its share of revenue. Top-left (AX) is the core to protect; bottom-right (CZ) is to "
    "serve at the lowest cost. Accounts with too little history are 'new'; those without "
    "positive revenue in the window (prospects, lost accounts) are 'none'."
)


def section_abc_xyz(m: Marts) -> Section:
    key, title = "abc-xyz", "ABC-XYZ matrix"
    if missing := m.missing("agg_segment_cells"):
        return not_available(key, title, ABC_HOW, missing_marts_reason(missing))
    rows = m.records(
        """
        select abc_xyz_cell, entity_count, key_entity_count, revenue_share,
            net_revenue_window::double as net_revenue, recommended_treatment
        from marts.agg_segment_cells where entity_level = 'account' order by cell_order
        """
    )
    cells = {r["abc_xyz_cell"]: r for r in rows}
    total = sum(int(r["entity_count"] or 0) for r in rows)
    if total == 0:
        return not_available(key, title, ABC_HOW, "no account in the warehouse")
    max_share = max((num(r["revenue_share"]) or 0.0) for r in rows) or 1.0
    cw, ch, left, top = 250, 112, 160, 46
    width, height = left + 3 * cw + 20, top + 3 * ch + 20 + 78 + 10
    parts = []
    xyz = (("X", "X · steady"), ("Y", "Y · fluctuating"), ("Z", "Z · irregular"))
    abc = (("A", "A · top revenue"), ("B", "B · middle"), ("C", "C · long tail"))
    for j, (_, label) in enumerate(xyz):
        parts.append(
            text(left + j * cw + cw / 2, top - 16, label, text_anchor="middle", class_="axis-head")
        )
    for i, (_, label) in enumerate(abc):
        parts.append(
            text(left - 12, top + i * ch + ch / 2 + 5, label, text_anchor="end", class_="axis-head")
        )

    def box(x: float, y: float, w: float, h: float, code: str, r: dict | None, big: bool) -> str:
        share = num(r["revenue_share"]) if r else None
        fill = ramp(BLUES, (share or 0.0) / max_share) if r and r["entity_count"] else "#fafafa"
        ink = ink_on(fill)
        n = int(r["entity_count"] or 0) if r else 0
        tip = f"{code}: {n} accounts, {gbp(r['net_revenue'] if r else None)} net revenue"
        if r and r.get("recommended_treatment"):
            tip += f". {r['recommended_treatment']}"
        out = [
            tag(
                "rect",
                tag("title", esc(tip)),
                x=x,
                y=y,
                width=w - 6,
                height=h - 6,
                rx=6,
                fill=fill,
                stroke="#c9d3df",
            )
        ]
        tx = x + 12
        out.append(text(tx, y + 24, f"{code} · {n:,} accounts", fill=ink, class_="cell-head"))
        out.append(
            text(
                tx,
                y + 44,
                f"{gbp(r['net_revenue'] if r else None)} · {pct(share)} of revenue",
                fill=ink,
                class_="cell-text",
            )
        )
        if big:
            out.append(
                text(
                    tx,
                    y + 63,
                    f"{int(r['key_entity_count'] or 0) if r else 0} key accounts",
                    fill=ink,
                    class_="cell-text",
                )
            )
            out.append(
                text(
                    tx,
                    y + 86,
                    short_label(r.get("recommended_treatment") if r else ""),
                    fill=ink,
                    class_="cell-note",
                )
            )
        return "".join(out)

    for i, (a, _) in enumerate(abc):
        for j, (x_, _) in enumerate(xyz):
            code = a + x_
            parts.append(box(left + j * cw, top + i * ch, cw, ch, code, cells.get(code), True))
    y2 = top + 3 * ch + 20
    parts.append(text(left - 12, y2 + 42, "other", text_anchor="end", class_="axis-head"))
    parts.append(box(left, y2, cw * 1.5, 78, "new", cells.get("new"), False))
    parts.append(box(left + cw * 1.5, y2, cw * 1.5, 78, "none", cells.get("none"), False))
    chart = svg(width, height, "".join(parts), "ABC-XYZ matrix: accounts and revenue per cell")
    a_cells = [cells.get(c) for c in ("AX", "AY", "AZ")]
    a_share = sum(num(r["revenue_share"]) or 0.0 for r in a_cells if r)
    a_count = sum(int(r["entity_count"] or 0) for r in a_cells if r)
    lead = (
        f'<p class="lead">{a_count:,} A accounts ({pct(a_count / total)} of the {total:,} '
        f"accounts) make {pct(a_share)} of net revenue.</p>"
    )
    return Section(
        key,
        title,
        ABC_HOW,
        body=lead + f'<figure class="chart">{chart}</figure>',
        progress=f"{total:,} accounts in {sum(1 for r in rows if r['entity_count'])} cells",
    )


# --- 2. whale curve ------------------------------------------------------------------------------

WHALE_HOW = (
    "Accounts are ranked from the most to the least profitable (net contribution = gross margin "
    "minus the cost of selling and serving them, trailing 12 months). The curve adds their "
    "contribution up: it climbs while accounts make money, peaks, then falls as the loss-making "
    "tail eats the profit. The higher the peak above 100%, the more profit the tail destroys: "
    "those accounts are candidates for a lower cost to serve, a renegotiation or, last, withdrawal."
)


def section_whale(m: Marts) -> Section:
    key, title = "whale-curve", "Whale curve"
    if missing := m.missing("fct_account_whale_curve", "agg_whale_curve_summary"):
        return not_available(key, title, WHALE_HOW, missing_marts_reason(missing))
    s = m.one("select * from marts.agg_whale_curve_summary")
    status = s.get("curve_status")
    if not s or status == "not_available" or not s.get("ranked_account_count"):
        why = m.records(
            """
            select net_contribution_missing_reason as reason, count(*) as n
            from marts.fct_account_whale_curve where net_contribution is null
            group by 1 order by 2 desc, 1
            """
        )
        if why:
            n_acc = sum(int(w["n"]) for w in why)
            causes = ", ".join(f"{words(w['reason'])} for {count(w['n'])}" for w in why)
            reason = (
                f"net contribution is unknown for all {n_acc:,} accounts ({causes}): deliver "
                "product costs (products.unit_cost), activities and reps with their loaded cost "
                "to see which accounts make money"
            )
        else:
            reason = "no account bought in the trailing 12 months"
        return not_available(key, title, WHALE_HOW, reason)
    n = int(s["ranked_account_count"])
    step = max(1, math.ceil(n / MAX_CURVE_POINTS))
    pts = m.records(
        """
        select contribution_rank, cumulative_account_share as x,
            cumulative_contribution_share as y_share,
            cumulative_net_contribution::double as y_gbp, is_curve_peak
        from marts.fct_account_whale_curve
        where contribution_rank is not null
          and (contribution_rank % ? = 0 or contribution_rank in (1, ?) or is_curve_peak)
        order by contribution_rank
        """,
        [step, n],
    )
    use_share = status != "non_positive_total" and all(p["y_share"] is not None for p in pts)
    ys = [num(p["y_share"] if use_share else p["y_gbp"]) or 0.0 for p in pts]
    xs = [num(p["x"]) or 0.0 for p in pts]
    width, height, ml, mr, mt, mb = 900, 430, 78, 30, 24, 58
    pw, ph = width - ml - mr, height - mt - mb
    y_lo = min(0.0, *ys)
    y_hi = max(1.0 if use_share else 0.0, *ys)
    pad = (y_hi - y_lo) * 0.08 or 1.0
    y_lo, y_hi = y_lo - (pad if y_lo < 0 else 0), y_hi + pad
    yt = ticks(y_lo, y_hi, 6)
    y_lo, y_hi = min(y_lo, yt[0]), max(y_hi, yt[-1])

    def sx(v: float) -> float:
        return ml + v * pw

    def sy(v: float) -> float:
        return mt + (y_hi - v) / (y_hi - y_lo) * ph

    parts = []
    peak = next((p for p in pts if p["is_curve_peak"]), None)
    if peak is not None and (num(peak["x"]) or 0) < 1:
        px = sx(num(peak["x"]) or 0)
        parts.append(
            tag("rect", x=f"{px:.1f}", y=mt, width=f"{ml + pw - px:.1f}", height=ph, fill="#fdecea")
        )
        parts.append(
            text(
                ml + pw - 8,
                mt + ph - 12,
                "loss-making tail",
                text_anchor="end",
                class_="annot alert",
            )
        )
    for v in yt:
        y = f"{sy(v):.1f}"
        parts.append(tag("line", x1=ml, x2=ml + pw, y1=y, y2=y, class_="grid"))
        label = pct(v) if use_share else gbp(v)
        parts.append(text(ml - 8, sy(v) + 4, label, text_anchor="end", class_="tick"))
    for v in ticks(0, 1, 5):
        x = f"{sx(v):.1f}"
        parts.append(tag("line", x1=x, x2=x, y1=mt, y2=mt + ph, class_="grid"))
        parts.append(text(sx(v), mt + ph + 18, pct(v), text_anchor="middle", class_="tick"))
    ref = 1.0 if use_share else num(s["total_net_contribution"]) or 0.0
    y_ref = f"{sy(ref):.1f}"
    parts.append(tag("line", x1=ml, x2=ml + pw, y1=y_ref, y2=y_ref, class_="ref"))
    total_label = f"total {gbp(s['total_net_contribution'])}" + (" = 100%" if use_share else "")
    # the curve starts at the bottom left: the label sits on the right, under the line
    parts.append(text(ml + pw - 8, sy(ref) + 16, total_label, text_anchor="end", class_="annot"))
    coords = zip([0.0, *xs], [0.0, *ys], strict=True)
    path = "M" + " L".join(f"{sx(x):.1f},{sy(y):.1f}" for x, y in coords)
    parts.append(tag("path", d=path, class_="curve"))
    if peak is not None:
        px = sx(num(peak["x"]) or 0)
        py = sy(num(peak["y_share"] if use_share else peak["y_gbp"]) or 0)
        parts.append(tag("circle", cx=f"{px:.1f}", cy=f"{py:.1f}", r=5, class_="peak"))
        label = f"peak {pct(s['peak_contribution_share'])}" if use_share else "peak"
        label += f" ({gbp(s['peak_cumulative_net_contribution'])})"
        parts.append(text(px, py - 10, label, text_anchor="middle", class_="annot strong"))
    parts.append(tag("line", x1=ml, x2=ml, y1=mt, y2=mt + ph, class_="axis"))
    parts.append(tag("line", x1=ml, x2=ml + pw, y1=mt + ph, y2=mt + ph, class_="axis"))
    parts.append(
        text(
            ml + pw / 2,
            height - 12,
            "Cumulative share of accounts, most profitable first",
            text_anchor="middle",
            class_="axis-label",
        )
    )
    ylab = (
        "Cumulative net contribution, % of total"
        if use_share
        else "Cumulative net contribution (GBP)"
    )
    parts.append(
        text(
            18,
            mt + ph / 2,
            ylab,
            text_anchor="middle",
            class_="axis-label",
            transform=f"rotate(-90 18 {mt + ph / 2:.1f})",
        )
    )
    chart = svg(width, height, "".join(parts), "Whale curve of net contribution")
    notes = []
    if status == "partial":
        notes.append(
            f"Partial curve: {count(s['unranked_account_count'])} accounts "
            f"({pct(s['unranked_net_revenue_share'])} of net revenue) are left off because part "
            "of their cost is unknown (never counted as zero)."
        )
    if status == "non_positive_total":
        notes.append("The total contribution is not positive: the curve is drawn in GBP, not in %.")
    lead = (
        f'<p class="lead">The {count(s["peak_account_count"])} most profitable accounts '
        f"({pct(s['peak_account_share'])} of the {count(n)} ranked) earn "
        f"{gbp(s['peak_cumulative_net_contribution'])}"
        + (f", {pct(s['peak_contribution_share'])} of the total" if use_share else "")
        + f"; the tail of {count(s['loss_making_account_count'])} loss-making accounts destroys "
        f"{gbp(s['tail_destroyed_contribution'])} of it. Total net contribution: "
        f"{gbp(s['total_net_contribution'])}.</p>"
    )
    body = lead + f'<figure class="chart">{chart}</figure>'
    body += "".join(f'<p class="small">{esc(t)}</p>' for t in notes)
    return Section(
        key, title, WHALE_HOW, body=body, progress=f"{n:,} accounts on the curve ({status})"
    )


# --- 3. attractiveness x QRC ---------------------------------------------------------------------

MATRIX_HOW = (
    "Every account placed by <b>attractiveness</b> (up: potential, growth, market position, "
    "solvency, strategic interest; outside the rep's control) and <b>QRC</b>, the quality of the "
    "commercial relationship (right: share of wallet, contacts, regularity, commitments kept...; "
    "what the rep can improve). Both are scores 0-100. Top-left accounts are attractive but the "
    "relationship is weak: <b>visit them first</b>. The shaded cells follow the visit priority "
    "(darker = earlier). Bubble size is net revenue over the trailing window; orange = key account."
)


def _band_edges(points: list[dict], score_col: str, band_col: str) -> tuple[float, float]:
    """The low/medium and medium/high boundaries: the defaults when the data agrees with them,
    else the lowest score seen in the upper band (the build's vars are not in the warehouse)."""
    edges = []
    for (lo_band, hi_band), default in zip(
        (("low", "medium"), ("medium", "high")), DEFAULT_BAND_EDGES, strict=True
    ):
        below = [num(p[score_col]) for p in points if p[band_col] == lo_band]
        above = [num(p[score_col]) for p in points if p[band_col] == hi_band]
        below = [v for v in below if v is not None]
        above = [v for v in above if v is not None]
        if all(v < default for v in below) and all(v >= default for v in above):
            edges.append(default)
        elif above:
            edges.append(min(above))
        else:
            edges.append(max(below) if below else default)
    return edges[0], max(edges[1], edges[0])


def section_matrix(m: Marts) -> Section:
    key, title = "attractiveness-qrc", "Attractiveness × QRC matrix"
    needed = ("fct_account_visit_priorities", "fct_account_segments", "dim_accounts")
    if missing := m.missing(*needed):
        return not_available(key, title, MATRIX_HOW, missing_marts_reason(missing))
    stats = m.one(
        """
        select count(*) as planned, count(attractiveness_score) as with_attr,
            count(qrc_score) as with_qrc,
            count(*) filter (
                where attractiveness_score is not null and qrc_score is not null
            ) as both
        from marts.fct_account_visit_priorities where is_in_visit_plan
        """
    )
    cell_counts = m.records(
        """
        select matrix_cell_code as code, any_value(matrix_cell_label) as label,
            min(cell_priority_rank) as priority, count(*) as accounts,
            count(*) filter (where is_key_account) as key_accounts
        from marts.fct_account_visit_priorities where is_in_visit_plan
        group by 1 order by 3, 1
        """
    )
    table = html_table(
        [
            ("Priority", "num"),
            ("Cell", "text"),
            ("What to do", "text"),
            ("Accounts", "num"),
            ("Key accounts", "num"),
        ],
        [
            (
                count(c["priority"]),
                esc(c["code"]),
                esc(c["label"]),
                count(c["accounts"]),
                count(c["key_accounts"]),
            )
            for c in cell_counts
        ],
        caption="Accounts per cell of the matrix (the accounts in the visit plan)",
    )
    if not stats.get("planned"):
        return not_available(
            key, title, MATRIX_HOW, "no account to place (no account is in the visit plan)"
        )
    if not stats.get("both"):
        parts = []
        if not stats["with_attr"]:
            parts.append(
                "attractiveness is not scored for any account (no accounts file with potential, "
                "growth, market position or credit rating)"
            )
        if not stats["with_qrc"]:
            parts.append("QRC is not scored for any account")
        reason = "; ".join(parts) + ": accounts cannot be placed on the matrix"
        sec = not_available(key, title, MATRIX_HOW, reason)
        sec.body = table
        return sec
    points = m.records(
        """
        select p.account_id, a.account_name, p.attractiveness_score as attr, p.qrc_score as qrc,
            p.attractiveness_band, p.qrc_band, p.is_key_account, p.matrix_cell_code,
            greatest(s.net_revenue_window, 0)::double as revenue
        from marts.fct_account_visit_priorities as p
        left join marts.dim_accounts as a on a.account_id = p.account_id
        left join marts.fct_account_segments as s on s.account_id = p.account_id
        where p.is_in_visit_plan and p.attractiveness_score is not null and p.qrc_score is not null
        order by p.is_key_account desc, s.net_revenue_window desc nulls last, p.account_id
        limit ?
        """,
        [MAX_SCATTER_POINTS],
    )
    a_lo, a_hi = _band_edges(points, "attr", "attractiveness_band")
    q_lo, q_hi = _band_edges(points, "qrc", "qrc_band")
    labels = {c["code"]: (c["priority"], c["label"], c["accounts"]) for c in cell_counts}
    if m.has("config.visit_matrix_cells"):
        for r in m.records(
            "select cell_code, cell_priority_rank, cell_label from config.visit_matrix_cells"
        ):
            labels.setdefault(r["cell_code"], (r["cell_priority_rank"], r["cell_label"], 0))
    width, height, ml, mr, mt, mb = 900, 660, 70, 24, 20, 60
    pw, ph = width - ml - mr, height - mt - mb

    def sx(v: float) -> float:
        return ml + v / 100 * pw

    def sy(v: float) -> float:
        return mt + (100 - v) / 100 * ph

    parts = []
    cell_labels: list[str] = []
    bands_q = (("L", 0.0, q_lo), ("M", q_lo, q_hi), ("H", q_hi, 100.0))
    bands_a = (("L", 0.0, a_lo), ("M", a_lo, a_hi), ("H", a_hi, 100.0))
    for ac, a0, a1 in bands_a:
        for qc, q0, q1 in bands_q:
            code = ac + qc
            prio, label, n = labels.get(code, (9, "", 0))
            fill = ramp(ORANGES, (10 - min(int(prio or 9), 9)) / 9)
            x0, x1, y0, y1 = sx(q0), sx(q1), sy(a1), sy(a0)
            parts.append(
                tag(
                    "rect",
                    tag("title", esc(f"{code}: {label} ({count(n)} accounts)")),
                    x=f"{x0:.1f}",
                    y=f"{y0:.1f}",
                    width=f"{x1 - x0:.1f}",
                    height=f"{y1 - y0:.1f}",
                    fill=fill,
                    stroke="#ffffff",
                    stroke_width=2,
                )
            )
            head = f"{code} · {short_label(label)}"
            sub = f"{count(n)} accounts · priority {prio}"
            # drawn over the dots, on a light plate, so the cell stays readable when crowded
            plate_w = min(max(len(head) * 7.6, len(sub) * 6.6) + 12, x1 - x0 - 4)
            cell_labels.append(
                tag(
                    "rect",
                    x=f"{x0 + 3:.1f}",
                    y=f"{y0 + 3:.1f}",
                    width=f"{plate_w:.1f}",
                    height=38,
                    rx=4,
                    class_="plate",
                )
                + text(x0 + 9, y0 + 19, head, class_="cell-tag")
                + text(x0 + 9, y0 + 35, sub, class_="cell-sub")
            )
    max_rev = max((num(p["revenue"]) or 0.0) for p in points) or 1.0
    dots = []
    for p in points:
        rev = num(p["revenue"]) or 0.0
        r = 2.5 + 10 * math.sqrt(rev / max_rev)
        tip = (
            f"{p['account_name'] or p['account_id']} ({p['account_id']}): attractiveness "
            f"{score(p['attr'])}, QRC {score(p['qrc'])}, {gbp(rev)} net revenue, cell "
            f"{p['matrix_cell_code']}" + (", key account" if p["is_key_account"] else "")
        )
        dots.append(
            (
                -r,
                tag(
                    "circle",
                    tag("title", esc(tip)),
                    cx=f"{sx(num(p['qrc']) or 0):.1f}",
                    cy=f"{sy(num(p['attr']) or 0):.1f}",
                    r=f"{r:.1f}",
                    class_="dot key" if p["is_key_account"] else "dot",
                ),
            )
        )
    parts += [d for _, d in sorted(dots, key=lambda t: t[0])]
    parts += cell_labels
    for v in (0, 20, 40, 60, 80, 100):
        parts.append(text(sx(v), mt + ph + 18, str(v), text_anchor="middle", class_="tick"))
        parts.append(text(ml - 8, sy(v) + 4, str(v), text_anchor="end", class_="tick"))
    parts.append(tag("rect", x=ml, y=mt, width=pw, height=ph, fill="none", class_="frame"))
    parts.append(
        text(
            ml + pw / 2,
            height - 14,
            "QRC: quality of the relationship (0-100) →",
            text_anchor="middle",
            class_="axis-label",
        )
    )
    parts.append(
        text(
            20,
            mt + ph / 2,
            "Attractiveness (0-100) →",
            text_anchor="middle",
            class_="axis-label",
            transform=f"rotate(-90 20 {mt + ph / 2:.1f})",
        )
    )
    chart = svg(
        width,
        height,
        "".join(parts),
        "Attractiveness by QRC matrix with every account placed on it",
    )
    legend = (
        '<p class="legend"><span class="swatch key"></span> key account '
        '<span class="swatch other"></span> other account · bubble area = net revenue · '
        f"band limits: attractiveness {a_lo:g} / {a_hi:g}, QRC {q_lo:g} / {q_hi:g}</p>"
    )
    left_off = int(stats["planned"]) - int(stats["both"])
    notes = []
    if len(points) < int(stats["both"]):
        notes.append(
            f"Showing the {len(points):,} largest accounts (key accounts first) of the "
            f"{int(stats['both']):,} that have both scores."
        )
    if left_off:
        notes.append(
            f"{left_off:,} accounts are not placed because one of the scores is unknown; they are "
            "in the 'U' (not scored) rows of the table below."
        )
    body = f'<figure class="chart">{chart}</figure>{legend}'
    body += "".join(f'<p class="small">{esc(t)}</p>' for t in notes) + table
    return Section(key, title, MATRIX_HOW, body=body, progress=f"{len(points):,} accounts placed")


# --- 4. visit plan utilisation -------------------------------------------------------------------

REPS_HOW = (
    "Each bar is a rep's visit plan for the next period: the bar is the share of the rep's visit "
    "capacity that is planned (100% = fully booked), the black tick is what the rep's accounts "
    "ask for. A tick beyond 100% means more demand than capacity: the bar turns red and some "
    "accounts get fewer visits than recommended (unserved). Reps far below 100% can take over "
    "accounts from overloaded colleagues."
)


def section_reps(m: Marts) -> Section:
    key, title = "visit-plan", "Visit plan utilisation per rep"
    if missing := m.missing("fct_rep_visit_plan"):
        return not_available(key, title, REPS_HOW, missing_marts_reason(missing))
    reps = m.records(
        """
        select rep_id, rep_name, role, capacity_visits, demand_visits, planned_visits,
            unserved_visits, utilisation, account_count, key_account_count,
            underserved_account_count, overflow_rule_applied
        from marts.fct_rep_visit_plan
        where account_count > 0
        order by demand_visits / nullif(capacity_visits, 0) desc nulls first, rep_id
        """
    )
    if not reps:
        reason = "no rep has accounts to visit (fct_rep_visit_plan is empty or every rep has none)"
        if not m.missing("fct_account_visit_plan"):
            orphan = m.one(
                "select count(*) as n from marts.fct_account_visit_plan "
                "where shortfall_reason = 'no_owner_rep'"
            )
            if orphan.get("n"):
                reason = (
                    f"the export has no reps or account owners: all {count(orphan['n'])} planned "
                    "accounts are unserved (no owner rep); deliver reps and accounts.owner_rep_id"
                )
        return not_available(key, title, REPS_HOW, reason)
    shown = reps[:MAX_REP_BARS]
    row_h, ml, bar_w, mr, mt = 28, 230, 400, 330, 34
    width, height = ml + bar_w + mr, mt + row_h * len(shown) + 40
    ratios = [_ratio(r["demand_visits"], r["capacity_visits"]) or 0.0 for r in shown]
    x_max = min(max(1.2, *(ratios or [1.0])) * 1.05, 2.0)

    def sx(v: float) -> float:
        return ml + min(v, x_max) / x_max * bar_w

    parts = []
    for v in ticks(0, x_max, 5):
        parts.append(
            tag(
                "line",
                x1=f"{sx(v):.1f}",
                x2=f"{sx(v):.1f}",
                y1=mt - 6,
                y2=height - 34,
                class_="grid",
            )
        )
        parts.append(text(sx(v), mt - 12, pct(v), text_anchor="middle", class_="tick"))
    for i, r in enumerate(shown):
        y = mt + i * row_h
        cap = num(r["capacity_visits"]) or 0.0
        used = num(r["utilisation"])
        demand = _ratio(r["demand_visits"], cap) if cap else None
        unserved = (num(r["unserved_visits"]) or 0.0) > 0.05
        name = r["rep_name"] or r["rep_id"]
        parts.append(
            text(
                ml - 10,
                y + 18,
                f"{name} ({r['role'] or 'rep'})",
                text_anchor="end",
                class_="bar-label",
            )
        )
        colour = ALERT_COLOUR if unserved else OK_COLOUR
        if used is not None:
            parts.append(
                tag(
                    "rect",
                    tag("title", esc(f"{name}: {pct(used)} of capacity planned")),
                    x=ml,
                    y=y + 5,
                    width=f"{sx(used) - ml:.1f}",
                    height=row_h - 10,
                    fill=colour,
                    rx=2,
                )
            )
        if demand is not None:
            dx = sx(demand)
            parts.append(
                tag(
                    "line",
                    x1=f"{dx:.1f}",
                    x2=f"{dx:.1f}",
                    y1=y + 2,
                    y2=y + row_h - 2,
                    class_="demand",
                )
            )
            if demand > x_max:
                parts.append(text(dx + 3, y + 18, "»", class_="tick"))
        detail = (
            f"{pct(used)} · {visits(r['planned_visits'])} of {visits(cap)} visits"
            if cap
            else "no visit capacity"
        )
        if unserved:
            detail += f" · {visits(r['unserved_visits'])} unserved"
        parts.append(
            text(
                ml + bar_w + 10,
                y + 18,
                detail,
                class_="bar-value alert" if unserved else "bar-value",
            )
        )
    one = sx(1.0)
    parts.append(
        tag("line", x1=f"{one:.1f}", x2=f"{one:.1f}", y1=mt - 6, y2=height - 34, class_="ref")
    )
    parts.append(text(one + 4, height - 20, "capacity", class_="annot"))
    chart = svg(width, height, "".join(parts), "Visit plan utilisation per rep")
    over = [r for r in reps if (num(r["unserved_visits"]) or 0) > 0.05]
    unserved_total = sum(num(r["unserved_visits"]) or 0.0 for r in reps)
    lead = (
        f'<p class="lead">{len(over)} of {len(reps)} reps have more demand than capacity; '
        f"{decimal1(unserved_total)} visits are unserved in the period.</p>"
    )
    legend = (
        '<p class="legend"><span class="swatch ok"></span> planned, demand fits '
        '<span class="swatch alert"></span> planned, demand exceeds capacity '
        '<span class="tickmark"></span> demand</p>'
    )
    notes = ""
    if len(reps) > len(shown):
        notes = f'<p class="small">The {len(shown)} most loaded of {len(reps)} reps are shown.</p>'
    return Section(
        key,
        title,
        REPS_HOW,
        body=lead + f'<figure class="chart">{chart}</figure>' + legend + notes,
        progress=f"{len(reps)} reps",
    )


# --- 5. segment migrations -----------------------------------------------------------------------

MIGRATION_HOW = (
    "Where each account was one quarter ago (row) and where it is now (column), in ABC-XYZ cells. "
    "Grey = stayed in its cell; <b>green</b> = moved to a better ABC class (e.g. B to A); "
    "<b>red</b> = slid to a worse one (e.g. AX to BY); blue = same class but a different buying "
    "regularity, or from/to 'new' and 'none'. The colour gets stronger with the share of the row's "
    "accounts that made the move. Red cells in the top rows are the revenue to win back."
)


def _cell_order(m: Marts) -> list[str]:
    if m.has("config.segment_cells"):
        order = [
            r["abc_xyz_cell"]
            for r in m.records("select abc_xyz_cell from config.segment_cells order by cell_order")
        ]
        if order:
            return order
    return list(CELLS)


def section_migrations(m: Marts) -> Section:
    key, title = "migrations", "Segment migrations"
    if missing := m.missing("fct_segment_migrations"):
        return not_available(key, title, MIGRATION_HOW, missing_marts_reason(missing))
    rows = m.records(
        """
        select from_snapshot_date, to_snapshot_date, from_cell, to_cell, account_count,
            share_of_from_cell_accounts as share, abc_direction, is_unchanged,
            from_net_revenue_window::double as from_revenue,
            to_net_revenue_window::double as to_revenue
        from marts.fct_segment_migrations where is_latest_period
        """
    )
    if not rows:
        any_row = m.one("select count(*) as n from marts.fct_segment_migrations")
        reason = (
            "no account in the warehouse"
            if not any_row.get("n")
            else "no transition into the as-of date's snapshot"
        )
        return not_available(key, title, MIGRATION_HOW, reason)
    order = _cell_order(m)
    present = {r["from_cell"] for r in rows} | {r["to_cell"] for r in rows}
    order = [c for c in order if c in present] + sorted(present - set(order))
    grid = {(r["from_cell"], r["to_cell"]): r for r in rows}
    from_total = {
        c: sum(int(r["account_count"]) for r in rows if r["from_cell"] == c) for c in order
    }
    cw, ch, ml, mt = 62, 32, 70, 58
    width, height = ml + cw * len(order) + 86, mt + ch * len(order) + 16
    parts = [
        text(ml + cw * len(order) / 2, 16, "now (to) →", text_anchor="middle", class_="axis-label"),
        text(ml + cw * len(order) + 12, mt - 10, "accounts", class_="tick"),
    ]
    for j, c in enumerate(order):
        parts.append(
            text(ml + j * cw + cw / 2, mt - 10, c, text_anchor="middle", class_="axis-head")
        )
    for i, fc in enumerate(order):
        y = mt + i * ch
        parts.append(text(ml - 10, y + ch / 2 + 5, fc, text_anchor="end", class_="axis-head"))
        parts.append(
            text(ml + cw * len(order) + 12, y + ch / 2 + 5, f"{from_total[fc]:,}", class_="tick")
        )
        for j, tc in enumerate(order):
            r = grid.get((fc, tc))
            x = ml + j * cw
            if r is None:
                parts.append(tag("rect", x=x, y=y, width=cw - 2, height=ch - 2, fill="#fafafa"))
                continue
            share = num(r["share"]) or 0.0
            if r["is_unchanged"]:
                scale = GREYS
            elif r["abc_direction"] == "up":
                scale = GREENS
            elif r["abc_direction"] == "down":
                scale = REDS
            else:
                scale = BLUES
            fill = ramp(scale, 0.15 + 0.85 * share)
            tip = (
                f"{fc} → {tc}: {int(r['account_count']):,} accounts ({pct(share)} of {fc}); "
                f"revenue {gbp(r['from_revenue'])} → {gbp(r['to_revenue'])}"
            )
            parts.append(
                tag(
                    "rect", tag("title", esc(tip)), x=x, y=y, width=cw - 2, height=ch - 2, fill=fill
                )
            )
            parts.append(
                text(
                    x + cw / 2 - 1,
                    y + ch / 2 + 4,
                    f"{int(r['account_count']):,}",
                    text_anchor="middle",
                    fill=ink_on(fill),
                    class_="cell-num",
                )
            )
    parts.append(
        text(
            14,
            mt + ch * len(order) / 2,
            "a quarter ago (from) →",
            text_anchor="middle",
            class_="axis-label",
            transform=f"rotate(90 14 {mt + ch * len(order) / 2:.1f})",
        )
    )
    chart = svg(width, height, "".join(parts), "Segment migration matrix, latest quarter")
    f_date, t_date = rows[0]["from_snapshot_date"], rows[0]["to_snapshot_date"]
    down = [r for r in rows if r["abc_direction"] == "down"]
    up = [r for r in rows if r["abc_direction"] == "up"]
    lost_rev = sum((num(r["from_revenue"]) or 0) - (num(r["to_revenue"]) or 0) for r in down)
    lead = (
        f'<p class="lead">From {esc(f_date)} to {esc(t_date)}: '
        f"{sum(int(r['account_count']) for r in up):,} accounts moved up a class, "
        f"{sum(int(r['account_count']) for r in down):,} slid down "
        f"(their window revenue fell by {gbp(lost_rev)}).</p>"
    )
    history = m.records(
        """
        select from_snapshot_date, to_snapshot_date, sum(account_count) as accounts,
            sum(account_count) filter (where is_unchanged) as unchanged,
            sum(account_count) filter (where abc_direction = 'up') as up,
            sum(account_count) filter (where abc_direction = 'down') as down,
            sum(account_count) filter (where not is_unchanged and abc_direction = 'same')
                as regularity,
            sum(account_count) filter (where not is_unchanged and abc_direction = 'not_comparable')
                as entered_or_left
        from marts.fct_segment_migrations
        group by 1, 2 order by 2 desc
        """
    )
    hist_table = html_table(
        [
            ("Quarter", "nowrap"),
            ("Accounts", "num"),
            ("Same cell", "num"),
            ("Up a class", "num"),
            ("Down a class", "num"),
            ("Regularity changed", "num"),
            ("New / none", "num"),
        ],
        [
            (
                f"{esc(h['from_snapshot_date'])} → {esc(h['to_snapshot_date'])}",
                count(h["accounts"]),
                count(h["unchanged"] or 0),
                count(h["up"] or 0),
                count(h["down"] or 0),
                count(h["regularity"] or 0),
                count(h["entered_or_left"] or 0),
            )
            for h in history
        ],
        caption="Moves per quarter, latest first",
    )
    slid = ""
    if not m.missing("fct_account_segment_history", "dim_accounts"):
        lost_a = m.records(
            """
            select h.account_id, a.account_name, h.previous_abc_xyz_cell, h.abc_xyz_cell,
                h.previous_net_revenue_window::double as before,
                h.net_revenue_window::double as now, h.lifecycle_stage
            from marts.fct_account_segment_history as h
            left join marts.dim_accounts as a on a.account_id = h.account_id
            where h.is_current and h.previous_abc_xyz_cell in ('AX', 'AY', 'AZ')
              and h.abc_class != 'A'
            order by h.previous_net_revenue_window desc nulls last, h.account_id
            limit ?
            """,
            [MAX_TABLE_ROWS],
        )
        if lost_a:
            slid = html_table(
                [
                    ("Account", "wide"),
                    ("Was", "text"),
                    ("Now", "text"),
                    ("Revenue, previous window", "num"),
                    ("Revenue, current window", "num"),
                    ("Lifecycle", "text"),
                ],
                [
                    (
                        account_cell(r["account_name"], r["account_id"]),
                        esc(r["previous_abc_xyz_cell"]),
                        esc(r["abc_xyz_cell"]),
                        gbp(r["before"], compact=False),
                        gbp(r["now"], compact=False),
                        esc(words(r["lifecycle_stage"])),
                    )
                    for r in lost_a
                ],
                caption="Accounts that left class A this quarter (largest first)",
            )
    body = lead + f'<figure class="chart">{chart}</figure>' + slid + hist_table
    return Section(key, title, MIGRATION_HOW, body=body, progress=f"{f_date} → {t_date}")


# --- 6. accounts to visit ------------------------------------------------------------------------

VISIT_HOW = (
    "The accounts to visit first, across all reps: ranked by the cell of the attractiveness × QRC "
    "matrix (attractive accounts with a weak relationship first), then by the priority score "
    "(0-100, higher = more attractive and weaker relationship). Planned visits are for the next "
    "period; fractions are rates (0.5 = one visit every other period)."
)


def section_visits(m: Marts) -> Section:
    key, title = "accounts-to-visit", f"Top {MAX_TABLE_ROWS} accounts to visit"
    needed = ("fct_account_visit_priorities", "dim_accounts", "dim_reps", "fct_account_segments")
    if missing := m.missing(*needed):
        return not_available(key, title, VISIT_HOW, missing_marts_reason(missing))
    has_plan = not m.missing("fct_account_visit_plan")
    plan_cols = (
        "v.planned_visits, v.plan_status, v.shortfall_reason"
        if has_plan
        else "null as planned_visits, null as plan_status, null as shortfall_reason"
    )
    plan_join = (
        "left join marts.fct_account_visit_plan as v on v.account_id = p.account_id"
        if has_plan
        else ""
    )
    rows = m.records(
        f"""
        select p.account_id, a.account_name, coalesce(r.rep_name, p.owner_rep_id) as rep,
            p.is_key_account, p.matrix_cell_code, p.matrix_cell_label, p.attractiveness_score,
            p.qrc_score, p.priority_score, s.abc_xyz_cell, s.lifecycle_stage,
            s.net_revenue_window::double as revenue, {plan_cols}
        from marts.fct_account_visit_priorities as p
        left join marts.dim_accounts as a on a.account_id = p.account_id
        left join marts.dim_reps as r on r.rep_id = p.owner_rep_id
        left join marts.fct_account_segments as s on s.account_id = p.account_id
        {plan_join}
        where p.is_in_visit_plan
        order by p.cell_priority_rank, p.priority_score desc nulls last, p.account_id
        limit ?
        """,
        [MAX_TABLE_ROWS],
    )
    if not rows:
        return not_available(key, title, VISIT_HOW, "no account is in the visit plan")
    scored = m.one(
        "select count(attractiveness_score) as n from marts.fct_account_visit_priorities "
        "where is_in_visit_plan"
    )
    if not scored.get("n"):
        return not_available(
            key,
            title,
            VISIT_HOW,
            "attractiveness is not scored for any account (no accounts file with potential, "
            "growth, market position or credit rating): a ranking on the relationship score "
            "alone would put silent and lost accounts first",
        )
    table = html_table(
        [
            ("#", "num"),
            ("Account", "wide"),
            ("Owner", "nowrap"),
            ("Matrix cell", "nowrap"),
            ("Attract.", "num"),
            ("QRC", "num"),
            ("Priority", "num"),
            ("Segment", "nowrap"),
            ("Net revenue", "num"),
            ("Planned visits", "num"),
            ("Plan", "text"),
        ],
        [
            (
                str(i),
                account_cell(r["account_name"], r["account_id"], r["is_key_account"]),
                esc(r["rep"] or "—"),
                f"<b>{esc(r['matrix_cell_code'])}</b> {esc(short_label(r['matrix_cell_label']))}",
                score(r["attractiveness_score"]),
                score(r["qrc_score"]),
                score(r["priority_score"]),
                esc(_segment(r["abc_xyz_cell"], r["lifecycle_stage"])),
                gbp(r["revenue"], compact=False),
                decimal1(r["planned_visits"]),
                esc(words(r["shortfall_reason"] or r["plan_status"])),
            )
            for i, r in enumerate(rows, 1)
        ],
    )
    unscored = sum(1 for r in rows if r["attractiveness_score"] is None or r["qrc_score"] is None)
    note = ""
    if unscored:
        note = (
            f'<p class="small">{unscored} of these accounts are ranked with a score unknown '
            "(shown as —): qualify them first.</p>"
        )
    return Section(key, title, VISIT_HOW, body=table + note, progress=f"{len(rows)} accounts")


def _segment(cell: object, stage: object) -> str:
    """'AX · active'; just the stage for accounts without a cell ('none': prospects, lost)."""
    if cell in (None, "none"):
        return words(stage)
    return f"{cell} · {words(stage)}" if stage else str(cell)


# --- 7. at-risk accounts -------------------------------------------------------------------------

RISK_HOW = (
    "Accounts still buying, but clearly below their own normal level: the last quarter's monthly "
    "revenue against their monthly average of the year before, judged against their usual "
    "volatility (an irregular buyer needs a bigger drop to be flagged). Sorted by the monthly "
    "revenue at stake. 'Attention' marks accounts that were profitable last year: worth a visit "
    "before they are lost."
)


def section_at_risk(m: Marts) -> Section:
    key, title = "at-risk", "At-risk accounts"
    needed = ("fct_account_segments", "dim_accounts", "dim_reps")
    if missing := m.missing(*needed):
        return not_available(key, title, RISK_HOW, missing_marts_reason(missing))
    has_cls = not m.missing("fct_account_profitability_classes")
    cls_cols = (
        "c.recommendation, c.needs_attention"
        if has_cls
        else "null as recommendation, null as needs_attention"
    )
    cls_join = (
        "left join marts.fct_account_profitability_classes as c on c.account_id = s.account_id"
        if has_cls
        else ""
    )
    total = m.one(
        """
        select count(*) as n,
            sum(greatest(baseline_monthly_revenue - trailing_monthly_revenue, 0)) as drop,
            sum(net_revenue_window)::double as revenue
        from marts.fct_account_segments where lifecycle_stage = 'at_risk'
        """
    )
    if not total.get("n"):
        return Section(
            key,
            title,
            RISK_HOW,
            body='<p class="lead">No account is at risk as of the as-of date.</p>',
            progress="none",
        )
    rows = m.records(
        f"""
        select s.account_id, a.account_name, coalesce(r.rep_name, a.owner_rep_id) as rep,
            s.is_key_account, s.abc_xyz_cell, s.net_revenue_window::double as revenue,
            s.baseline_monthly_revenue as baseline, s.trailing_monthly_revenue as trailing,
            s.revenue_z_score, s.days_since_last_purchase, {cls_cols}
        from marts.fct_account_segments as s
        left join marts.dim_accounts as a on a.account_id = s.account_id
        left join marts.dim_reps as r on r.rep_id = a.owner_rep_id
        {cls_join}
        where s.lifecycle_stage = 'at_risk'
        order by s.baseline_monthly_revenue - s.trailing_monthly_revenue desc nulls last,
            s.account_id
        limit ?
        """,
        [MAX_TABLE_ROWS],
    )
    table = html_table(
        [
            ("Account", "wide"),
            ("Owner", "nowrap"),
            ("ABC-XYZ", "nowrap"),
            ("Net revenue, window", "num"),
            ("Normal month", "num"),
            ("Last quarter, per month", "num"),
            ("Change", "num"),
            ("Days since last order", "num"),
            ("Recommendation", "text"),
        ],
        [
            (
                account_cell(r["account_name"], r["account_id"], r["is_key_account"]),
                esc(r["rep"] or "—"),
                esc(r["abc_xyz_cell"]),
                gbp(r["revenue"], compact=False),
                gbp(r["baseline"], compact=False),
                gbp(r["trailing"], compact=False),
                _change(r["trailing"], r["baseline"]),
                count(r["days_since_last_purchase"]),
                esc(words(r["recommendation"]) if r["recommendation"] else "—")
                + (' <span class="badge alert">attention</span>' if r["needs_attention"] else ""),
            )
            for r in rows
        ],
    )
    lead = (
        f'<p class="lead">{count(total["n"])} accounts are at risk; together they buy '
        f"{gbp(total['drop'])} a month less than usual.</p>"
    )
    more = ""
    if int(total["n"]) > len(rows):
        more = f'<p class="small">The {len(rows)} with the largest drop are listed.</p>'
    return Section(
        key, title, RISK_HOW, body=lead + table + more, progress=f"{count(total['n'])} accounts"
    )


def _change(now: object, before: object) -> str:
    a, b = num(now), num(before)
    if a is None or not b or b <= 0:
        return "—"
    change = f"{(a - b) / b * 100:+.0f}%".replace("-", "−")
    return f'<span class="{"neg" if a < b else "pos"}">{change}</span>'


# --- 8. data behind the report -------------------------------------------------------------------

DATA_HOW = (
    "What the numbers rest on: every row of every file delivered ends clean, excluded by a "
    "documented rule (duplicates, adjustments), or held back in quarantine with a reason "
    "(marts.dq_quarantine). Entities that were not delivered explain the sections marked not "
    "available."
)


def section_data(m: Marts) -> Section:
    key, title = "data", "Data behind this report"
    if missing := m.missing("dq_reconciliation"):
        return not_available(key, title, DATA_HOW, missing_marts_reason(missing))
    rows = m.records(
        """
        select entity, count(*) as files, sum(rows_read) as read, sum(clean_rows) as clean,
            sum(excluded_rows) as excluded, sum(quarantined_rows) as quarantined
        from marts.dq_reconciliation group by entity order by entity
        """
    )
    delivered = {r["entity"] for r in rows}
    try:
        from kam.contract import load_contract

        expected = list(load_contract())
    except Exception:  # the contract file is optional for reading a warehouse
        expected = []
    absent = [e for e in expected if e not in delivered]
    table = html_table(
        [
            ("Entity", "text"),
            ("Files", "num"),
            ("Rows read", "num"),
            ("Clean", "num"),
            ("Excluded", "num"),
            ("Quarantined", "num"),
        ],
        [
            (
                esc(r["entity"]),
                count(r["files"]),
                count(r["read"]),
                count(r["clean"]),
                count(r["excluded"]),
                count(r["quarantined"]),
            )
            for r in rows
        ],
    )
    note = ""
    if not rows:
        note = '<p class="small">No landing file was read.</p>'
    elif absent:
        note = f'<p class="small">Not delivered: {esc(", ".join(absent))}.</p>'
    entities = f"{len(rows)} {'entity' if len(rows) == 1 else 'entities'}"
    return Section(key, title, DATA_HOW, body=table + note, progress=entities)


# --- page ----------------------------------------------------------------------------------------

CSS = """
:root { --ink: #1d2733; --muted: #5b6775; --line: #dde3ea; --bg: #f4f6f9; --accent: #2b6cb0; }
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--ink);
  font: 15px/1.45 "DejaVu Sans", "Liberation Sans", "Helvetica Neue", Arial, sans-serif; }
header { background: #1f3a5f; color: #fff; padding: 26px 40px 20px; }
header h1 { margin: 0 0 6px; font-size: 28px; font-weight: 700; }
header .meta { color: #d6e2f0; font-size: 14px; }
header .meta b { color: #fff; }
nav { background: #fff; border-bottom: 1px solid var(--line); padding: 10px 40px; font-size: 14px; }
nav a { color: var(--accent); text-decoration: none; margin-right: 18px; white-space: nowrap; }
main { max-width: 1180px; margin: 0 auto; padding: 20px 28px 40px; }
.cards { display: flex; flex-wrap: wrap; gap: 14px; margin: 6px 0 18px; }
.card { flex: 1 1 190px; background: #fff; border: 1px solid var(--line); border-radius: 8px;
  padding: 12px 16px; }
.card-label { color: var(--muted); font-size: 13px; }
.card-value { font-size: 26px; font-weight: 700; margin: 2px 0; }
.card-note { color: var(--muted); font-size: 12.5px; }
section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 18px 24px;
  margin: 0 0 20px; break-inside: avoid; }
h2 { margin: 0 0 8px; font-size: 21px; }
p.how { color: var(--muted); font-size: 13.5px; margin: 0 0 12px; max-width: 1000px;
  border-left: 3px solid var(--line); padding-left: 10px; }
p.lead { font-size: 16px; margin: 4px 0 10px; }
p.small { color: var(--muted); font-size: 13px; margin: 6px 0; }
p.na { background: #fff7e0; border: 1px solid #f0d58c; border-radius: 6px; padding: 10px 14px; }
figure.chart { margin: 8px 0; overflow-x: auto; }
svg.chart { max-width: 100%; height: auto; font-family: inherit; }
svg .axis-head { font-size: 14px; font-weight: 700; fill: #33414f; }
svg .axis-label { font-size: 13px; fill: #33414f; }
svg .tick { font-size: 12px; fill: #5b6775; }
svg .grid { stroke: #e6eaef; stroke-width: 1; }
svg .axis, svg .frame { stroke: #8a96a3; stroke-width: 1; fill: none; }
svg .ref { stroke: #33414f; stroke-width: 1.2; stroke-dasharray: 5 4; }
svg .curve { fill: none; stroke: #1f3a5f; stroke-width: 2.5; }
svg .peak { fill: #d95f02; stroke: #fff; stroke-width: 1.5; }
svg .annot { font-size: 12.5px; fill: #33414f; }
svg .annot.strong { font-weight: 700; }
svg .alert { fill: #b2261d; }
svg .cell-head { font-size: 15px; font-weight: 700; }
svg .cell-text { font-size: 13px; }
svg .cell-note { font-size: 12px; font-style: italic; }
svg .cell-num { font-size: 12.5px; }
svg .cell-tag { font-size: 12.5px; font-weight: 700; fill: #5a3a12; }
svg .cell-sub { font-size: 11.5px; fill: #7a5a32; }
svg .plate { fill: #ffffff; fill-opacity: 0.82; }
svg .dot { fill: #2b6cb0; fill-opacity: 0.5; stroke: #1d4f86; stroke-width: 0.6; }
svg .dot.key { fill: #d95f02; fill-opacity: 0.8; stroke: #8c3a00; }
svg .bar-label { font-size: 13px; fill: #1d2733; }
svg .bar-value { font-size: 12.5px; fill: #33414f; }
svg .bar-value.alert { fill: #b2261d; }
svg .demand { stroke: #111; stroke-width: 2.5; }
.legend { font-size: 13px; color: var(--muted); margin: 2px 0 8px; }
.swatch { display: inline-block; width: 12px; height: 12px; border-radius: 50%;
  vertical-align: -1px; margin: 0 4px 0 10px; }
.swatch.key { background: #d95f02; } .swatch.other { background: #2b6cb0; opacity: .6; }
.swatch.ok { background: #4c78a8; border-radius: 2px; }
.swatch.alert { background: #d64541; border-radius: 2px; }
.tickmark { display: inline-block; width: 3px; height: 14px; background: #111;
  vertical-align: -2px; margin: 0 4px 0 10px; }
.table-wrap { overflow-x: auto; margin: 10px 0; }
table { border-collapse: collapse; width: 100%; font-size: 13.5px; }
caption { text-align: left; font-weight: 700; padding: 4px 0 6px; color: #33414f; }
th { text-align: left; vertical-align: bottom; background: #eef2f6; color: #33414f;
  font-weight: 700; padding: 6px 6px; border-bottom: 1px solid var(--line); }
td { padding: 5px 6px; border-bottom: 1px solid #edf0f3; vertical-align: top; }
tbody tr:nth-child(even) td { background: #fafbfc; }
th.num { text-align: right; }
td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
td.wide { min-width: 230px; } .nowrap { white-space: nowrap; }
td .id { color: #8a96a3; font-size: 12px; }
.badge { display: inline-block; background: #fde6d3; color: #8c3a00; border-radius: 4px;
  font-size: 11px; padding: 0 5px; margin-left: 4px; }
.badge.alert { background: #fbe3e1; color: #b2261d; }
.neg { color: #b2261d; } .pos { color: #1b7a3a; }
footer { color: var(--muted); font-size: 12.5px; text-align: center; padding: 0 0 30px; }
@media print { body { background: #fff; } nav { display: none; }
  section { border: none; page-break-inside: avoid; } }
"""

SECTION_BUILDERS: tuple[tuple[str, Callable[[Marts], Section]], ...] = (
    ("ABC-XYZ matrix", section_abc_xyz),
    ("Whale curve", section_whale),
    ("Attractiveness × QRC matrix", section_matrix),
    ("Visit plan utilisation", section_reps),
    ("Segment migrations", section_migrations),
    ("Accounts to visit", section_visits),
    ("At-risk accounts", section_at_risk),
    ("Data behind the report", section_data),
)


@dataclass
class Report:
    html: str
    sections: list[Section] = field(default_factory=list)

    @property
    def unavailable(self) -> list[Section]:
        return [s for s in self.sections if s.note]


def version_label(db: Path, m: Marts | None = None) -> str:
    """The published version id, a kept version's id, marts._version, or the file's date."""
    from kam import publish

    try:
        if (cur := publish.current_version(db)) is not None:
            return cur.id
    except OSError:
        pass
    if re.fullmatch(r"\d{8}T\d{12}Z", db.parent.name) and db.parent.parent.name == "versions":
        return db.parent.name
    if m is not None and m.has("marts._version"):
        row = m.one("select * from marts._version limit 1")
        if row:
            return str(next(iter(row.values())))
    mtime = datetime.fromtimestamp(db.stat().st_mtime, UTC)
    return f"unpublished build of {mtime:%Y-%m-%d %H:%M} UTC"


def build_report(m: Marts, db: Path, log: Log = lambda s: None) -> Report:
    cards, facts = headline(m)
    sections: list[Section] = []
    for label, builder in SECTION_BUILDERS:
        t0 = time.perf_counter()
        try:
            sec = builder(m)
        except duckdb.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            dummy = builder.__name__.removeprefix("section_").replace("_", "-")
            sec = not_available(dummy, label, "", f"the query failed ({first})")
        sections.append(sec)
        log(f"    {label:<30} {sec.progress}  ({time.perf_counter() - t0:.1f} s)")
    as_of = facts.get("as_of_date")
    window = facts.get("window_start_date")
    meta = [f"As of <b>{esc(as_of or 'unknown')}</b>"]
    if window and as_of:
        meta.append(f"trailing window {esc(window)} – {esc(as_of)}")
    meta.append(f"warehouse version <b>{esc(version_label(db, m))}</b>")
    meta.append("amounts in GBP")
    nav = "".join(f'<a href="#{esc(s.key)}">{esc(s.title)}</a>' for s in sections)
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    page = f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="kam-as-of-date" content="{esc(as_of or "")}">
<title>Portfolio review as of {esc(as_of or "unknown")}</title>
<style>{CSS}</style>
</head>
<body>
<header>
<h1>Portfolio review</h1>
<div class="meta">{" · ".join(meta)}</div>
</header>
<nav>{nav}</nav>
<main>
{cards}
{"".join(s.html() for s in sections)}
</main>
<footer>Generated {esc(generated)} by <code>python -m kam report</code> from {esc(db.name)}
(read-only). Every number comes from the marts of schema <code>marts</code>; definitions in the
warehouse documentation (<code>make docs</code>).</footer>
</body>
</html>
"""
    return Report(page, sections)


def open_marts(db: Path) -> duckdb.DuckDBPyConnection:
    """connect_readonly with one-line errors that say what to do."""
    from kam.readers import connect_readonly

    if not db.is_file():
        raise ReportError(
            f"no warehouse at {db}: run `make run` first (or pass --db / set KAM_DUCKDB_PATH)"
        )
    try:
        return connect_readonly(db)
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "lock" in first.lower():
            raise ReportError(
                f"{db} is being written by another process (a build?): wait for it to finish, "
                "or point --db at the published warehouse"
            ) from exc
        raise ReportError(
            f"cannot open {db} read-only ({first}): rebuild it with `make run`"
        ) from exc


def write_atomically(out: Path, content: str) -> None:
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(content)
            os.chmod(tmp, 0o644)
            os.replace(tmp, out)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ReportError(
            f"cannot write the report to {out} ({exc.strerror or exc}): pass --out with a "
            "writable path"
        ) from exc


def render_report(db: Path, out: Path | None = None, log: Log = print) -> Report:
    """Read the marts of `db` (read-only) and write the HTML report to `out`; returns the report."""
    t0 = time.perf_counter()
    db = Path(db)
    out = Path(out) if out is not None else PROJECT_DIR / DEFAULT_OUT
    log(f"Portfolio review from {db}")
    con = open_marts(db)
    try:
        m = Marts(con)
        if not any(t.startswith("marts.") for t in m.tables):
            raise ReportError(
                f"{db} has no marts (schema marts is empty): build it with `make run`"
            )
        report = build_report(m, db, log)
    finally:
        con.close()
    write_atomically(out, report.html)
    size = out.stat().st_size / 1024
    missing = len(report.unavailable)
    log(
        f"Report written to {out} ({size:,.0f} KB, {len(report.sections)} sections"
        + (f", {missing} not available" if missing else "")
        + f") in {time.perf_counter() - t0:.1f} s: open it in a browser"
    )
    return report


def _say(msg: str) -> None:
    print(msg if msg.startswith(" ") else f"==> {msg}", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kam.report", description="Render the portfolio review (HTML)."
    )
    parser.add_argument(
        "--db", help="warehouse file (default: KAM_DUCKDB_PATH or " + DEFAULT_DB + ")"
    )
    parser.add_argument("--out", help=f"HTML file to write (default: {DEFAULT_OUT})")
    args = parser.parse_args(argv)
    db = Path(args.db or os.environ.get("KAM_DUCKDB_PATH") or DEFAULT_DB)
    if not db.is_absolute() and not args.db:
        db = PROJECT_DIR / db
    try:
        render_report(db, Path(args.out) if args.out else None, log=_say)
    except ReportError as exc:
        print(f"ERROR: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        print("ERROR: interrupted", file=sys.stderr, flush=True)
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
