"""Deterministic, seeded demo data for the key-account-management warehouse.

The generator writes one landing file per entity of the input contract
(`models/staging/_landing__sources.yml`), with exactly the contract's columns in order:
`<entity>.csv` (UTF-8, header, comma, `.` decimal mark, ISO dates, `true`/`false`, empty for
null) or `<entity>.parquet` (every column a string, nulls as null). The same seed and arguments
always give byte-identical files: all randomness comes from numpy generators seeded from
`seed`, nothing reads the wall clock, and every table is sorted before it is written.

The model of the data
---------------------
*A B2B distributor of industrial supplies* (13 product families, one of them services) sells to
a portfolio of company accounts over 36 calendar months ending at `end_date`.

Accounts (the portfolio) are drawn first, as columns of numpy arrays:

* a lifecycle: stable, growing (yearly growth 15-60%), declining (revenue and order frequency
  fall to 15-45% in the last 6 months: at risk), lost (last purchase 6-18 months before
  `end_date`, status still `client`), new (first purchase in the last 3 months), former
  (status `former`, stopped buying more than 18 months ago or before the window) and prospect
  (status `prospect`, no sales, large potential);
* an annual revenue level, log-normal with sigma 1.5 (Pareto-shaped: the top 20% of accounts
  carry about three quarters of revenue); at demo sizes one "breadwinner" carries ~11%;
* a tier by revenue rank among buying accounts: key (top 10%), mid (next 30%), small;
* a buying pattern: regular (1-4 orders every month, little noise: XYZ class X), intermediate
  (Poisson orders) or erratic (a few large, lumpy orders a year); large accounts are more
  often regular, small ones more often erratic;
* a monthly seasonality (August and December low, autumn high) with an account amplitude;
* groups: ~2.5% of accounts are group heads and ~10% are subsidiaries whose
  `parent_account_id` points to a head (and whose name extends the head's name);
* firmographics: sector, country (86% GB, then IE, FR, DE, NL, BE, ES, US), region (five UK
  regions and International), size band, annual potential (mostly 1.5-10x what they buy from
  us, some saturated, ~12% unknown), growth of the potential, market position, credit rating
  and the flags is_strategic (~3%), is_renowned (~3%), has_strict_quality_requirements (~5%).

Reps (about one per 85 accounts, at least 8): ~11% managers, ~20% KAMs (region "National",
owning the key and strategic accounts) and field reps spread over the regions in proportion
to their accounts, owning the other accounts of their region.

Sales lines are then generated per chunk of accounts (a single chunk at demo size): an
(accounts x months) matrix of order counts, one invoice per order on a working day of the
month, 1 + Poisson(mu) lines per invoice (mu grows with the account's size and is calibrated
so that the scale's line count is met), a product drawn from the account's preferred families
and, inside the family, from a Zipf popularity, a price near list price (key accounts get
better prices), a quantity that makes the line worth its share of the order, and discounts
(price-driven accounts get frequent 8-22% discounts, others rarely). Non-GB accounts are
invoiced in EUR or USD. About 1.2% of lines are credited later by a credit note (`CN...`,
negative quantity, net unit price), and a few invoices of poorly rated accounts are written off
by an `adjustment` document (`ADJ...`).

Contacts (0-8 per account: key accounts 3-8 covering at least three job functions, small and
price-driven ones 0-1), activities over the last two years (rates by tier and type; demanding
accounts with strict quality requirements get a lot of unpaid technical support; some internal
meetings without account), opportunities (a steady flow on partnership accounts, won deals with
large discounts against a competitor, lost deals with a reason, open ones without a closed
date), relationship assessments (~40% of client accounts, 1-3 rounds, some older than a year),
account plans for key and strategic accounts and their actions (on time, late or not done)
are generated from the same account arrays in the same chunks.

Messy cases (`messy=True`, deterministic, see `MESSY_RATES`): exact duplicate lines, zero unit
prices, orphan and empty account ids, stray whitespace and mixed case in product_id, doubled
whitespace and NFD-decomposed accented account names, "n/a" quantities and impossible dates.

Scales: `small` (2,000 accounts, ~300k lines, CSV), `medium` (150,000 accounts, ~6M lines,
Parquet) and `large` (1.5M accounts, ~60M lines, Parquet). Every scale streams: entities are
generated per chunk of accounts (~300k sales lines) and appended to the files (Parquet row
groups of 1M rows), so memory stays flat whatever the scale.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from kam.contract import load_contract

# --------------------------------------------------------------------------------------------
# Settings
# --------------------------------------------------------------------------------------------

ENTITIES = (
    "sales_lines",
    "accounts",
    "products",
    "reps",
    "contacts",
    "activities",
    "opportunities",
    "relationship_assessments",
    "account_plans",
    "plan_actions",
)


@dataclass(frozen=True)
class Scale:
    accounts: int
    lines_per_account: float
    products: int
    fmt: str


SCALES = {
    "small": Scale(accounts=2_000, lines_per_account=150.0, products=500, fmt="csv"),
    "medium": Scale(accounts=150_000, lines_per_account=40.0, products=800, fmt="parquet"),
    "large": Scale(accounts=1_500_000, lines_per_account=40.0, products=800, fmt="parquet"),
}
FORMATS = ("csv", "parquet")
#: Sales lines generated per chunk of accounts (bounds memory; the demo size is one chunk).
CHUNK_LINES = 300_000
#: Rows per Parquet row group, and the buffer size closing a row group of the other entities.
ROW_GROUP_ROWS = 1_000_000
ROW_GROUP_BYTES = 32 * 2**20
N_MONTHS = 36
ACTIVITY_DAYS = 730

#: Share of sales lines affected by each messy case when messy=True (disjoint cases).
MESSY_RATES = {
    "duplicate_line": 0.002,
    "zero_unit_price": 0.001,
    "orphan_account_id": 0.001,
    "empty_account_id": 0.0005,
    "product_id_whitespace": 0.002,
    "product_id_case": 0.001,
    "account_name_whitespace": 0.001,
    "quantity_not_numeric": 0.0005,
    "impossible_date": 0.0005,
}
#: Share of lines (and of accounts) with an accented name whose name is written NFD-decomposed.
NFD_RATE = 0.01

# Lifecycles, buying patterns and tiers (codes of the portfolio arrays).
STABLE, GROWING, DECLINING, LOST, NEW, FORMER, PROSPECT = range(7)
LIFECYCLE_P = (0.52, 0.15, 0.08, 0.06, 0.04, 0.05, 0.10)
REGULAR, INTERMEDIATE, ERRATIC = range(3)
KEY, MID, SMALL = range(3)
STATUSES = ("client", "prospect", "former")
INVOICE, CREDIT_NOTE, ADJUSTMENT = range(3)
DOCUMENT_TYPES = ("invoice", "credit_note", "adjustment")
DOCUMENT_PREFIXES = ("INV", "CN", "ADJ")

# Monthly seasonality, January..December (mean 1).
SEASON = np.array([0.88, 0.96, 1.08, 1.02, 1.04, 1.00, 0.92, 0.78, 1.06, 1.12, 1.08, 1.06])
SEASON = SEASON / SEASON.mean()

COUNTRIES = ("GB", "IE", "FR", "DE", "NL", "BE", "ES", "US")
COUNTRY_P = (0.86, 0.03, 0.025, 0.025, 0.015, 0.01, 0.01, 0.025)
CURRENCIES = ("GBP", "EUR", "USD")
COUNTRY_CURRENCY = np.array([0, 1, 1, 1, 1, 1, 1, 2])
FX_PER_GBP = np.array([1.0, 1.17, 1.27])
LEGAL_FORMS = {
    "GB": (" Ltd", " Limited", " plc", " Ltd"),
    "IE": (" Ltd", " DAC"),
    "FR": (" SAS", " SA", " SARL"),
    "DE": (" GmbH", " AG", " GmbH & Co. KG"),
    "NL": (" B.V.", " N.V."),
    "BE": (" SA/NV", " BV"),
    "ES": (" S.L.", " S.A."),
    "US": (" Inc.", " LLC", " Corp."),
}
REGIONS = (
    "London & South East",
    "Midlands",
    "North",
    "Scotland",
    "South West & Wales",
    "International",
)
UK_REGION_P = (0.34, 0.20, 0.24, 0.10, 0.12)
INTERNATIONAL = 5

SECTORS = (
    ("Manufacturing", 0.22, 0.03, (" Engineering", " Manufacturing", " Components", " Industries")),
    ("Food & Beverage", 0.11, 0.08, (" Foods", " Dairies", " Bakeries", " Brewing")),
    ("Construction", 0.12, 0.01, (" Construction", " Builders", " Developments")),
    ("Automotive", 0.07, 0.06, (" Motors", " Automotive", " Vehicle Systems")),
    ("Aerospace & Defence", 0.04, 0.30, (" Aerospace", " Defence Systems", " Aviation")),
    ("Pharmaceuticals", 0.04, 0.25, (" Pharma", " Laboratories", " Life Sciences")),
    ("Utilities & Energy", 0.06, 0.05, (" Energy", " Power", " Water Services")),
    ("Logistics", 0.09, 0.01, (" Logistics", " Freight", " Distribution")),
    ("Agriculture", 0.05, 0.01, (" Farms", " Agri", " Growers")),
    ("Chemicals", 0.05, 0.10, (" Chemicals", " Coatings", " Polymers")),
    ("Retail", 0.06, 0.01, (" Retail", " Stores", " Trading")),
    ("Public Sector", 0.05, 0.02, (" Estates", " Facilities", " Services")),
    ("Healthcare", 0.04, 0.15, (" Healthcare", " Medical", " Care")),
)
ROOTS = (
    "Abbott", "Ashworth", "Atlas", "Beacon", "Brennan", "Bramley", "Carrington", "Castlegate",
    "Crown", "Dalton", "Delta", "Dubois", "Evergreen", "Falcon", "Fenwick", "Fischer", "García",
    "Granite", "Greenway", "Harbour", "Hartley", "Hughes", "Ironbridge", "Jensen", "Juniper",
    "Keystone", "Kowalski", "Lakeside", "Lefèvre", "Lindqvist", "Meridian", "Millbrook", "Müller",
    "Northgate", "Novák", "Oakfield", "O'Brien", "O'Neill", "Orchard", "Patel", "Pemberton",
    "Pinnacle", "Quayside", "Ramírez", "Redwood", "Riverside", "Rossi", "Schäfer", "Sinclair",
    "Summit", "Thames", "Thornton", "Trident", "Union", "Vanguard", "Waverley", "Westfield",
    "Whitmore", "Wójcik", "York", "Zoë's", "Château", "Hale, Barker &", "Smith & Jones",
    "Søndergaard", "Björk", "Núñez", "François", "D'Arcy", 'The "Red Lion"', "Gonçalves",
    "Peña", "Brontë", "Côte", "Élan", "Hélène", "Kingsway", "Lancaster", "Mercer", "Newbury",
)  # fmt: skip
GROUP_TOKENS = ("", " Group", " UK", " Ireland", " Services", " North", " Distribution",
                " International", " Europe")  # fmt: skip
FIRST_NAMES = (
    "Zoë", "François", "José", "Chloé", "Siobhán", "Björn", "Agnès", "Renée", "Søren", "Anaïs",
    "Łukasz", "Noémie", "Seán", "Aoife", "James", "Oliver", "Amelia", "Priya", "Mohammed",
    "Sarah", "Thomas", "Emma", "David", "Laura", "Daniel", "Sophie", "Michael", "Hannah", "Ravi",
    "Grace", "Liam", "Isla", "Jack", "Olivia", "George", "Emily", "Harry", "Charlotte", "Wei",
    "Fatima", "Niamh", "Rhys", "Ana", "Marta", "Jürgen", "Inés", "Tomás", "Mariá", "Ewan", "Kate",
)  # fmt: skip
LAST_NAMES = (
    "O'Brien", "O'Connor", "D'Arcy", "Müller", "García", "Lefèvre", "Núñez", "Smith", "Jones",
    "Williams", "Taylor", "Brown", "Davies", "Evans", "Wilson", "Thomas", "Johnson", "Roberts",
    "Walker", "Wright", "Robinson", "Thompson", "White", "Hughes", "Edwards", "Green", "Hall",
    "Wood", "Harris", "Clarke", "Patel", "Khan", "Nguyen", "Kowalski", "Dubois", "Rossi",
    "Jensen", "Novák", "MacDonald", "McCarthy", "Fitzgerald", "Byrne", "Schäfer", "Ó Briain",
    "da Silva", "van der Berg", "Lloyd-Jones", "Chen", "Singh", "Åberg",
)  # fmt: skip

JOB_FUNCTIONS = ("purchasing", "technical", "management", "finance", "logistics", "user")
DECISION_ROLES = ("decision_maker", "influencer", "user", "gatekeeper")
# P(decision role | job function), rows in JOB_FUNCTIONS order.
DECISION_ROLE_P = np.array([
    [0.40, 0.30, 0.00, 0.30],
    [0.10, 0.70, 0.15, 0.05],
    [0.85, 0.15, 0.00, 0.00],
    [0.30, 0.30, 0.00, 0.40],
    [0.00, 0.30, 0.60, 0.10],
    [0.00, 0.20, 0.80, 0.00],
])  # fmt: skip
SENIORITIES = ("executive", "senior", "middle", "junior")
SENIORITY_P = np.array(
    [[0.05, 0.30, 0.45, 0.20]] * 2 + [[0.60, 0.40, 0.0, 0.0]] + [[0.05, 0.30, 0.45, 0.20]] * 3
)

ACTIVITY_TYPES = ("visit", "call", "email", "meeting", "technical_support", "consulting", "demo")
# Activities per account-year, by row: key, mid, small, prospect; columns in ACTIVITY_TYPES order.
ACTIVITY_RATES = np.array([
    [8.0, 18.0, 30.0, 3.0, 1.5, 1.0, 0.5],
    [2.5, 6.0, 10.0, 0.8, 0.5, 0.15, 0.3],
    [0.4, 2.0, 3.0, 0.1, 0.15, 0.02, 0.1],
    [1.0, 4.0, 4.0, 0.5, 0.0, 0.1, 0.8],
])  # fmt: skip
# Duration in minutes: (min, max, step) by activity type.
ACTIVITY_DURATION = np.array(
    [
        [60, 120, 15],
        [10, 30, 5],
        [5, 10, 1],
        [30, 120, 15],
        [30, 240, 15],
        [60, 480, 30],
        [45, 120, 15],
    ]
)
ACTIVITY_ONSITE_P = np.array([1.0, 0.0, 0.0, 0.5, 0.3, 0.6, 0.7])
ACTIVITY_BILLABLE_P = np.array([0.0, 0.0, 0.0, 0.0, 0.05, 0.35, 0.0])
ACTIVITY_WITH_CONTACT = np.array([True, True, True, True, False, True, True])

OPEN_STAGES = ("qualification", "proposal", "negotiation")
OPPORTUNITY_STATUSES = ("open", "won", "lost")
LOSS_REASONS = ("price", "product", "relationship", "timing", "other")
LOSS_REASON_P = (0.40, 0.15, 0.15, 0.20, 0.10)
COMPETITORS = ("Apex Industrial Supply", "Brennan & Co", "Northline Distribution", "RS Partners",
               "Würth-Hale", "Castell Tools", "MRO Direct", "L'Atelier Technique")  # fmt: skip

CRITERIA = ("trust", "responsiveness", "strategic_alignment", "satisfaction")
MARKET_POSITIONS = ("leader", "challenger", "follower", "niche")
CREDIT_RATINGS = ("AAA", "AA", "A", "BBB", "BB", "B", "CCC", "D")
CREDIT_P = np.array([0.05, 0.10, 0.21, 0.29, 0.18, 0.10, 0.05, 0.02])
SIZE_BANDS = ("small", "medium", "large", "enterprise")
ROLES = ("manager", "kam", "rep")


@dataclass(frozen=True)
class Family:
    name: str
    code: str
    median_price: float
    sigma: float
    margin: float
    weight: float
    items: tuple[str, ...]
    specs: tuple[str, ...]
    is_service: bool = False


FAMILIES = (
    Family("Fasteners", "FST", 4.0, 0.8, 0.48, 1.2, ("Hex Bolt", "Socket Screw", "Nyloc Nut",
           "Washer", "Wall Anchor", "Blind Rivet"), ("M6", "M8", "M10", "M12", "A2 Stainless",
           "Zinc Plated", "Box of 100")),
    Family("Bearings", "BRG", 35.0, 0.9, 0.34, 1.0, ("Ball Bearing", "Roller Bearing",
           "Pillow Block", "Thrust Bearing"), ("6204-2RS", "6305-ZZ", "22210 E", "UCP 205",
           "Sealed", "High Temp")),
    Family("Hydraulics", "HYD", 120.0, 0.9, 0.30, 0.9, ("Hydraulic Hose", "Gear Pump",
           "Directional Valve", "Cylinder Seal Kit", "Quick Coupling"), ("1/4\"", "3/8\"",
           "1/2\"", "250 bar", "400 bar", "ISO 4401")),
    Family("Pneumatics", "PNE", 60.0, 0.8, 0.32, 0.8, ("Air Cylinder", "Solenoid Valve",
           "FRL Unit", "Push-in Fitting", "PU Tubing"), ("8 mm", "10 mm", "12 mm", "G1/4",
           "ISO 15552", "5/2-way")),
    Family("Power Transmission", "PTR", 150.0, 0.9, 0.28, 0.6, ("V-Belt", "Roller Chain",
           "Sprocket", "Gearbox", "Flexible Coupling"), ("SPZ", "08B-1", "Taper Lock",
           "Ratio 20:1", "Size 3")),
    Family("Electrical", "ELC", 25.0, 1.0, 0.35, 1.0, ("Contactor", "MCB", "Cable Gland",
           "LED Panel", "Terminal Block", "Motor Starter"), ("3-pole", "16A", "32A", "IP68",
           "600x600", "DIN rail")),
    Family("Power Tools", "PWT", 180.0, 0.7, 0.22, 0.6, ("Cordless Drill", "Angle Grinder",
           "Impact Driver", "SDS Hammer", "Jigsaw"), ("18V", "115 mm", "Brushless", "Kit",
           "Body Only")),
    Family("Cutting Tools", "CUT", 30.0, 0.8, 0.42, 0.8, ("HSS Drill Bit", "End Mill",
           "Carbide Insert", "Hole Saw", "Tap Set"), ("6 mm", "10 mm", "TiN", "CNMG 120408",
           "Cobalt", "Set of 10")),
    Family("Safety Equipment", "SAF", 18.0, 0.8, 0.45, 1.0, ("Safety Glasses", "Hi-Vis Vest",
           "Nitrile Gloves", "Ear Defenders", "Safety Boots", "Hard Hat"), ("EN166", "Size L",
           "Box of 100", "SNR 30", "S3", "Vented")),
    Family("Lubricants", "LUB", 22.0, 0.6, 0.38, 0.7, ("Multi-purpose Grease", "Hydraulic Oil",
           "Cutting Fluid", "Chain Lube", "Penetrating Spray"), ("400 g", "5 L", "20 L",
           "ISO VG 46", "Food Grade")),
    Family("Cleaning & Hygiene", "CLN", 12.0, 0.6, 0.40, 0.6, ("Blue Roll", "Hand Cleaner",
           "Degreaser", "Absorbent Pads", "Wipes"), ("Case of 6", "5 L", "Tub", "Pack of 50",
           "Industrial")),
    Family("Packaging", "PKG", 8.0, 0.7, 0.30, 0.7, ("Stretch Film", "Packing Tape",
           "Cardboard Box", "Pallet Wrap", "Strapping Kit"), ("500 mm", "48 mm", "Double Wall",
           "Roll", "Pack of 25")),
    Family("Services", "SRV", 95.0, 0.3, 0.55, 0.25, ("Installation", "Calibration",
           "Preventive Maintenance", "Training Day", "Breakdown Call-out", "Engineering Study"),
           ("per hour", "on site", "annual contract", "per visit"), is_service=True),
)  # fmt: skip
N_SERVICES = 12


# --------------------------------------------------------------------------------------------
# Small pure helpers: formatting arrays as text
# --------------------------------------------------------------------------------------------


def _rng(seed: int, stream: int, chunk: int = 0) -> np.random.Generator:
    """An independent generator per (entity stream, chunk): adding rows to one entity never
    shifts another."""
    return np.random.default_rng([seed, stream, chunk])


def _strs(values) -> pa.Array:
    return pa.array(list(values), pa.string())


def _take(labels: pa.Array, idx: np.ndarray) -> pa.Array:
    """labels[idx]; a negative index gives null."""
    idx = np.asarray(idx, dtype=np.int64)
    neg = idx < 0
    return labels.take(pa.array(np.where(neg, 0, idx), mask=neg if neg.any() else None))


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """'ACC' + zero-padded number; a negative number gives null."""
    numbers = np.asarray(numbers, dtype=np.int64)
    neg = numbers < 0
    digits = pc.utf8_lpad(pc.cast(pa.array(np.where(neg, 0, numbers)), pa.string()), width, "0")
    out = pc.binary_join_element_wise(prefix, digits, "")
    return pc.if_else(pa.array(neg), pa.scalar(None, pa.string()), out) if neg.any() else out


def _dates(days: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    """ISO dates from days since 1970-01-01."""
    arr = pa.array(np.asarray(days, dtype=np.int32), pa.int32()).cast(pa.date32())
    out = arr.cast(pa.string())
    return _null_where(out, null)


def _fixed(values: np.ndarray, decimals: int, null: np.ndarray | None = None) -> pa.Array:
    """Fixed-point text from integers holding value * 10**decimals (exact, no float repr)."""
    v = np.asarray(values, dtype=np.int64)
    a = np.abs(v)
    whole = pc.cast(pa.array(a // 10**decimals), pa.string())
    if decimals:
        frac = pc.utf8_lpad(pc.cast(pa.array(a % 10**decimals), pa.string()), decimals, "0")
        whole = pc.binary_join_element_wise(whole, frac, ".")
    neg = v < 0
    if neg.any():
        whole = pc.if_else(pa.array(neg), pc.binary_join_element_wise("-", whole, ""), whole)
    return _null_where(whole, null)


def _ints(values: np.ndarray, null: np.ndarray | None = None) -> pa.Array:
    return _fixed(values, 0, null)


def _bools(values: np.ndarray) -> pa.Array:
    return _take(_strs(("false", "true")), np.asarray(values, dtype=np.int64))


def _null_where(arr: pa.Array, null: np.ndarray | None) -> pa.Array:
    if null is None or not np.any(null):
        return arr
    return pc.if_else(pa.array(np.asarray(null, dtype=bool)), pa.scalar(None, pa.string()), arr)


def _replace(arr: pa.Array, mask: np.ndarray, fn) -> pa.Array:
    """Replace the masked values by fn(old value) (a small Python loop over few rows)."""
    idx = np.flatnonzero(mask)
    if idx.size == 0:
        return arr
    old = arr.take(pa.array(idx)).to_pylist()
    new = [fn(i, v) for i, v in zip(idx.tolist(), old, strict=True)]
    return pc.replace_with_mask(arr, pa.array(mask), pa.array(new, pa.string()))


def _weekday(days: np.ndarray, lo: np.ndarray, hi: np.ndarray) -> np.ndarray:
    """Move weekend days to the previous Friday (or the next Monday when that leaves [lo, hi])."""
    dow = (days + 3) % 7  # 1970-01-01 was a Thursday; 0 = Monday
    back = np.where(dow == 5, 1, np.where(dow == 6, 2, 0))
    fwd = np.where(dow == 5, 2, np.where(dow == 6, 1, 0))
    out = np.where(days - back >= lo, days - back, days + fwd)
    return np.minimum(out, hi)


def _group_rank(keys: np.ndarray) -> np.ndarray:
    """0-based position of each element within its run of equal consecutive keys."""
    n = keys.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    start = np.r_[True, keys[1:] != keys[:-1]]
    first = np.maximum.accumulate(np.where(start, np.arange(n), 0))
    return np.arange(n) - first


def _pick(rng: np.random.Generator, p: np.ndarray, n: int) -> np.ndarray:
    """Row-wise categorical draw: p is (n, k) or (k,) probabilities."""
    cum = np.cumsum(np.broadcast_to(p, (n, np.shape(p)[-1])), axis=1)
    u = rng.random(n) * cum[:, -1]
    return np.minimum((u[:, None] >= cum).sum(axis=1), cum.shape[1] - 1)


def _table(entity: str, cols: dict[str, pa.Array], n: int) -> pa.Table:
    """The columns in the contract's order; a contract column not generated is all null."""
    names = load_contract()[entity].column_names
    arrays = [cols[c] if c in cols else pa.nulls(n, pa.string()) for c in names]
    return pa.Table.from_arrays(arrays, names=names)


