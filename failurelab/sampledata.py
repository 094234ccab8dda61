"""Deterministic, realistic Online Retail data with the real data's quirks.

The tests never need the real file: ``generate(rows, seed)`` makes the same
rows every time, with every quirk counted in ../shared/data/README.md present
at roughly the real rate, and the famous single rows (the -11062.06 bad-debt
adjustments, the 38,970 manual price, the 80,995 order and its cancellation)
always included. ``write_csv`` writes the shapes real exports come in.

    python -m failurelab.sampledata out.csv --rows 541909
"""
from __future__ import annotations

import argparse
import os
import random
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

# The real file, never part of the repository: beside it in ../shared/data, or in $RETAIL_DATA_DIR.
FULL_DATA = Path(os.environ.get("RETAIL_DATA_DIR", Path(__file__).resolve().parents[2] / "shared" / "data")) \
    / "online_retail_full.csv.xz"
COLUMNS = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
PRODUCTS = [  # (stock code, description, unit price): real catalogue lines
    ("85123A", "WHITE HANGING HEART T-LIGHT HOLDER", 2.55), ("71053", "WHITE METAL LANTERN", 3.39),
    ("84406B", "CREAM CUPID HEARTS COAT HANGER", 2.75), ("84029G", "KNITTED UNION FLAG HOT WATER BOTTLE", 3.39),
    ("22752", "SET 7 BABUSHKA NESTING BOXES", 7.65), ("21730", "GLASS STAR FROSTED T-LIGHT HOLDER", 4.25),
    ("22423", "REGENCY CAKESTAND 3 TIER", 12.75), ("47566", "PARTY BUNTING", 4.95),
    ("85099B", "JUMBO BAG RED RETROSPOT", 1.95), ("84879", "ASSORTED COLOUR BIRD ORNAMENT", 1.69),
    ("22720", "SET OF 3 CAKE TINS PANTRY DESIGN ", 4.95), ("21212", "PACK OF 72 RETROSPOT CAKE CASES", 0.55),
    ("20725", "LUNCH BAG RED RETROSPOT", 1.65), ("22383", "LUNCH BAG SUKI  DESIGN ", 1.65),
    ("21900", "KEY FOB , SHED", 1.63), ("35816P", "ACRYLIC JEWEL ANGEL,PINK", 0.38),
    ("90201B", 'CHARLIE+LOLA"EXTREMELY BUSY" SIGN', 2.95), ("22167", " OVAL WALL MIRROR DIAMANTE ", 8.29),
    ("21164", "HOME SWEET HOME METAL SIGN ", 5.91), ("23298", "SPOTTY BUNTING", 4.95),
    ("22086", "PAPER CHAIN KIT 50'S CHRISTMAS ", 2.95), ("22197", "SMALL POPCORN HOLDER", 0.85),
    ("15056BL", "EDWARDIAN PARASOL BLACK", 5.95), ("15056bl", "EDWARDIAN PARASOL BLACK", 5.95),
    ("79323W", "WHITE CHERRY LIGHTS", 6.75), ("79323w", "WHITE CHERRY LIGHTS", 6.75),
    ("23166", "MEDIUM CERAMIC TOP STORAGE JAR", 1.25), ("84077", "WORLD WAR 2 GLIDERS ASSTD DESIGNS", 0.29),
]
NON_PRODUCTS = [("POST", "POSTAGE", 18.0), ("DOT", "DOTCOM POSTAGE", 250.0), ("M", "Manual", 2.5),
                ("C2", "CARRIAGE", 50.0), ("D", "Discount", 27.5), ("S", "SAMPLES", 3.0),
                ("BANK CHARGES", "Bank Charges", 15.0), ("AMAZONFEE", "AMAZON FEE", 5.0), ("CRUK", "CRUK Commission", 1.6),
                ("PADS", "PADS TO MATCH ALL CUSHIONS", 0.001), ("m", "Manual", 1.0),
                ("gift_0001_20", "Dotcomgiftshop Gift Voucher £20.00", 17.02), ("DCGS0003", "BOXED GLASS ASHTRAY", 2.46)]
