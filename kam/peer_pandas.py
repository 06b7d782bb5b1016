"""The benchmark's peer: the headline metrics with pandas, as an analyst would in a notebook.

`python -m kam.peer_pandas --landing <folder> --out accounts.parquet` reads the same landing
files as the warehouse (pyarrow for Parquet, pandas for CSV, every column as text) and computes,
per account, as of the last invoice date (the warehouse's rule: the 99.9th percentile of the
dates plus var max_future_days caps it):

- net revenue over the trailing 12 months (exactly 12 month-long periods ending on the as-of
  date), in GBP;
- ABC on that revenue (80 / 95 % of the cumulative positive revenue, by the share held by the
  accounts with a strictly larger revenue) and XYZ (coefficient of variation of the monthly
  revenue over the window's months since the first purchase, months without purchase at 0;
  'new' for a history shorter than 3 months);
- gross margin, cost of sales (rep time, travel time and unpaid services at the rep's cost per
  minute of practical capacity, travel expenses, order handling per invoice, discounts of won
  deals; unknown when a component is unknown) and net contribution over the 12 calendar months
  ending with the as-of month (fct_account_profitability's trailing_12m period).

The data-quality rules that decide which sales lines count are the warehouse's (unparseable
or missing values, adjustments, exact duplicates, conflicting keys, orphan keys, unknown
currencies, dates out of range), written the pandas way; the other entities get the simple
cleaning an analyst would do (keys trimmed and upper-cased, exact duplicate rows dropped, rows
without key or date dropped). Known differences with the warehouse are listed in
benchmarks/README.md and checked by tests_py/test_bench.py. Parameters are the defaults of
dbt_project.yml, read from it.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from kam.contract import PROJECT_DIR

SEEDS = PROJECT_DIR / "seeds"


def params() -> dict:
    return yaml.safe_load((PROJECT_DIR / "dbt_project.yml").read_text())["vars"]


# --- reading ------------------------------------------------------------------------------------


def read_entity(landing: Path, entity: str) -> pd.DataFrame | None:
    """Every file of the entity, as text, with the file name and row number; None if absent."""
    files = sorted(
        p
        for p in landing.iterdir()
        if p.name.startswith(entity)
        and p.name[len(entity) :][:1] in (".", "_")
        and p.name.endswith((".csv", ".csv.gz", ".parquet"))
    )
    frames = []
    for f in files:
        if f.name.endswith(".parquet"):
            df = pd.read_parquet(f).astype(str)
        else:
            df = pd.read_csv(f, dtype=str, keep_default_na=False, na_values=[""])
        df["_file"], df["_row"] = f.name, np.arange(1, len(df) + 1)
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if frames else None


def code(s: pd.Series) -> pd.Series:
    """Trimmed, inner whitespace collapsed, NFC, upper case; empty is missing."""
    out = s.str.normalize("NFC").str.strip().str.replace(r"\s+", " ", regex=True).str.upper()
    return out.mask(out == "")


def number(s: pd.Series) -> pd.Series:
    return pd.to_numeric(s.str.strip(), errors="coerce").round(4)


def date(s: pd.Series) -> pd.Series:
    return pd.to_datetime(s.str.strip(), errors="coerce", format="ISO8601").dt.normalize()


# --- sales lines --------------------------------------------------------------------------------


def clean_sales_lines(landing: Path, p: dict) -> tuple[pd.DataFrame, pd.Timestamp]:
    raw = read_entity(landing, "sales_lines")
    df = pd.DataFrame(
        {
            "file": raw["_file"],
            "row": raw["_row"],
            "invoice_id": code(raw["invoice_id"]),
            "line_number": pd.to_numeric(raw["line_number"].str.strip(), errors="coerce"),
            "account_id": code(raw["account_id"]),
            "product_id": code(raw["product_id"]),
            "rep_id": code(raw["rep_id"]),
            "invoice_date": date(raw["invoice_date"]),
            "quantity": number(raw["quantity"]),
            "unit_price": number(raw["unit_price"]),
            "discount_amount": number(raw["discount_amount"]).fillna(0),
            "currency": code(raw["currency"]).fillna(p["reporting_currency"]),
            "document_type": raw["document_type"].str.strip().str.lower().fillna("invoice"),
            "product_family": raw["product_family"]
            .str.strip()
            .str.replace(r"\s+", " ", regex=True),
        }
    )
    present = raw[["line_number", "discount_amount"]].apply(
        lambda c: c.str.strip().fillna("") != ""
    )
    bad_parse = (present["line_number"] & df["line_number"].isna()) | (
        present["discount_amount"] & number(raw["discount_amount"]).isna()
    )
    # a quantity or price that is not 0 but rounds to 0 (0.00004) is quarantined, not made free
    for c in ("quantity", "unit_price"):
        nonzero = raw[c].str.strip().str.contains(r"^[^eE]*[1-9]", na=False)
        bad_parse |= nonzero & (df[c] == 0)
    df.loc[df["document_type"] == "credit_note", "quantity"] = -df["quantity"].abs()
    # a duplicate file (same bytes as an earlier one) is excluded whole
    digests = {
        f: hashlib.sha256((landing / f).read_bytes()).hexdigest() for f in raw["_file"].unique()
    }
    seen: set[str] = set()
    duplicate_files = set()
    for f in sorted(digests):
        if digests[f] in seen:
            duplicate_files.add(f)
        seen.add(digests[f])
    ok = (
        ~df["file"].isin(duplicate_files)
        & df["invoice_id"].notna()
        & df["account_id"].notna()
        & df["product_id"].notna()
        & df["invoice_date"].notna()
        & df["quantity"].notna()
        & df["unit_price"].notna()
        & ~bad_parse
        & df["document_type"].isin(["invoice", "credit_note"])
        & (df["unit_price"] >= 0)
        & (df["discount_amount"] >= 0)
        & (df["discount_amount"] <= (df["quantity"] * df["unit_price"]).abs())
        & ~((df["quantity"] < 0) & (df["document_type"] == "invoice"))
        & (df["invoice_date"] >= pd.Timestamp(p["min_valid_date"]))
    )
    df = df[ok].sort_values(["file", "row"])
    # the as-of date: the last invoice date, ignoring typos far beyond the 99.9th percentile
    dates = np.sort(df["invoice_date"].to_numpy())
    p999 = pd.Timestamp(dates[int(np.floor(0.999 * (len(dates) - 1)))])
    cap = p999 + pd.Timedelta(days=int(p["max_future_days"]))
    as_of = df.loc[df["invoice_date"] <= cap, "invoice_date"].max()
    # cross-row rules: exact duplicates (later copies), keys delivered with different values
    values = [c for c in df.columns if c not in ("file", "row")]
    df = df[~df.duplicated(subset=values, keep="first")]
    numbered = df[df["line_number"].notna()]
    versions = numbered.groupby(["invoice_id", "line_number"])["row"].transform("size")
    conflicting = numbered.index[versions > 1]
    df = df.drop(conflicting)
    # references
    accounts = read_entity(landing, "accounts")
    if accounts is not None:
        df = df[df["account_id"].isin(set(code(accounts["account_id"]).dropna()))]
    products = read_entity(landing, "products")
    npc = pd.read_csv(SEEDS / "non_product_codes.csv", dtype=str)
    npc["product_id"] = npc["product_id"].str.upper()
    if products is not None:
        known = set(code(products["product_id"]).dropna()) | set(npc["product_id"])
        df = df[df["product_id"].isin(known)]
    rates = pd.read_csv(SEEDS / "currency_rates.csv", parse_dates=["valid_from_date"])
    first_rate = rates.groupby("currency")["valid_from_date"].min()
    df = df[df["invoice_date"] >= df["currency"].map(first_rate)]  # NaT (unknown) drops too
    df = df[df["invoice_date"] <= as_of + pd.Timedelta(days=int(p["max_future_days"]))]
    return df, as_of


def price_lines(df: pd.DataFrame, landing: Path, p: dict) -> pd.DataFrame:
    """Amounts in GBP, line category, revenue flag, cost of goods and gross margin per line."""
    rates = pd.read_csv(SEEDS / "currency_rates.csv", parse_dates=["valid_from_date"])
    rates["currency"] = rates["currency"].astype(df["currency"].dtype)
    df = pd.merge_asof(
        df.sort_values("invoice_date"),
        rates.sort_values("valid_from_date"),
        left_on="invoice_date",
        right_on="valid_from_date",
        by="currency",
    )
    sign = np.sign(df["quantity"])
    rate = df["rate_to_reporting"]
    df["net_amount"] = (
        (df["quantity"] * df["unit_price"] - sign * df["discount_amount"]) * rate
    ).round(4)
    npc = pd.read_csv(SEEDS / "non_product_codes.csv", dtype={"product_id": str})
    npc["product_id"] = npc["product_id"].str.upper()
    npc = npc.set_index("product_id")
    products = read_entity(landing, "products")
    unit_cost, family, services = pd.Series(dtype=float), pd.Series(dtype="string"), set()
    if products is not None:
        products = products.assign(product_id=code(products["product_id"])).drop_duplicates(
            "product_id"
        )
        products = products.set_index("product_id")
        unit_cost = number(products["unit_cost"])
        family = products["product_family"].str.strip()
        services = set(products.index[products["is_service"].str.strip().str.lower() == "true"])
    category = df["product_id"].map(npc["line_category"])
    df["line_category"] = category.fillna(
        df["product_id"].isin(services).map({True: "service", False: "product"})
    )
    not_revenue = npc.index[npc["counts_as_revenue"].astype(str).str.lower() == "false"]
    df["is_revenue_line"] = ~df["product_id"].isin(not_revenue)
    df["net_revenue"] = df["net_amount"].where(df["is_revenue_line"], 0.0)
    margins = pd.read_csv(SEEDS / "family_margin_rates.csv").set_index("product_family")
    resolved = df["product_id"].map(family).fillna(df["product_family"])
    uc, mr = df["product_id"].map(unit_cost), resolved.map(margins["margin_rate"])
    not_applicable = ~df["is_revenue_line"] | (df["line_category"] == "discount")
    # a margin rate prices cost from revenue: goods given free (price 0 or discounted to 0) have
    # none, so their cost is unknown
    by_rate = mr.notna() & (df["net_amount"] != 0)
    df["cost_known"] = not_applicable | uc.notna() | by_rate
    df["free_unknown_cost"] = (df["net_revenue"] == 0) & ~df["cost_known"]
    df["priced_unknown_cost"] = (df["net_revenue"] != 0) & ~df["cost_known"]
    df["gross_margin"] = np.select(
        [not_applicable, uc.notna(), by_rate],
        [
            df["net_revenue"],
            (df["net_amount"] - df["quantity"] * uc).round(4),
            (df["net_amount"] * mr).round(4),
        ],
        default=np.nan,
    )
    df["month"] = df["invoice_date"].dt.to_period("M").dt.to_timestamp()
    return df


# --- the headline metrics -----------------------------------------------------------------------


def abc(revenue: pd.Series, p: dict) -> pd.Series:
    positive = revenue[revenue > 0]
    # the share held by the accounts with a strictly larger revenue (equal revenues share a class)
    by_value = positive.groupby(positive).sum().sort_index(ascending=False)
    larger = by_value.cumsum().shift(fill_value=0.0)
    prior = (positive.map(larger) / positive.sum()).reindex(revenue.index)
    return pd.Series(
        np.select(
            [revenue <= 0, prior < p["abc_a_cutoff"], prior < p["abc_b_cutoff"]],
            ["none", "A", "B"],
            default="C",
        ),
        index=revenue.index,
    )


def window_periods(as_of: pd.Timestamp, months: int) -> pd.DataFrame:
    """Month-long periods ending on the as-of date (calendar months when it is a month end)."""
    month_end = as_of == as_of + pd.offsets.MonthEnd(0)
    ends = []
    for k in range(months + 1):
        e = as_of - pd.DateOffset(months=k)
        ends.append(e + pd.offsets.MonthEnd(0) if month_end else e)
    return pd.DataFrame(
        {
            "period_index": range(months),
            "start": [ends[k + 1] + pd.Timedelta(days=1) for k in range(months)],
            "end": ends[:months],
        }
    )


def segments(lines: pd.DataFrame, as_of: pd.Timestamp, p: dict) -> pd.DataFrame:
    months = int(p["window_months"])
    periods = window_periods(as_of, months)
    start = periods["start"].min()
    upto = lines[lines["invoice_date"] <= as_of]
    first = upto.groupby("account_id")["invoice_date"].min()
    window = upto[upto["invoice_date"] >= start].copy()
    bins = pd.IntervalIndex.from_arrays(periods["start"], periods["end"], closed="both")
    window["period_index"] = periods["period_index"].to_numpy()[
        bins.get_indexer(window["invoice_date"])
    ]
    monthly = window.groupby(["account_id", "period_index"])["net_revenue"].sum()
    invoices = window[window["document_type"] == "invoice"]
    purchase_months = invoices.groupby("account_id")["period_index"].nunique()
    out = pd.DataFrame(index=first.index)
    out["net_revenue_12m"] = window.groupby("account_id")["net_revenue"].sum()
    out["net_revenue_12m"] = out["net_revenue_12m"].fillna(0.0)
    out["abc_class"] = abc(out["net_revenue_12m"], p)
    first_index = pd.Series(
        periods["period_index"].to_numpy()[bins.get_indexer(first)], index=first.index
    )
    n = np.where(first < start, months, np.minimum(months, first_index + 1))
    sums = monthly.groupby("account_id").sum().reindex(out.index, fill_value=0.0)
    squares = (monthly**2).groupby("account_id").sum().reindex(out.index, fill_value=0.0)
    mean = sums / n
    std = np.sqrt(np.maximum(squares / n - mean**2, 0))
    out["coefficient_of_variation"] = (std / mean).where(mean > 0)
    cv = out["coefficient_of_variation"]
    new = first > as_of - pd.DateOffset(months=int(p["min_history_months"]))
    out["xyz_class"] = np.select(
        [purchase_months.reindex(out.index).fillna(0) == 0, new, ~(mean > 0),
         cv < p["xyz_x_cutoff"], cv < p["xyz_y_cutoff"]],
        ["none", "new", "none", "X", "Y"],
        default="Z",
    )  # fmt: skip
    return out


def cost_of_sales(landing: Path, lines: pd.DataFrame, as_of: pd.Timestamp, p: dict) -> pd.DataFrame:
    """Margin, cost of sales and contribution over the 12 calendar months ending with as-of's."""
    start = (as_of - pd.DateOffset(months=11)).to_period("M").to_timestamp()
    sales = lines[(lines["month"] >= start) & (lines["month"] <= as_of)]
    sales = sales.assign(
        known_revenue=sales["net_revenue"].where(sales["cost_known"], 0.0),
        known_margin=sales["gross_margin"].where(sales["is_revenue_line"]),
        invoice=sales["invoice_id"].where(sales["document_type"] == "invoice"),
    )
    per = sales.groupby("account_id").agg(
        net_revenue=("net_revenue", "sum"),
        known_revenue=("known_revenue", "sum"),
        known_margin=("known_margin", "sum"),
        free_unknown_cost=("free_unknown_cost", "sum"),
        priced_unknown_cost=("priced_unknown_cost", "sum"),
        invoices=("invoice", "nunique"),
    )
    coverage = per["known_revenue"] / per["net_revenue"].where(per["net_revenue"] != 0)
    # no revenue to weigh coverage by: known when no priced line's cost is unknown
    per["gross_margin_12m"] = np.where(
        per["net_revenue"] == 0,
        per["known_margin"].where(per["priced_unknown_cost"] == 0),
        np.where(coverage >= p["min_cost_coverage"],
                 per["known_margin"] * per["net_revenue"] / per["known_revenue"], np.nan),
    )  # fmt: skip
    # goods given free at an unknown cost: the margin is unknown by that cost
    per["gross_margin_12m"] = per["gross_margin_12m"].where(per["free_unknown_cost"] == 0)
    # rep cost per minute of practical capacity
    reps = read_entity(landing, "reps")
    cpm = pd.Series(dtype=float)
    if reps is not None:
        reps = (
            reps.assign(rep_id=code(reps["rep_id"])).drop_duplicates("rep_id").set_index("rep_id")
        )
        days = number(reps["working_days_per_year"]).fillna(p["default_working_days_per_year"])
        hours = number(reps["working_hours_per_day"]).fillna(p["default_working_hours_per_day"])
        capacity = days * hours * 60 * p["practical_capacity_share"]
        cpm = number(reps["loaded_annual_cost"]) / capacity.where(capacity != 0)
    acts = read_entity(landing, "activities")
    costs = pd.DataFrame(index=per.index)
    if acts is not None:
        a = pd.DataFrame(
            {
                "activity_id": code(acts["activity_id"]),
                "account_id": code(acts["account_id"]),
                "rep_id": code(acts["rep_id"]),
                "date": date(acts["activity_date"]),
                "type": acts["activity_type"].str.strip().str.lower(),
                "minutes": number(acts["duration_minutes"]),
                "travel_minutes": number(acts["travel_minutes"]).fillna(0),
                "travel_cost": number(acts["travel_cost"]),
                "billable": acts["is_billable"].str.strip().str.lower() == "true",
            }
        ).dropna(subset=["activity_id", "account_id", "date"])
        a = a.drop_duplicates().drop_duplicates("activity_id", keep=False)
        a = a[(a["date"] >= start) & (a["date"] <= as_of)]
        a["cpm"] = a["rep_id"].map(cpm)
        unpaid = a["type"].isin(p["unpaid_service_activity_types"]) & ~a["billable"]
        a["rep_time_cost"] = (a["minutes"] * a["cpm"]).round(4).where(~unpaid, 0.0)
        a["unpaid_service_cost"] = (a["minutes"] * a["cpm"]).round(4).where(unpaid, 0.0)
        a["travel_time_cost"] = (a["travel_minutes"] * a["cpm"]).round(4)
        a["travel_expenses"] = a["travel_cost"].where(
            a["travel_cost"].notna(), a["travel_minutes"].eq(0) * 0.0
        )
        a["unknown"] = a["cpm"].isna() | a["minutes"].isna() | a["travel_expenses"].isna()
        summed = ["rep_time_cost", "unpaid_service_cost", "travel_time_cost", "travel_expenses"]
        costs = a.groupby("account_id")[[*summed, "unknown"]].sum()
    opps = read_entity(landing, "opportunities")
    won = pd.Series(dtype=float)
    if opps is not None:
        o = pd.DataFrame(
            {
                "account_id": code(opps["account_id"]),
                "closed": date(opps["closed_date"]),
                "status": opps["status"].str.strip().str.lower(),
                "discount": number(opps["discount_amount"]).fillna(0),
            }
        )
        o = o[(o["status"] == "won") & (o["closed"] >= start) & (o["closed"] <= as_of)]
        won = o.groupby("account_id")["discount"].sum()
    out = per.join(costs, how="outer")
    out = out.reindex(out.index.union(won.index))  # deals won without sales or visits
    components = out[
        ["rep_time_cost", "unpaid_service_cost", "travel_time_cost", "travel_expenses"]
    ]
    order_handling = out["invoices"].fillna(0) * p["order_handling_cost"]
    total = components.fillna(0).sum(axis=1) + order_handling + won.reindex(out.index).fillna(0)
    out["cost_of_sales_12m"] = total.where(out["unknown"].fillna(0) == 0)
    # no sales in the period: nothing earned, a known zero margin
    out["gross_margin_12m"] = out["gross_margin_12m"].where(out["net_revenue"].notna(), 0.0)
    out["net_contribution_12m"] = out["gross_margin_12m"] - out["cost_of_sales_12m"]
    return out[["gross_margin_12m", "cost_of_sales_12m", "net_contribution_12m"]]


def headline_metrics(landing: str | Path) -> pd.DataFrame:
    landing, p = Path(landing), params()
    lines, as_of = clean_sales_lines(landing, p)
    lines = price_lines(lines, landing, p)
    seg = segments(lines, as_of, p)
    prof = cost_of_sales(landing, lines, as_of, p)
    out = seg.join(prof, how="outer").rename_axis("account_id").reset_index()
    # served but never bought: no revenue, no class
    out["net_revenue_12m"] = out["net_revenue_12m"].fillna(0.0)
    out[["abc_class", "xyz_class"]] = out[["abc_class", "xyz_class"]].fillna("none")
    out["as_of_date"] = as_of
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m kam.peer_pandas", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--landing", required=True)
    parser.add_argument("--out", required=True, help="Parquet file of the per-account metrics")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    out = headline_metrics(args.landing)
    out.to_parquet(args.out, index=False)
    print(f"{len(out):,} accounts in {time.perf_counter() - t0:.1f} s -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