# --------------------------------------------------------------------------------------------
# Calendar, products, portfolio (accounts) and reps: built once, for all accounts
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Calendar:
    end: int  # days since 1970-01-01
    month_start: np.ndarray  # (N_MONTHS,) first day of each month
    month_end: np.ndarray  # last day (the last month ends at end_date)
    month_of_year: np.ndarray  # 0 = January

    @property
    def start(self) -> int:
        return int(self.month_start[0])


def build_calendar(end_date: str) -> Calendar:
    end = np.datetime64(end_date, "D")
    months = end.astype("datetime64[M]") - np.arange(N_MONTHS - 1, -1, -1)
    starts = months.astype("datetime64[D]").astype(np.int64)
    ends = (months + 1).astype("datetime64[D]").astype(np.int64) - 1
    ends[-1] = int(end.astype(np.int64))
    return Calendar(int(end.astype(np.int64)), starts, ends, months.astype(np.int64) % 12)


@dataclass(frozen=True)
class Products:
    ids: pa.Array
    names: pa.Array
    family_names: pa.Array
    family: np.ndarray
    list_cents: np.ndarray
    cost_cents: np.ndarray  # -1 = unknown
    is_service: np.ndarray
    family_weight: np.ndarray
    cum: np.ndarray  # family f + cumulative popularity inside f, for searchsorted
    order: np.ndarray  # position in cum -> product index

    def sample(self, family: np.ndarray, u: np.ndarray) -> np.ndarray:
        pos = np.searchsorted(self.cum, family + u, side="right")
        return self.order[np.minimum(pos, self.order.size - 1)]