OTHER_DESCRIPTIONS = {"85123A": ["CREAM HANGING HEART T-LIGHT HOLDER", "?", "wrongly marked carton 22804"]}
NOTES = ["damaged", "check", "?", "Found", "wet damaged", "thrown away"]
COUNTRIES = ["United Kingdom"] * 91 + ["Germany", "Germany", "France", "France", "EIRE", "EIRE", "Spain",
                                       "Netherlands", "Norway"]
START, DAYS = datetime(2010, 12, 1), 374  # up to 2011-12-09, like the real data
FAMOUS = [  # the single real rows every course case refers to
    ("A563185", "B", "Adjust bad debt", 1, datetime(2011, 8, 12, 14, 50), 11062.06, None, "United Kingdom"),
    ("A563186", "B", "Adjust bad debt", 1, datetime(2011, 8, 12, 14, 51), -11062.06, None, "United Kingdom"),
    ("A563187", "B", "Adjust bad debt", 1, datetime(2011, 8, 12, 14, 52), -11062.06, None, "United Kingdom"),
    ("C556445", "M", "Manual", -1, datetime(2011, 6, 10, 15, 31), 38970.0, 15098.0, "United Kingdom"),
    ("581483", "23843", "PAPER CRAFT , LITTLE BIRDIE", 80995, datetime(2011, 12, 9, 9, 15), 2.08, 16446.0, "United Kingdom"),
    ("C581484", "23843", "PAPER CRAFT , LITTLE BIRDIE", -80995, datetime(2011, 12, 9, 9, 27), 2.08, 16446.0, "United Kingdom"),
    ("536414", "22139", None, 56, datetime(2010, 12, 1, 11, 52), 0.0, None, "United Kingdom"),
    ("536544", "15056bl", "EDWARDIAN PARASOL BLACK", 1, datetime(2010, 12, 1, 14, 32), 12.72, None, "United Kingdom"),
    ("536589", "21777", "damaged", -10, datetime(2010, 12, 1, 16, 50), 0.0, None, "United Kingdom"),
]