def build_products(rng: np.random.Generator, n_products: int) -> Products:
    goods = [f for f in FAMILIES if not f.is_service]
    weights = np.array([f.weight for f in goods])
    n_goods = max(n_products - N_SERVICES, 5 * len(goods))
    quota = weights / weights.sum() * n_goods
    counts = np.floor(quota).astype(int)
    counts[np.argsort(-(quota - counts), kind="stable")[: n_goods - counts.sum()]] += 1
    counts = np.maximum(counts, 5)
    per_family = dict(zip([f.code for f in goods], counts.tolist(), strict=True))
    per_family["SRV"] = N_SERVICES
    ids, names, fam, price, cost, service, cum, order = [], [], [], [], [], [], [], []
    for f_idx, f in enumerate(FAMILIES):
        k = per_family[f.code]
        base = len(ids)
        for j in range(k):
            item = f.items[int(rng.integers(len(f.items)))]
            spec = f.specs[int(rng.integers(len(f.specs)))]
            p = max(0.5, f.median_price * float(np.exp(rng.normal(0.0, f.sigma))))
            c = p * (1.0 - f.margin * float(rng.uniform(0.75, 1.25)))
            unknown = (not f.is_service) and rng.random() < 0.02
            ids.append(f"{f.code}-{j + 1:04d}")
            names.append(f"{item} {spec}")
            fam.append(f_idx)
            price.append(round(p * 100))
            cost.append(-1 if unknown else round(c * 100))
            service.append(f.is_service)
        popularity = 1.0 / np.arange(1, k + 1) ** 0.9
        c = np.cumsum(popularity) / popularity.sum()
        c[-1] = 1.0
        cum.extend((f_idx + c).tolist())
        order.extend(range(base, base + k))
    return Products(
        ids=_strs(ids),
        names=_strs(names),
        family_names=_strs(f.name for f in FAMILIES),
        family=np.array(fam),
        list_cents=np.array(price, dtype=np.int64),
        cost_cents=np.array(cost, dtype=np.int64),
        is_service=np.array(service),
        family_weight=np.array([f.weight for f in FAMILIES]),
        cum=np.array(cum),
        order=np.array(order),
    )


@dataclass
class Portfolio:
    """All accounts as columns (index = account number - 1)."""

    n: int
    life: np.ndarray
    status: np.ndarray
    level: np.ndarray  # expected annual revenue, GBP
    buyer: np.ndarray
    pct: np.ndarray  # revenue percentile among buyers, 0..1
    tier: np.ndarray
    pattern: np.ndarray
    lam: np.ndarray  # orders per active month
    mu: np.ndarray  # extra lines per order (Poisson mean)
    first: np.ndarray  # first month with sales, -1 none
    last: np.ndarray  # last month with sales, -2 none
    trend: np.ndarray  # yearly growth of the revenue level
    drop: np.ndarray  # revenue multiplier in the last 6 months
    amp: np.ndarray  # seasonality amplitude
    breadth: np.ndarray  # number of preferred product families
    price_factor: np.ndarray
    price_driven: np.ndarray
    parent: np.ndarray  # -1 none
    is_head: np.ndarray
    root: np.ndarray
    noun: np.ndarray
    group_token: np.ndarray
    legal: np.ndarray
    sector: np.ndarray
    country: np.ndarray
    region: np.ndarray
    size_band: np.ndarray
    potential: np.ndarray  # NaN unknown
    growth: np.ndarray  # NaN unknown
    market_position: np.ndarray  # -1 unknown
    credit: np.ndarray  # -1 unknown
    strategic: np.ndarray
    renowned: np.ndarray
    strict: np.ndarray
    created: np.ndarray  # days
    owner: np.ndarray  # rep index, -1 none

    def __post_init__(self) -> None:
        """Integer columns as int32: at large scale the portfolio holds 1.5M accounts."""
        for name, value in vars(self).items():
            if isinstance(value, np.ndarray) and value.dtype == np.int64:
                setattr(self, name, value.astype(np.int32))


def _lifecycle_and_level(rng, n):
    life = rng.choice(7, size=n, p=LIFECYCLE_P).astype(np.int8)
    level = np.exp(rng.normal(np.log(12_000.0), 1.5, n))
    level[life == PROSPECT] *= 2.5  # targets worth chasing
    buyer = life != PROSPECT
    buyer &= ~((life == FORMER) & (rng.random(n) < 0.3))  # left before the window
    if 0 < n <= 20_000 and buyer.any():  # one breadwinner at demo sizes
        w = int(np.argmax(np.where(buyer, level, -1.0)))
        life[w] = STABLE
        level[w] = 0.11 / 0.89 * (level[buyer].sum() - level[w])
    return life, level, buyer


def _tiers(level, buyer):
    ref = np.sort(level[buyer]) if buyer.any() else np.sort(level)
    pct = np.searchsorted(ref, level, side="right") / max(ref.size, 1)
    t_key, t_mid = np.quantile(ref, 0.90), np.quantile(ref, 0.60)
    tier = np.where(level >= t_key, KEY, np.where(level >= t_mid, MID, SMALL)).astype(np.int8)
    return np.clip(pct, 0.0, 1.0), tier


def _groups(rng, n, life, level, pct):
    parent = np.full(n, -1, dtype=np.int64)
    is_head = np.zeros(n, dtype=bool)
    candidates = np.flatnonzero(((life == STABLE) | (life == GROWING)) & (pct > 0.6))
    n_heads = min(candidates.size, max(1, round(0.025 * n)))
    if n_heads == 0:
        return parent, is_head
    heads = np.sort(rng.choice(candidates, size=n_heads, replace=False))
    is_head[heads] = True
    others = np.flatnonzero(~is_head)
    subs = np.sort(rng.choice(others, size=min(others.size, round(0.10 * n)), replace=False))
    w = level[heads] / level[heads].sum()
    parent[subs] = heads[rng.choice(n_heads, size=subs.size, p=w)]
    return parent, is_head


def _buying_behaviour(rng, n, life, buyer, pct, lines_per_account):
    u = rng.random(n)
    p_reg = 0.15 + 0.6 * pct
    p_err = 0.03 + 0.35 * (1.0 - pct)
    pattern = np.where(u < p_reg, REGULAR, np.where(u < p_reg + p_err, ERRATIC, INTERMEDIATE))
    pattern[(life == DECLINING) & (pattern == ERRATIC)] = INTERMEDIATE
    lam = np.select(
        [pattern == REGULAR, pattern == INTERMEDIATE],
        [1.0 + 3.0 * pct * rng.uniform(0.5, 1.0, n), rng.uniform(0.35, 1.1, n)],
        rng.uniform(0.1, 0.35, n),
    )
    first = np.zeros(n, dtype=np.int64)
    last = np.full(n, N_MONTHS - 1, dtype=np.int64)
    young = ((life == STABLE) | (life == GROWING)) & (
        rng.random(n) < np.where(life == GROWING, 0.4, 0.12)
    )
    first[young] = rng.integers(1, 25, young.sum())
    new = life == NEW
    first[new] = rng.integers(N_MONTHS - 3, N_MONTHS, new.sum())
    lost = life == LOST
    first[lost] = np.where(rng.random(lost.sum()) < 0.8, 0, rng.integers(1, 10, lost.sum()))
    last[lost] = N_MONTHS - 1 - rng.integers(6, 18, lost.sum())
    former = life == FORMER
    last[former] = rng.integers(0, 17, former.sum())
    first[~buyer], last[~buyer] = -1, -2
    trend = np.select(
        [life == STABLE, life == GROWING, life == DECLINING, life == LOST],
        [
            rng.normal(0.0, 0.04, n),
            rng.uniform(0.15, 0.6, n),
            rng.uniform(-0.15, 0.0, n),
            rng.uniform(-0.3, 0.0, n),
        ],
        0.0,
    )
    drop = np.where(life == DECLINING, rng.uniform(0.15, 0.45, n), 1.0)
    # Calibrate lines per order so that the scale's number of lines is met.
    months = np.clip(last - first + 1, 0, None)
    target = lines_per_account * n
    expected_orders = lam * months
    per_order = target / max(expected_orders.sum(), 1.0)
    if per_order < 1.5:  # too many orders for the target: order less often
        f = per_order / 1.5
        lam = np.where(pattern == REGULAR, np.maximum(1.0, lam * f), lam * f)
        expected_orders = lam * months
        per_order = target / max(expected_orders.sum(), 1.0)
    size_w = 0.3 + 2.0 * pct
    mean_w = (expected_orders * size_w).sum() / max(expected_orders.sum(), 1e-9)
    mu = np.clip((per_order - 1.0) * size_w / mean_w, 0.0, 30.0)
    return pattern.astype(np.int8), lam, mu, first, last, trend, drop


def build_portfolio(
    rng: np.random.Generator, n: int, cal: Calendar, lines_per_account: float
) -> Portfolio:
    life, level, buyer = _lifecycle_and_level(rng, n)
    pct, tier = _tiers(level, buyer)
    parent, is_head = _groups(rng, n, life, level, pct)
    pattern, lam, mu, first, last, trend, drop = _buying_behaviour(
        rng, n, life, buyer, pct, lines_per_account
    )
    has_parent = parent >= 0
    n_fam = len(FAMILIES)
    breadth = 1 + rng.binomial(min(7, n_fam - 1), 0.1 + 0.6 * pct)
    price_driven = rng.random(n) < np.array([0.04, 0.10, 0.25])[tier]
    price_factor = np.select(
        [tier == KEY, tier == MID],
        [rng.uniform(0.90, 0.97, n), rng.uniform(0.95, 1.0, n)],
        rng.uniform(0.98, 1.04, n),
    )
    # Firmographics; subsidiaries inherit the head's sector, name and (mostly) country.
    sector_p = np.array([x[1] for x in SECTORS])
    sector = rng.choice(len(SECTORS), size=n, p=sector_p / sector_p.sum())
    sector[has_parent] = sector[parent[has_parent]]
    country = rng.choice(len(COUNTRIES), size=n, p=COUNTRY_P)
    same = has_parent & (rng.random(n) < 0.7)
    country[same] = country[parent[same]]
    region = np.where(country == 0, rng.choice(5, size=n, p=UK_REGION_P), INTERNATIONAL)
    root = rng.integers(0, len(ROOTS), n)
    noun_counts = np.array([len(s[3]) for s in SECTORS])
    noun_offsets = np.r_[0, np.cumsum(noun_counts)[:-1]]
    noun = noun_offsets[sector] + (rng.random(n) * noun_counts[sector]).astype(np.int64)
    root[has_parent] = root[parent[has_parent]]
    noun[has_parent] = noun[parent[has_parent]]
    group_token = np.where(is_head, 1, 0)
    group_token[has_parent] = rng.integers(2, len(GROUP_TOKENS), has_parent.sum())
    legal_counts = np.array([len(LEGAL_FORMS[c]) for c in COUNTRIES])
    legal_offsets = np.r_[0, np.cumsum(legal_counts)[:-1]]
    legal = legal_offsets[country] + (rng.random(n) * legal_counts[country]).astype(np.int64)
    z = np.log(level) + rng.normal(0.0, 0.6, n)
    zr = np.argsort(np.argsort(z, kind="stable"), kind="stable") / max(n, 1)
    size_band = np.searchsorted([0.45, 0.75, 0.93], zr, side="right")
    size_band[is_head] = np.maximum(size_band[is_head], 2)
    # Potential: mostly 1.5-10x what they buy, some saturated, some unknown.
    u = rng.random(n)
    mult = np.where(
        u < 0.08, rng.uniform(1.0, 1.4, n), np.exp(rng.uniform(np.log(1.5), np.log(10), n))
    )
    potential = np.where(life == PROSPECT, level * rng.uniform(3.0, 12.0, n), level * mult)
    potential = np.maximum(1000.0, np.round(potential / 1000.0) * 1000.0)
    potential[(u > 0.88) & (life != PROSPECT)] = np.nan
    growth = np.where(life == GROWING, rng.normal(0.08, 0.04, n), rng.normal(0.03, 0.04, n))
    growth = np.round(np.clip(growth, -0.2, 0.3), 3)
    growth[rng.random(n) < 0.15] = np.nan
    renowned = rng.random(n) < np.array([0.01, 0.02, 0.06, 0.15])[size_band]
    market_position = rng.choice(4, size=n, p=[0.12, 0.26, 0.40, 0.22])
    market_position[renowned] = np.where(rng.random(renowned.sum()) < 0.8, 0, 1)
    market_position[rng.random(n) < 0.05] = -1
    risky = (life == DECLINING) | (life == LOST) | (life == FORMER)
    credit_p = np.where(risky[:, None], CREDIT_P * np.linspace(0.5, 3.0, 8), CREDIT_P)
    credit = _pick(rng, credit_p, n)
    credit[rng.random(n) < 0.05] = -1
    strategic = rng.random(n) < np.where(tier == KEY, 0.18, 0.014)
    strategic &= buyer | (life == PROSPECT)
    strict = rng.random(n) < np.array([x[2] for x in SECTORS])[sector]
    # Created: before the first purchase; prospects during the last three years.
    first_day = np.where(first >= 0, cal.month_start[np.clip(first, 0, None)], cal.end)
    created = np.select(
        [life == PROSPECT, life == NEW, first == 0],
        [
            cal.end - rng.integers(0, 3 * 365, n),
            first_day - rng.integers(0, 60, n),
            cal.start - rng.integers(30, 15 * 365, n),
        ],
        first_day - rng.integers(5, 120, n),
    )
    no_sales_former = (life == FORMER) & ~buyer
    created[no_sales_former] = cal.start - rng.integers(400, 15 * 365, no_sales_former.sum())
    status = np.where(life == PROSPECT, 1, np.where(life == FORMER, 2, 0)).astype(np.int8)
    return Portfolio(
        n=n, life=life, status=status, level=level, buyer=buyer, pct=pct, tier=tier,
        pattern=pattern, lam=lam, mu=mu, first=first, last=last, trend=trend, drop=drop,
        amp=rng.uniform(0.3, 1.3, n), breadth=breadth,
        price_factor=price_factor, price_driven=price_driven, parent=parent, is_head=is_head,
        root=root, noun=noun, group_token=group_token, legal=legal, sector=sector,
        country=country, region=region, size_band=size_band, potential=potential, growth=growth,
        market_position=market_position, credit=credit, strategic=strategic, renowned=renowned,
        strict=strict, created=created, owner=np.full(n, -1, dtype=np.int64),
    )  # fmt: skip


@dataclass(frozen=True)
class Reps:
    ids: pa.Array
    role: np.ndarray  # index in ROLES
    manager: np.ndarray  # rep index, -1 none
    region: np.ndarray  # index in REGIONS, -1 = National
    first_name: np.ndarray
    last_name: np.ndarray
    cost: np.ndarray
    days: np.ndarray
    hours10: np.ndarray  # hours per day * 10
    visits10: np.ndarray  # visits per day * 10
    sellers: np.ndarray  # indexes of KAMs and reps

    @property
    def n(self) -> int:
        return int(self.role.size)


def build_reps(rng: np.random.Generator, pf: Portfolio) -> Reps:
    total = max(8, round(pf.n / 85))
    n_mgr = max(1, round(total * 0.11))
    n_kam = max(1, round(total * 0.20))
    n_rep = total - n_mgr - n_kam
    role = np.r_[np.zeros(n_mgr), np.ones(n_kam), np.full(n_rep, 2)].astype(np.int64)
    # Field reps spread over the regions in proportion to their accounts (largest remainder).
    share = np.bincount(pf.region, minlength=len(REGIONS)) / max(pf.n, 1)
    quota = share * n_rep
    per_region = np.floor(quota).astype(int)
    extra = np.argsort(-(quota - per_region), kind="stable")[: n_rep - per_region.sum()]
    per_region[extra] += 1
    rep_region = np.repeat(np.arange(len(REGIONS)), per_region)
    mgr_region = np.r_[-1, np.arange(n_mgr - 1) % len(REGIONS)]
    region = np.r_[mgr_region, np.full(n_kam, -1), rep_region].astype(np.int64)
    manager = np.full(total, -1, dtype=np.int64)
    manager[1:n_mgr] = 0
    manager[n_mgr : n_mgr + n_kam] = np.arange(n_kam) % n_mgr
    for r in range(len(REGIONS)):
        members = np.flatnonzero((role == 2) & (region == r))
        bosses = np.flatnonzero((role == 0) & (region == r))
        if bosses.size == 0:
            bosses = np.arange(n_mgr)
        manager[members] = bosses[(np.arange(members.size) + r) % bosses.size]
    cost = np.select(
        [role == 0, role == 1],
        [rng.uniform(95_000, 120_000, total), rng.uniform(80_000, 110_000, total)],
        rng.uniform(60_000, 85_000, total),
    )
    visits10 = np.select(
        [role == 0, role == 1],
        [np.full(total, 20), rng.choice([20, 25, 30], total)],
        rng.choice([30, 35, 40, 45, 50], total),
    )
    return Reps(
        ids=_ids("REP", np.arange(1, total + 1), 5),
        role=role,
        manager=manager,
        region=region,
        first_name=rng.integers(0, len(FIRST_NAMES), total),
        last_name=rng.integers(0, len(LAST_NAMES), total),
        cost=(np.round(cost / 500) * 500).astype(np.int64),
        days=rng.integers(208, 221, total),
        hours10=rng.choice([70, 75, 80], total),
        visits10=visits10,
        sellers=np.flatnonzero(role > 0),
    )