def generate(rows: int = 2000, seed: int = 0) -> pd.DataFrame:
    """``rows`` rows (at least the famous ones) of realistic, quirky transactions."""
    rnd = random.Random(seed)
    out: list[tuple] = list(FAMOUS)
    invoice = 536365
    while len(out) < rows:
        invoice += 1
        day = START + timedelta(days=min(len(out) * DAYS // max(rows, 1), DAYS - 1))
        day += timedelta(days=day.weekday() == 5)  # the shop shipped no orders on Saturdays
        when = day + timedelta(minutes=rnd.randrange(8 * 60, 20 * 60))
        customer = None if rnd.random() < 0.25 else float(rnd.randrange(12346, 18288))
        country = rnd.choice(COUNTRIES)
        kind = rnd.random()
        if kind < 0.08:  # a cancellation: C-prefixed invoice, negative quantities
            for code, desc, price in rnd.sample(PRODUCTS, rnd.choice([1, 1, 2, 3])):
                out.append((f"C{invoice}", code, desc, -rnd.choice([1, 2, 6, 12]), when, price,
                            customer or 14911.0, country))
            continue
        if kind < 0.09:  # a stock note: negative quantity, price 0, no customer
            code, desc, _ = rnd.choice(PRODUCTS)
            note = None if rnd.random() < 0.5 else rnd.choice(NOTES)
            out.append((str(invoice), code, note, -rnd.randrange(1, 200), when, 0.0, None, "United Kingdom"))
            continue
        lines = min(rnd.choice([1, 1, 4, 8, 12, 18, 24]), rows - len(out))
        for code, desc, price in rnd.sample(PRODUCTS, lines):
            roll = rnd.random()
            if roll < 0.006:
                code, desc, price = rnd.choice(NON_PRODUCTS)
            if code in OTHER_DESCRIPTIONS and roll > 0.9:
                desc = rnd.choice(OTHER_DESCRIPTIONS[code])
            if roll > 0.995:
                price = 0.0
            row = (str(invoice), code, desc, rnd.choice([1, 2, 3, 4, 6, 12, 24, 48]), when, price, customer, country)
            out.append(row)
            if rnd.random() < 0.01 and len(out) < rows:
                out.append(row)  # an exact duplicate line, as in the real export
    frame = pd.DataFrame(out[:max(rows, len(FAMOUS))], columns=COLUMNS)
    return frame.sort_values("InvoiceDate", kind="stable", ignore_index=True)


def write_csv(frame: pd.DataFrame, path: Path, *, encoding: str = "utf-8", dates: str = "iso",
              customer: str = "float") -> Path:
    """Write one of the real CSV shapes.

    encoding: "utf-8", "utf-8-sig" (with BOM) or "latin-1"; dates: "iso"
    (2010-12-01 08:26:00) or "us" (12/1/2010 8:26); customer: "float"
    (17850.0) or "int" (17850).
    """
    out = frame.copy()
    if dates == "iso":
        out["InvoiceDate"] = out["InvoiceDate"].dt.strftime("%Y-%m-%d %H:%M:%S")
    else:  # no zero padding, as Excel's US export writes it
        out["InvoiceDate"] = [f"{d.month}/{d.day}/{d.year} {d.hour}:{d.minute:02d}" for d in out["InvoiceDate"]]
    if customer == "int":
        out["CustomerID"] = out["CustomerID"].astype("Int64")
    out.to_csv(path, index=False, encoding=encoding)
    return Path(path)


def write_xlsx(frame: pd.DataFrame, path: Path) -> Path:
    """Write the original UCI shape: an .xlsx with the sheet "Online Retail"."""
    frame.to_excel(path, sheet_name="Online Retail", index=False, engine="openpyxl")
    return Path(path)


RETAIL_II = {"InvoiceNo": "Invoice", "UnitPrice": "Price", "CustomerID": "Customer ID"}  # UCI 502's renamed columns
RETAIL_II_SHEETS = ["Year 2009-2010", "Year 2010-2011"]


def write_retail_ii(frame: pd.DataFrame, path: Path) -> Path:
    """Write the Online Retail II shape (UCI dataset 502): Invoice, Price and Customer ID instead of InvoiceNo,
    UnitPrice and CustomerID. A .csv as write_csv writes it; an .xlsx with the rows split over the two sheets
    "Year 2009-2010" and "Year 2010-2011", first half, second half (no invoice on both)."""
    path = Path(path)
    if path.suffix != ".xlsx":
        out = frame.assign(InvoiceDate=frame["InvoiceDate"].dt.strftime("%Y-%m-%d %H:%M:%S"))
        out.rename(columns=RETAIL_II).to_csv(path, index=False)
        return path
    out = frame.rename(columns=RETAIL_II)
    # Split where no invoice number is on both sides, as in the real workbook: an invoice from line f to line l
    # forbids splits f+1..l (the generator reuses a few numbers, e.g. 536544, far apart).
    at = pd.Series(range(len(out))).groupby(out["Invoice"].to_numpy())
    spans = np.zeros(len(out) + 2, dtype=int)
    np.add.at(spans, at.min().to_numpy() + 1, 1)
    np.add.at(spans, at.max().to_numpy() + 1, -1)
    clean = np.flatnonzero(spans.cumsum()[:len(out) + 1] == 0)
    half = int(clean[np.abs(clean - len(out) // 2).argmin()])
    with pd.ExcelWriter(path, engine="openpyxl") as book:
        for sheet, part in zip(RETAIL_II_SHEETS, (out.iloc[:half], out.iloc[half:])):
            part.to_excel(book, sheet_name=sheet, index=False)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="a .csv or .xlsx path")
    parser.add_argument("--rows", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    frame = generate(args.rows, args.seed)
    (write_xlsx if args.out.suffix == ".xlsx" else write_csv)(frame, args.out)
    print(f"wrote {len(frame):,} rows to {args.out}")


if __name__ == "__main__":
    main()