def assign_owners(rng: np.random.Generator, pf: Portfolio, reps: Reps) -> None:
    """KAMs own the largest accounts (top ~6% of buyers) and the strategic ones, field reps
    the others of their region."""
    kams = np.flatnonzero(reps.role == 1)
    field = np.flatnonzero(reps.role == 2)
    field = field[np.argsort(reps.region[field], kind="stable")]
    counts = np.bincount(reps.region[field], minlength=len(REGIONS))
    starts = np.r_[0, np.cumsum(counts)[:-1]]
    u = rng.random(pf.n)
    has = counts[pf.region] > 0
    start = np.where(has, starts[pf.region], 0)
    size = np.where(has, counts[pf.region], field.size)
    owner = field[start + (u * size).astype(np.int64)]
    key = ((pf.pct >= 0.94) & (pf.life != PROSPECT)) | pf.strategic
    owner[key] = kams[(u[key] * kams.size).astype(np.int64)]
    owner[(pf.life == FORMER) & (rng.random(pf.n) < 0.5)] = -1
    pf.owner = owner.astype(np.int32)


# --------------------------------------------------------------------------------------------
# Tables of the small entities
# --------------------------------------------------------------------------------------------


def products_table(p: Products) -> pa.Table:
    n = p.family.size
    cols = {
        "product_id": p.ids,
        "product_name": p.names,
        "product_family": _take(p.family_names, p.family),
        "unit_cost": _fixed(p.cost_cents, 2, null=p.cost_cents < 0),
        "list_price": _fixed(p.list_cents, 2),
        "is_service": _bools(p.is_service),
    }
    return _table("products", cols, n)


def reps_table(r: Reps) -> pa.Table:
    names = pc.binary_join_element_wise(
        _take(_strs(FIRST_NAMES), r.first_name), _take(_strs(LAST_NAMES), r.last_name), " "
    )
    cols = {
        "rep_id": r.ids,
        "rep_name": names,
        "role": _take(_strs(ROLES), r.role),
        "manager_id": _take(r.ids, r.manager),
        "region": _take(_strs((*REGIONS, "National")), np.where(r.region < 0, 6, r.region)),
        "loaded_annual_cost": _ints(r.cost),
        "working_days_per_year": _ints(r.days),
        "working_hours_per_day": _fixed(r.hours10, 1),
        "visits_per_day": _fixed(r.visits10, 1),
    }
    return _table("reps", cols, r.n)


def _account_names(pf: Portfolio, lo: int, hi: int) -> pa.Array:
    legal = _strs(form for c in COUNTRIES for form in LEGAL_FORMS[c])
    nouns = _strs(noun for s in SECTORS for noun in s[3])
    return pc.binary_join_element_wise(
        _take(_strs(ROOTS), pf.root[lo:hi]),
        _take(nouns, pf.noun[lo:hi]),
        _take(_strs(GROUP_TOKENS), pf.group_token[lo:hi]),
        _take(legal, pf.legal[lo:hi]),
        "",
    )


_ROOT_ACCENTED = np.array([unicodedata.normalize("NFD", r) != r for r in ROOTS])


def _nfd(_i: int, value: str) -> str:
    return unicodedata.normalize("NFD", value)


def accounts_table(pf: Portfolio, reps: Reps, lo: int, hi: int, rng, messy: bool) -> pa.Table:
    n = hi - lo
    s = slice(lo, hi)
    names = _account_names(pf, lo, hi)
    if messy:
        names = _replace(names, _ROOT_ACCENTED[pf.root[s]] & (rng.random(n) < NFD_RATE), _nfd)
    potential = pf.potential[s]
    growth = pf.growth[s]
    cols = {
        "account_id": _ids("ACC", np.arange(lo + 1, hi + 1), 7),
        "account_name": names,
        "parent_account_id": _ids("ACC", np.where(pf.parent[s] >= 0, pf.parent[s] + 1, -1), 7),
        "sector": _take(_strs(x[0] for x in SECTORS), pf.sector[s]),
        "country": _take(_strs(COUNTRIES), pf.country[s]),
        "region": _take(_strs(REGIONS), pf.region[s]),
        "size_band": _take(_strs(SIZE_BANDS), pf.size_band[s]),
        "annual_potential": _ints(np.nan_to_num(potential).astype(np.int64), np.isnan(potential)),
        "potential_growth_rate": _fixed(
            np.rint(np.nan_to_num(growth) * 1000).astype(np.int64), 3, np.isnan(growth)
        ),
        "market_position": _take(_strs(MARKET_POSITIONS), pf.market_position[s]),
        "credit_rating": _take(_strs(CREDIT_RATINGS), pf.credit[s]),
        "is_strategic": _bools(pf.strategic[s]),
        "is_renowned": _bools(pf.renowned[s]),
        "has_strict_quality_requirements": _bools(pf.strict[s]),
        "owner_rep_id": _take(reps.ids, pf.owner[s]),
        "created_date": _dates(pf.created[s]),
        "status": _take(_strs(STATUSES), pf.status[s]),
    }
    return _table("accounts", cols, n)


# --------------------------------------------------------------------------------------------
# Sales lines (per chunk of accounts)
# --------------------------------------------------------------------------------------------


@dataclass
class Sequences:
    """Running document and key numbers, carried from chunk to chunk."""

    invoice: int = 0
    credit_note: int = 0
    adjustment: int = 0
    contact: int = 0
    activity: int = 0
    opportunity: int = 0
    assessment: int = 0
    plan: int = 0
    action: int = 0


def _order_counts(pf: Portfolio, s: slice, rng) -> tuple[np.ndarray, np.ndarray]:
    """(accounts x months) expected and drawn order counts."""
    m = np.arange(N_MONTHS)
    first, last = pf.first[s, None], pf.last[s, None]
    active = (m >= first) & (m <= last)
    late = m >= N_MONTHS - 6
    base = pf.lam[s, None] * np.where(late, np.sqrt(pf.drop[s, None]), 1.0) * active
    floor = np.floor(base)
    regular = floor + (rng.random(base.shape) < base - floor)
    count = np.where(pf.pattern[s, None] == REGULAR, regular, rng.poisson(base)).astype(np.int64)
    rows = np.arange(count.shape[0])
    buy = pf.first[s] >= 0
    count[rows[buy], pf.first[s][buy]] = np.maximum(count[rows[buy], pf.first[s][buy]], 1)
    ends = buy & ((pf.life[s] == LOST) | (pf.life[s] == FORMER))
    count[rows[ends], pf.last[s][ends]] = np.maximum(count[rows[ends], pf.last[s][ends]], 1)
    # Accounts still buying (even erratic ones) bought at least once in the last 9 months.
    silent = buy & (pf.last[s] == N_MONTHS - 1) & (count[:, N_MONTHS - 9 :].sum(axis=1) == 0)
    lo = np.maximum(pf.first[s][silent], N_MONTHS - 9)
    month = lo + (rng.random(silent.sum()) * (N_MONTHS - lo)).astype(np.int64)
    count[rows[silent], month] = 1
    return base, count


def _invoice_lines(pf: Portfolio, s: slice, cal: Calendar, prods: Products, reps: Reps, rng):
    """Invoices of the chunk's accounts as numeric columns (one row per line)."""
    base, count = _order_counts(pf, s, rng)
    m = np.arange(N_MONTHS)
    season = 1.0 + pf.amp[s, None] * (SEASON[cal.month_of_year][None, :] - 1.0)
    trend = (1.0 + pf.trend[s, None]) ** ((m - (N_MONTHS - 1)) / 12.0)
    late = np.where(m >= N_MONTHS - 6, pf.drop[s, None], 1.0)
    month_value = pf.level[s, None] / 12.0 * season * trend * late
    ai, mi = np.nonzero(count)
    c = count[ai, mi]
    oa, om = np.repeat(ai, c), np.repeat(mi, c)
    sigma = np.array([0.15, 0.45, 0.75])[pf.pattern[s][oa]]
    value = month_value[oa, om] / np.maximum(base[oa, om], 0.05)
    value *= np.exp(rng.normal(0.0, 1.0, oa.size) * sigma - sigma**2 / 2)
    length = cal.month_end[om] - cal.month_start[om] + 1
    day = cal.month_start[om] + (rng.random(oa.size) * length).astype(np.int64)
    day = _weekday(day, cal.month_start[om], cal.month_end[om])
    # Lines: 1 + Poisson(mu) per invoice, the invoice value split at random between them.
    k = np.minimum(1 + rng.poisson(pf.mu[s][oa]), 40)
    order = np.repeat(np.arange(oa.size), k)
    line_no = np.arange(order.size) - np.repeat(np.cumsum(k) - k, k) + 1
    w = rng.exponential(1.0, order.size)
    line_value = value[order] * w / np.bincount(order, w, minlength=oa.size)[order]
    acc = oa[order]
    g = acc + s.start
    # Each account prefers a few families (a weighted random order of them), then products
    # by popularity inside the family.
    keys = -np.log(rng.random((count.shape[0], len(FAMILIES)))) / prods.family_weight
    fam_pref = np.argsort(keys, axis=1)
    pref = (pf.breadth[g] * rng.random(order.size) ** 1.7).astype(np.int64)
    product = prods.sample(fam_pref[acc, pref], rng.random(order.size))
    price = prods.list_cents[product] / 100.0 * pf.price_factor[g]
    price *= 1.0 + rng.normal(0.0, 0.02, order.size)
    qty = np.maximum(1, np.rint(line_value / price)).astype(np.int64)
    ccy = COUNTRY_CURRENCY[pf.country[g]]
    price_cents = np.maximum(1, np.rint(price * FX_PER_GBP[ccy] * 100)).astype(np.int64)
    driven, key = pf.price_driven[g], pf.tier[g] == KEY
    p_disc = np.where(driven, 0.7, np.where(key, 0.3, 0.1))
    pct = np.where(driven, rng.uniform(0.08, 0.22, order.size), rng.uniform(0.02, 0.10, order.size))
    pct = np.where(key & ~driven, rng.uniform(0.03, 0.08, order.size), pct)
    disc = np.where(rng.random(order.size) < p_disc, np.rint(qty * price_cents * pct), 0)
    # The owner is credited, except on ~4% of invoices (a colleague covering).
    rep = pf.owner[oa + s.start]
    other = (rng.random(oa.size) < 0.04) | (rep < 0)
    cover = reps.sellers[(rng.random(oa.size) * reps.sellers.size).astype(np.int64)]
    rep = np.where(other, cover, rep)[order]
    return {
        "order": order, "order_day": day, "order_acc": oa, "line_no": line_no, "acc": acc,
        "product": product, "qty": qty, "price": price_cents, "disc": disc.astype(np.int64),
        "rep": rep,
    }  # fmt: skip


def _counter_documents(lines, inv_no, day, kind, mask_lines, offset_days, end, seq_start, share):
    """Credit notes or adjustments reversing (a share of) the masked lines of their invoices,
    at the net unit price. Documents dated after `end` are dropped; numbers follow
    (date, original invoice)."""
    sel = np.flatnonzero(mask_lines)
    orders = lines["order"][sel]
    uo = np.unique(orders)
    doc_day = day[uo] + offset_days[uo]
    keep_doc = doc_day <= end
    uo, doc_day = uo[keep_doc], doc_day[keep_doc]
    sel = sel[np.isin(orders, uo)]
    rank = np.lexsort((inv_no[uo], doc_day))
    doc_no = np.empty(uo.size, dtype=np.int64)
    doc_no[rank] = seq_start + 1 + np.arange(uo.size)
    pos = np.searchsorted(uo, lines["order"][sel])
    qty, price, disc = lines["qty"][sel], lines["price"][sel], lines["disc"][sel]
    net = np.maximum(0, np.rint((qty * price - disc) / qty)).astype(np.int64)
    back = np.clip(np.rint(qty * share[sel]), 1, qty).astype(np.int64)
    return {
        "kind": np.full(sel.size, kind), "no": doc_no[pos],
        "line_no": _group_rank(lines["order"][sel]) + 1, "day": doc_day[pos],
        "acc": lines["acc"][sel], "product": lines["product"][sel], "qty": -back,
        "price": net, "disc": np.zeros(sel.size, dtype=np.int64), "rep": lines["rep"][sel],
    }, uo.size  # fmt: skip


def _messy_kinds(rng, n: int) -> np.ndarray:
    """0 = clean, k = the k-th messy case of MESSY_RATES (disjoint)."""
    cum = np.cumsum(list(MESSY_RATES.values()))
    u = rng.random(n)
    return np.where(u < cum[-1], np.searchsorted(cum, u, side="right") + 1, 0)


MESSY = {name: i + 1 for i, name in enumerate(MESSY_RATES)}


def _bad_date(_i: int, value: str) -> str:
    """A day that does not exist: the 31st of a 30-day month, else 30 February."""
    y, mo = int(value[:4]), int(value[5:7])
    return f"{y}-{mo:02d}-31" if mo in (4, 6, 9, 11) else f"{y}-02-30"


def _spaced(i: int, value: str) -> str:
    return ("  " + value, value + " ", " " + value, value + "  ", " " + value + " ")[i % 5]


def _mixed_case(i: int, value: str) -> str:
    return value.lower() if i % 2 else value[:1] + value[1:].lower()


def _double_space(i: int, value: str) -> str:
    return value.replace(" ", "  ", 1) if i % 2 else value + " "


def _sales_documents(pf, s: slice, cal, prods, reps, rng, seq: Sequences) -> dict:
    """Invoices, credit notes and adjustments of the chunk as numeric columns."""
    lines = _invoice_lines(pf, s, cal, prods, reps, rng)
    n_orders = lines["order_day"].size
    rank = np.lexsort((lines["order_acc"], lines["order_day"]))
    inv_no = np.empty(n_orders, dtype=np.int64)
    inv_no[rank] = seq.invoice + 1 + np.arange(n_orders)
    seq.invoice += n_orders
    day = lines["order_day"]
    n = lines["order"].size
    invoices = {
        "kind": np.full(n, INVOICE), "no": inv_no[lines["order"]], "line_no": lines["line_no"],
        "day": day[lines["order"]], "acc": lines["acc"], "product": lines["product"],
        "qty": lines["qty"], "price": lines["price"], "disc": lines["disc"], "rep": lines["rep"],
    }  # fmt: skip
    credit, n_cn = _counter_documents(
        lines, inv_no, day, CREDIT_NOTE, rng.random(n) < 0.012,
        rng.integers(3, 46, n_orders), cal.end, seq.credit_note,
        np.where(rng.random(n) < 0.5, 1.0, rng.uniform(0.1, 1.0, n)),
    )  # fmt: skip
    seq.credit_note += n_cn
    weak = pf.credit[s][lines["order_acc"]] >= 6  # CCC or D
    bad_order = weak & (rng.random(n_orders) < 0.005)
    adjust, n_adj = _counter_documents(
        lines, inv_no, day, ADJUSTMENT, bad_order[lines["order"]],
        rng.integers(60, 181, n_orders), cal.end, seq.adjustment, np.ones(n),
    )  # fmt: skip
    seq.adjustment += n_adj
    return {k: np.concatenate([invoices[k], credit[k], adjust[k]]) for k in invoices}


def _numeric_messiness(cols: dict, rng, messy: bool) -> tuple[dict, np.ndarray]:
    """Draw the messy case of every line, zero the prices and append the duplicates; return
    the columns sorted by (date, document, line) and the messy case of each line."""
    total = cols["kind"].size
    mk = _messy_kinds(rng, total) if messy else np.zeros(total, dtype=np.int64)
    zero = (mk == MESSY["zero_unit_price"]) & (cols["kind"] == INVOICE)
    cols["price"][zero] = 0
    cols["disc"][zero] = 0
    mk[(mk == MESSY["zero_unit_price"]) & ~zero] = 0
    dup = np.flatnonzero(mk == MESSY["duplicate_line"])
    if dup.size:
        cols = {k: np.concatenate([v, v[dup]]) for k, v in cols.items()}
        mk = np.concatenate([mk, np.zeros(dup.size, dtype=mk.dtype)])
    order = np.lexsort((cols["line_no"], cols["no"], cols["kind"], cols["day"]))
    return {k: v[order] for k, v in cols.items()}, mk[order]


def sales_chunk(pf, lo, hi, cal, prods, reps, rng, seq: Sequences, messy: bool) -> pa.Table:
    cols = _sales_documents(pf, slice(lo, hi), cal, prods, reps, rng, seq)
    cols, mk = _numeric_messiness(cols, rng, messy)
    acc = cols["acc"]
    g = acc + lo
    names = _account_names(pf, lo, hi).take(pa.array(acc))
    product_ids = prods.ids.take(pa.array(cols["product"]))
    account_ids = _ids("ACC", g + 1, 7)
    quantity = _ints(cols["qty"])
    dates = _dates(cols["day"])
    if messy:
        accented = _ROOT_ACCENTED[pf.root[g]] & (mk == 0) & (rng.random(mk.size) < NFD_RATE)
        names = _replace(names, accented, _nfd)
        names = _replace(names, mk == MESSY["account_name_whitespace"], _double_space)
        orphan = mk == MESSY["orphan_account_id"]
        orphan_ids = rng.integers(0, 10_000_000, orphan.sum())
        if orphan.any():
            account_ids = pc.replace_with_mask(
                account_ids, pa.array(orphan), _ids("ACC9", orphan_ids, 7)
            )
        account_ids = _replace(account_ids, mk == MESSY["empty_account_id"], lambda i, v: None)
        product_ids = _replace(product_ids, mk == MESSY["product_id_whitespace"], _spaced)
        product_ids = _replace(product_ids, mk == MESSY["product_id_case"], _mixed_case)
        quantity = _replace(quantity, mk == MESSY["quantity_not_numeric"], lambda i, v: "n/a")
        dates = _replace(dates, mk == MESSY["impossible_date"], _bad_date)
    prefix = _take(_strs(DOCUMENT_PREFIXES), cols["kind"])
    numbers = pc.utf8_lpad(pc.cast(pa.array(cols["no"]), pa.string()), 8, "0")
    table = {
        "invoice_id": pc.binary_join_element_wise(prefix, numbers, ""),
        "line_number": _ints(cols["line_no"]),
        "invoice_date": dates,
        "account_id": account_ids,
        "product_id": product_ids,
        "quantity": quantity,
        "unit_price": _fixed(cols["price"], 2),
        "discount_amount": _fixed(cols["disc"], 2),
        "currency": _take(_strs(CURRENCIES), COUNTRY_CURRENCY[pf.country[g]]),
        "document_type": _take(_strs(DOCUMENT_TYPES), cols["kind"]),
        "rep_id": _take(reps.ids, cols["rep"]),
        "account_name": names,
        "country": _take(_strs(COUNTRIES), pf.country[g]),
        "product_name": prods.names.take(pa.array(cols["product"])),
        "product_family": _take(prods.family_names, prods.family[cols["product"]]),
    }
    return _table("sales_lines", table, mk.size)


# --------------------------------------------------------------------------------------------
# Contacts, activities, opportunities, assessments, plans (per chunk of accounts)
# --------------------------------------------------------------------------------------------


def _ascii(value: str) -> str:
    folded = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return "".join(ch for ch in folded.lower() if ch.isalnum())


def contacts_chunk(pf: Portfolio, lo: int, hi: int, cal: Calendar, rng, seq: Sequences):
    """Contacts of the chunk's accounts; also returns (count, first number) per account."""
    n = hi - lo
    s = slice(lo, hi)
    tier, life = pf.tier[s], pf.life[s]
    count = np.select(
        [tier == KEY, tier == MID],
        [rng.integers(3, 9, n), rng.integers(1, 5, n)],
        rng.choice([0, 1, 2], n, p=[0.3, 0.55, 0.15]),
    )
    count = np.where(pf.price_driven[s] & (tier == SMALL), rng.integers(0, 2, n), count)
    count = np.where(life == PROSPECT, rng.integers(1, 3, n), count)
    count = np.where(life == FORMER, rng.integers(0, 2, n), count)
    first_number = seq.contact + 1 + np.cumsum(count) - count
    acc = np.repeat(np.arange(n), count)
    m = acc.size
    j = _group_rank(acc)
    start = np.where(rng.random(n) < 0.6, 0, rng.integers(0, 6, n))
    func = (start[acc] + j) % len(JOB_FUNCTIONS)
    role = _pick(rng, DECISION_ROLE_P[func], m)
    seniority = _pick(rng, SENIORITY_P[func], m)
    closeness = 1 + rng.binomial(4, np.array([0.65, 0.5, 0.35])[tier[acc]])
    created = pf.created[s][acc]
    lo_day = np.maximum(created, cal.end - 12 * 365)
    span = np.maximum(1, cal.end - 14 - lo_day)
    active_from = lo_day + (rng.random(m) * span).astype(np.int64)
    left = active_from + 30 + (rng.random(m) * np.maximum(0, cal.end - active_from - 30))
    left_null = (rng.random(m) >= 0.12) | (active_from + 30 > cal.end)
    fn, ln = rng.integers(0, len(FIRST_NAMES), m), rng.integers(0, len(LAST_NAMES), m)
    g = acc + lo
    email = pc.binary_join_element_wise(
        _take(_strs(_ascii(x) for x in FIRST_NAMES), fn),
        ".",
        _take(_strs(_ascii(x) for x in LAST_NAMES), ln),
        "@example-",
        pc.cast(pa.array(g + 1), pa.string()),
        ".test",
        "",
    )
    phone = pc.binary_join_element_wise(
        "+44 20 7946 0",
        pc.utf8_lpad(pc.cast(pa.array(rng.integers(0, 1000, m)), pa.string()), 3, "0"),
        "",
    )
    cols = {
        "contact_id": _ids("CON", seq.contact + 1 + np.arange(m), 8),
        "account_id": _ids("ACC", g + 1, 7),
        "first_name": _take(_strs(FIRST_NAMES), fn),
        "last_name": _take(_strs(LAST_NAMES), ln),
        "email": _null_where(email, rng.random(m) < 0.08),
        "phone": _null_where(phone, rng.random(m) < 0.2),
        "job_function": _take(_strs(JOB_FUNCTIONS), func),
        "decision_role": _take(_strs(DECISION_ROLES), role),
        "seniority": _take(_strs(SENIORITIES), seniority),
        "closeness": _ints(closeness),
        "active_from_date": _dates(active_from),
        "left_date": _dates(left.astype(np.int64), left_null),
    }
    seq.contact += m
    return _table("contacts", cols, m), count, first_number


def _activity_window(pf: Portfolio, s: slice, cal: Calendar) -> tuple[np.ndarray, np.ndarray]:
    """Days [lo, hi] in which the account is worked (empty when lo > hi)."""
    window = cal.end - ACTIVITY_DAYS + 1
    lo = np.maximum(window, pf.created[s])
    last_day = cal.month_end[np.clip(pf.last[s], 0, None)]
    hi = np.select(
        [pf.life[s] == LOST, (pf.life[s] == FORMER) & pf.buyer[s], pf.life[s] == FORMER],
        [np.minimum(cal.end, last_day + 90), last_day + 30, lo - 1],
        cal.end,
    )
    return lo, hi


def activities_chunk(pf, reps, lo, hi, cal, rng, seq, contact_count, contact_first, internal):
    s = slice(lo, hi)
    a_lo, a_hi = _activity_window(pf, s, cal)
    years = np.clip(a_hi - a_lo + 1, 0, None) / 365.25
    row = np.where(pf.life[s] == PROSPECT, 3, pf.tier[s])
    rate = ACTIVITY_RATES[row].copy()
    strict = pf.strict[s]
    rate[strict, 4] += rng.uniform(10.0, 25.0, strict.sum())
    rate[strict, 5] *= 3.0
    abroad = pf.region[s] == INTERNATIONAL
    rate[abroad, 0] *= 0.3
    rate[abroad, 3] *= 0.5
    rate[pf.price_driven[s], 0] *= 0.4
    counts = rng.poisson(rate * years[:, None])
    ai, ti = np.nonzero(counts)
    c = counts[ai, ti]
    acc, typ = np.repeat(ai, c), np.repeat(ti, c)
    m = acc.size
    day = a_lo[acc] + (rng.random(m) * (a_hi - a_lo + 1)[acc]).astype(np.int64)
    day = _weekday(day, a_lo[acc], a_hi[acc])
    dmin, dmax, step = ACTIVITY_DURATION[typ].T
    duration = dmin + step * (rng.random(m) * ((dmax - dmin) // step + 1)).astype(np.int64)
    onsite = rng.random(m) < ACTIVITY_ONSITE_P[typ]
    far = abroad[acc]
    travel = np.where(far, 15 * rng.integers(12, 33, m), 5 * rng.integers(6, 25, m))
    cost = np.where(far, rng.uniform(250, 900, m), travel * rng.uniform(0.35, 0.65, m))
    travel = np.where(onsite, travel, 0)
    cost = np.where(onsite, np.rint(cost * 100), 0).astype(np.int64)
    billable = rng.random(m) < ACTIVITY_BILLABLE_P[typ]
    owner = pf.owner[s][acc]
    u = rng.random(m)
    any_seller = reps.sellers[(rng.random(m) * reps.sellers.size).astype(np.int64)]
    boss = np.where(owner >= 0, reps.manager[np.maximum(owner, 0)], -1)
    rep = np.where((u < 0.08) & (boss >= 0), boss, owner)
    rep = np.where(((u >= 0.08) & (u < 0.11)) | (rep < 0), any_seller, rep)
    ccount = contact_count[acc]
    with_contact = ACTIVITY_WITH_CONTACT[typ] & (ccount > 0) & (rng.random(m) < 0.8)
    contact = np.where(
        with_contact, contact_first[acc] + (rng.random(m) * ccount).astype(np.int64), -1
    )
    account = acc + lo
    if internal:  # internal meetings (no account), added to the first chunk
        per_rep = rng.poisson(2.0 * ACTIVITY_DAYS / 30.4, reps.n)
        k = int(per_rep.sum())
        w_lo = cal.end - ACTIVITY_DAYS + 1
        iday = _weekday(w_lo + rng.integers(0, ACTIVITY_DAYS, k), w_lo, cal.end)
        day = np.r_[day, iday]
        typ = np.r_[typ, np.full(k, 3)]
        duration = np.r_[duration, 60 + 30 * rng.integers(0, 5, k)]
        travel = np.r_[travel, np.zeros(k, dtype=np.int64)]
        cost = np.r_[cost, np.zeros(k, dtype=np.int64)]
        billable = np.r_[billable, np.zeros(k, dtype=bool)]
        rep = np.r_[rep, np.repeat(np.arange(reps.n), per_rep)]
        contact = np.r_[contact, np.full(k, -1)]
        account = np.r_[account, np.full(k, -1)]
    order = np.lexsort((rep, typ, account, day))
    total = order.size
    cols = {
        "activity_id": _ids("ACT", seq.activity + 1 + np.arange(total), 9),
        "activity_date": _dates(day[order]),
        "rep_id": _take(reps.ids, rep[order]),
        "account_id": _ids("ACC", np.where(account[order] >= 0, account[order] + 1, -1), 7),
        "contact_id": _ids("CON", contact[order], 8),
        "activity_type": _take(_strs(ACTIVITY_TYPES), typ[order]),
        "duration_minutes": _ints(duration[order]),
        "travel_minutes": _ints(travel[order]),
        "travel_cost": _fixed(cost[order], 2),
        "is_billable": _bools(billable[order]),
    }
    seq.activity += total
    return _table("activities", cols, total)


def opportunities_chunk(pf, reps, lo, hi, cal, rng, seq):
    n = hi - lo
    s = slice(lo, hi)
    tier, life = pf.tier[s], pf.life[s]
    partner = (tier == KEY) | ((tier == MID) & (pf.pattern[s] == REGULAR))
    rate = np.select(
        [life == PROSPECT, life == FORMER, partner & (tier == KEY), partner, tier == MID],
        [0.8, 0.1, 4.0, 2.0, 1.0],
        0.15,
    )
    o_lo = np.maximum(cal.start, pf.created[s])
    last_day = cal.month_end[np.clip(pf.last[s], 0, None)]
    o_hi = np.select(
        [life == LOST, (life == FORMER) & pf.buyer[s], life == FORMER],
        [np.minimum(cal.end, last_day + 30), last_day, o_lo + 365],
        cal.end,
    )
    o_hi = np.minimum(o_hi, cal.end)
    years = np.clip(o_hi - o_lo + 1, 0, None) / 365.25
    count = rng.poisson(rate * years)
    acc = np.repeat(np.arange(n), count)
    m = acc.size
    created = o_lo[acc] + (rng.random(m) * (o_hi - o_lo + 1)[acc]).astype(np.int64)
    closed = created + rng.integers(14, 161, m)
    is_open = (closed > cal.end) | (rng.random(m) < 0.04)
    p_won = np.array([0.55, 0.45, 0.35])[tier[acc]]
    p_won = np.where(life[acc] == PROSPECT, 0.0, np.where(life[acc] == FORMER, 0.2, p_won))
    won = ~is_open & (rng.random(m) < p_won)
    lost = ~is_open & ~won
    status = np.where(is_open, 0, np.where(won, 1, 2))
    stage = np.where(is_open, rng.integers(0, 3, m), np.where(won, 3, 4))
    level = np.where(life[acc] == PROSPECT, pf.potential[s][acc] / 4, pf.level[s][acc])
    amount = np.maximum(500, np.round(level * rng.uniform(0.05, 0.4, m) / 100) * 100)
    big = rng.random(m) < np.where(pf.price_driven[s][acc], 0.6, 0.22)
    pct = np.where(big, rng.uniform(0.12, 0.30, m), rng.uniform(0.0, 0.06, m))
    discount = np.rint(amount * pct) * 100
    competitor = np.where(
        (lost & (rng.random(m) < 0.85)) | (won & big & (rng.random(m) < 0.7)),
        rng.integers(0, len(COMPETITORS), m),
        -1,
    )
    reason = np.where(lost, rng.choice(len(LOSS_REASONS), m, p=LOSS_REASON_P), -1)
    order = np.lexsort((acc, created))
    owner = pf.owner[s][acc]
    owner = np.where(owner >= 0, owner, reps.sellers[acc % reps.sellers.size])
    cols = {
        "opportunity_id": _ids("OPP", seq.opportunity + 1 + np.arange(m), 7),
        "account_id": _ids("ACC", acc[order] + lo + 1, 7),
        "rep_id": _take(reps.ids, owner[order]),
        "created_date": _dates(created[order]),
        "closed_date": _dates(closed[order], is_open[order]),
        "stage": _take(_strs((*OPEN_STAGES, "closed_won", "closed_lost")), stage[order]),
        "status": _take(_strs(OPPORTUNITY_STATUSES), status[order]),
        "amount": _fixed((amount[order] * 100).astype(np.int64), 2),
        "discount_amount": _fixed(discount[order].astype(np.int64), 2, ~won[order]),
        "competitor": _take(_strs(COMPETITORS), competitor[order]),
        "loss_reason": _take(_strs(LOSS_REASONS), reason[order]),
    }
    seq.opportunity += m
    return _table("opportunities", cols, m)


def assessments_chunk(pf, reps, lo, hi, cal, rng, seq):
    n = hi - lo
    s = slice(lo, hi)
    client = (pf.status[s] == 0) & pf.buyer[s]
    chosen = client & (rng.random(n) < np.array([0.9, 0.55, 0.25])[pf.tier[s]])
    rounds = np.where(chosen, rng.integers(1, 4, n), 0)
    acc = np.repeat(np.arange(n), rounds)
    r = _group_rank(acc)
    # The latest round is within a year for ~70% of accounts, older (stale) for the others.
    latest = cal.end - np.where(
        rng.random(n) < 0.7, rng.integers(0, 331, n), rng.integers(380, 700, n)
    )
    gaps = rng.integers(150, 400, acc.size)
    day = latest[acc] - r * gaps
    day = _weekday(day, day - 3, cal.end)
    health = np.array([3.6, 4.0, 2.8, 2.3, 3.4, 2.5, 3.0])[pf.life[s]]
    health = health + np.where(pf.tier[s] == KEY, 0.3, 0.0)
    acc_c = np.repeat(acc, len(CRITERIA))
    day_c = np.repeat(day, len(CRITERIA))
    crit = np.tile(np.arange(len(CRITERIA)), acc.size)
    keep = (rng.random(acc_c.size) < 0.9) | (crit == 0)
    acc_c, day_c, crit = acc_c[keep], day_c[keep], crit[keep]
    m = acc_c.size
    score = health[acc_c] + rng.normal(0.0, 0.7, m)
    half = rng.random(m) < 0.1
    score10 = np.where(half, np.rint(score * 2) * 5, np.rint(score) * 10)
    score10 = np.clip(score10, 10, 50).astype(np.int64)
    owner = pf.owner[s][acc]
    boss = reps.manager[np.maximum(owner, 0)]
    assessor = np.where((rng.random(acc.size) < 0.2) & (boss >= 0), boss, owner)
    assessor = np.repeat(assessor, len(CRITERIA))[keep]
    order = np.lexsort((crit, acc_c, day_c))
    cols = {
        "assessment_id": _ids("RA", seq.assessment + 1 + np.arange(m), 8),
        "account_id": _ids("ACC", acc_c[order] + lo + 1, 7),
        "assessment_date": _dates(day_c[order]),
        "assessor_rep_id": _take(reps.ids, assessor[order]),
        "criterion_code": _take(_strs(CRITERIA), crit[order]),
        "score": _fixed(score10[order], 1),
    }
    seq.assessment += m
    return _table("relationship_assessments", cols, m)


def plans_chunk(pf, reps, lo, hi, cal, rng, seq):
    """Account plans of key and strategic clients and their actions."""
    n = hi - lo
    s = slice(lo, hi)
    eligible = (pf.status[s] == 0) & pf.buyer[s] & ((pf.tier[s] == KEY) | pf.strategic[s])
    eligible &= rng.random(n) < 0.85
    end_month = int(np.datetime64(int(cal.end), "D").astype("datetime64[M]").astype(np.int64))
    start_month = end_month - rng.integers(0, 12, n)
    created_month = pf.created[s].astype("datetime64[D]").astype("datetime64[M]").astype(np.int64)
    previous = eligible & (rng.random(n) < 0.6) & (created_month <= start_month - 12)
    plans = np.repeat(np.arange(n), eligible.astype(int) + previous.astype(int))
    p_month = start_month[plans] - 12 * _group_rank(plans)
    p_start = p_month.astype("datetime64[M]").astype("datetime64[D]").astype(np.int64)
    p_end = (p_month + 12).astype("datetime64[M]").astype("datetime64[D]").astype(np.int64) - 1
    k = plans.size
    u = rng.random(k)
    swot = np.where(
        u < 0.45, p_start - rng.integers(200, 600, k), p_start + rng.integers(-30, 121, k)
    )
    swot = np.minimum(swot, cal.end)
    order = np.lexsort((plans, p_start))
    plan_no = np.empty(k, dtype=np.int64)
    plan_no[order] = seq.plan + 1 + np.arange(k)
    owner = pf.owner[s][plans]
    plan_cols = {
        "plan_id": _ids("PLN", plan_no[order], 6),
        "account_id": _ids("ACC", plans[order] + lo + 1, 7),
        "owner_rep_id": _take(reps.ids, owner[order]),
        "plan_start_date": _dates(p_start[order]),
        "plan_end_date": _dates(p_end[order]),
        "swot_updated_date": _dates(swot[order], (u < 0.2)[order]),
        "is_co_built_with_client": _bools((rng.random(k) < 0.35)[order]),
        "has_objectives": _bools((rng.random(k) < 0.75)[order]),
    }
    seq.plan += k
    # Actions: 3-10 per plan, done on time, late or not at all.
    n_actions = rng.integers(3, 11, k)
    ap = np.repeat(np.arange(k), n_actions)
    a = ap.size
    due = p_start[ap] + rng.integers(20, 366, a)
    o = rng.random(a)
    on_time = due - rng.integers(0, 31, a)
    late = due + rng.integers(8, 91, a)
    early = p_start[ap] + (rng.random(a) * np.maximum(1, cal.end - p_start[ap])).astype(np.int64)
    done = np.where(due <= cal.end, np.where(o < 0.55, on_time, np.where(o < 0.75, late, -1)),
                    np.where(o < 0.15, early, -1))  # fmt: skip
    done = np.where(done > cal.end, -1, np.maximum(done, np.where(done >= 0, p_start[ap], -1)))
    other = reps.sellers[(rng.random(a) * reps.sellers.size).astype(np.int64)]
    a_owner = np.where(rng.random(a) < 0.7, owner[ap], other)
    a_owner = np.where(a_owner >= 0, a_owner, other)
    a_order = np.lexsort((due, plan_no[ap]))
    action_cols = {
        "action_id": _ids("PA", seq.action + 1 + np.arange(a), 7),
        "plan_id": _ids("PLN", plan_no[ap][a_order], 6),
        "owner_rep_id": _take(reps.ids, a_owner[a_order]),
        "due_date": _dates(due[a_order]),
        "completed_date": _dates(np.maximum(done, 0)[a_order], (done < 0)[a_order]),
    }
    seq.action += a
    return _table("account_plans", plan_cols, k), _table("plan_actions", action_cols, a)


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


class EntityWriter:
    """Streams tables into `<entity>.<fmt>`: written to a hidden temporary file, renamed on
    close, so the landing folder never holds a half-written file. Parquet rows are buffered
    into row groups of ROW_GROUP_ROWS rows (the last one smaller); entities other than the
    sales lines also close a row group at ROW_GROUP_BYTES, to keep memory flat."""

    def __init__(self, out_dir: Path, entity: str, fmt: str):
        self.path = out_dir / f"{entity}.{fmt}"
        self.tmp = out_dir / f".{entity}.{fmt}.tmp"
        self.columns = load_contract()[entity].column_names
        self.fmt = fmt
        self.rows = 0
        if fmt == "csv":
            self._fh = self.tmp.open("w", encoding="utf-8", newline="")
            self._csv = csv.writer(self._fh, lineterminator="\n")
            self._csv.writerow(self.columns)
        else:
            schema = pa.schema([(c, pa.string()) for c in self.columns])
            self._pq = pq.ParquetWriter(self.tmp, schema, compression="zstd")
            self._buffer: list[pa.Table] = []
            self._buffered = 0
            self._max_bytes = None if entity == "sales_lines" else ROW_GROUP_BYTES

    def write(self, table: pa.Table) -> None:
        if table.column_names != self.columns:
            raise ValueError(f"{self.path.name}: columns {table.column_names} != contract")
        if table.num_rows == 0:
            return
        if self.fmt == "csv":  # in slices: Python strings are far bigger than Arrow's
            for start in range(0, table.num_rows, 50_000):
                part = table.slice(start, 50_000)
                self._csv.writerows(zip(*(c.to_pylist() for c in part.columns), strict=True))
        else:
            self._buffer.append(table)
            self._buffered += table.num_rows
            self._flush(final=False)
        self.rows += table.num_rows

    def _flush(self, final: bool) -> None:
        size = ROW_GROUP_ROWS
        if self._max_bytes is not None:
            nbytes = sum(t.nbytes for t in self._buffer)
            if nbytes >= self._max_bytes:  # close a row group now, at most ROW_GROUP_ROWS
                final, size = True, min(ROW_GROUP_ROWS, self._buffered)
        if self._buffered < size and not (final and self._buffered):
            return
        table = pa.concat_tables(self._buffer)
        start = 0
        while table.num_rows - start >= size or (final and start < table.num_rows):
            part = table.slice(start, size)
            self._pq.write_table(part, row_group_size=ROW_GROUP_ROWS)
            start += part.num_rows
        rest = table.slice(start)
        self._buffer, self._buffered = ([rest] if rest.num_rows else []), rest.num_rows

    def close(self) -> None:
        if self.fmt == "csv":
            self._fh.close()
        else:
            self._flush(final=True)
            self._pq.close()
        os.replace(self.tmp, self.path)

    def abort(self) -> None:
        try:
            if self.fmt == "csv":
                self._fh.close()
            else:
                self._pq.close()
        finally:
            self.tmp.unlink(missing_ok=True)


def _chunks(n: int, lines_per_account: float) -> list[tuple[int, int]]:
    size = max(500, int(CHUNK_LINES / max(lines_per_account, 1.0)))
    return [(lo, min(n, lo + size)) for lo in range(0, n, size)]


def generate(
    out_dir: str | Path,
    scale: str = "small",
    seed: int = 42,
    fmt: str | None = None,
    end_date: str = "2025-12-31",
    accounts: int | None = None,
    messy: bool = True,
) -> dict[str, int]:
    """Write all entities into out_dir; return {entity: rows written}.

    `accounts` overrides the scale's number of accounts (lines scale with it). A file of the
    same entity in the other format (`<entity>.csv` / `<entity>.parquet`) is removed so the
    landing folder never holds two versions of the demo data."""
    if scale not in SCALES:
        raise ValueError(f"unknown scale {scale!r}; use one of {', '.join(SCALES)}")
    spec = SCALES[scale]
    fmt = fmt or spec.fmt
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; use csv or parquet")
    n = spec.accounts if accounts is None else int(accounts)
    if n < 1:
        raise ValueError("accounts must be at least 1")
    if seed < 0:
        raise ValueError("seed must be >= 0")
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    cal = build_calendar(end_date)
    rng = np.random.default_rng(seed)
    products = build_products(rng, spec.products)
    pf = build_portfolio(rng, n, cal, spec.lines_per_account)
    reps = build_reps(rng, pf)
    assign_owners(rng, pf, reps)

    writers = {e: EntityWriter(out, e, fmt) for e in ENTITIES}
    try:
        writers["products"].write(products_table(products))
        writers["reps"].write(reps_table(reps))
        seq = Sequences()
        for k, (lo, hi) in enumerate(_chunks(n, spec.lines_per_account)):
            writers["accounts"].write(accounts_table(pf, reps, lo, hi, _rng(seed, 1, k), messy))
            writers["sales_lines"].write(
                sales_chunk(pf, lo, hi, cal, products, reps, _rng(seed, 2, k), seq, messy)
            )
            contacts, c_count, c_first = contacts_chunk(pf, lo, hi, cal, _rng(seed, 3, k), seq)
            writers["contacts"].write(contacts)
            writers["activities"].write(
                activities_chunk(
                    pf, reps, lo, hi, cal, _rng(seed, 4, k), seq, c_count, c_first, k == 0
                )
            )
            writers["opportunities"].write(
                opportunities_chunk(pf, reps, lo, hi, cal, _rng(seed, 5, k), seq)
            )
            writers["relationship_assessments"].write(
                assessments_chunk(pf, reps, lo, hi, cal, _rng(seed, 6, k), seq)
            )
            plans, actions = plans_chunk(pf, reps, lo, hi, cal, _rng(seed, 7, k), seq)
            writers["account_plans"].write(plans)
            writers["plan_actions"].write(actions)
            pa.default_memory_pool().release_unused()
    except BaseException:
        for w in writers.values():
            w.abort()
        raise
    for w in writers.values():
        w.close()
        other = w.path.with_suffix(".parquet" if fmt == "csv" else ".csv")
        other.unlink(missing_ok=True)
    return {e: writers[e].rows for e in ENTITIES}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kam generate", description="Write deterministic demo landing files."
    )
    parser.add_argument("--out", default="landing", help="output folder (default: landing)")
    parser.add_argument("--scale", choices=tuple(SCALES), default="small")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--format", dest="fmt", choices=FORMATS, default=None,
                        help="default: csv for small, parquet otherwise")  # fmt: skip
    parser.add_argument("--accounts", type=int, default=None, help="override the account count")
    parser.add_argument("--end-date", default="2025-12-31", help="last invoice date (ISO)")
    parser.add_argument("--no-messy", action="store_true", help="no deliberately messy rows")
    args = parser.parse_args(argv)
    counts = generate(
        args.out,
        scale=args.scale,
        seed=args.seed,
        fmt=args.fmt,
        end_date=args.end_date,
        accounts=args.accounts,
        messy=not args.no_messy,
    )
    for entity, rows in counts.items():
        print(f"{entity:<26} {rows:>12,}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
