"""Session 1: the header dialects of the Online Retail exports, mapped to one set of names.

UCI publishes the shop's data twice: "Online Retail" (dataset 352, 2010–2011)
and "Online Retail II" (dataset 502, 2009–2011, about a million rows). Same
data model, renamed columns: Invoice, Price and "Customer ID" instead of
InvoiceNo, UnitPrice and CustomerID. The pipeline detects which header a file
has, says so, and renames it to the first dialect's names (the canonical ones
bronze is built on). A header that matches none is left as it is, so the
missing-columns check names what is missing, exactly as before.
"""
from __future__ import annotations

from collections.abc import Iterable
from itertools import accumulate, combinations

import pandas as pd

CANONICAL = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
DIALECTS: dict[str, dict[str, str]] = {  # dialect -> {its column: the canonical column}
    "online_retail": {c: c for c in CANONICAL},
    "online_retail_ii": {"Invoice": "InvoiceNo", "StockCode": "StockCode", "Description": "Description",
                         "Quantity": "Quantity", "InvoiceDate": "InvoiceDate", "Price": "UnitPrice",
                         "Customer ID": "CustomerID", "Country": "Country"},
}


def detect(columns: Iterable) -> str | None:
    """The first dialect whose every column the header has (extra columns allowed), else None."""
    found = {str(c) for c in columns}
    return next((name for name, mapping in DIALECTS.items() if set(mapping) <= found), None)


def extra_columns(columns: Iterable) -> list[str]:
    """Columns of the header the detected dialect does not use: read, then ignored (say so)."""
    dialect = detect(columns)
    used = set(DIALECTS[dialect]) if dialect else set()
    return [str(c) for c in columns if str(c) not in used]


def to_canonical(frame: pd.DataFrame) -> pd.DataFrame:
    """The frame with the canonical column names, when its header is a known dialect; else unchanged."""
    dialect = detect(frame.columns)
    if dialect is None or dialect == "online_retail":
        return frame
    return frame.rename(columns=DIALECTS[dialect])


def repeated_in_earlier_sheets(frame: pd.DataFrame) -> tuple[list[int], list[str]]:
    """Lines of a later sheet whose invoice an earlier sheet already holds, and one note per pair of sheets.

    A workbook whose sheets overlap in time holds those invoices twice (read_xlsx's
    attrs say where each sheet is). Loaded from both, their sales would count
    twice; the later sheet's copies are rejected instead (kept, with their reason),
    so the counts still reconcile and nothing is lost.
    Returns (source_line numbers to reject, warning lines).
    """
    names, rows = frame.attrs.get("sheets", []), frame.attrs.get("sheet_rows", [])
    if len(names) < 2 or detect(frame.columns) is None:
        return [], []
    invoices = to_canonical(frame)["InvoiceNo"].astype(str)
    bounds = [0, *accumulate(rows)]
    sheets = [(name, a, b, set(invoices.iloc[a:b])) for name, a, b in zip(names, bounds, bounds[1:])]
    lines, notes = [], []
    for (first, _, _, earlier), (later, a, b, mine) in combinations(sheets, 2):
        if shared := earlier & mine:
            repeated = [a + 1 + int(i) for i in invoices.iloc[a:b].isin(shared).to_numpy().nonzero()[0]]
            lines += repeated
            notes.append(f"sheets {first!r} and {later!r} share {len(shared):,} invoices (e.g. {min(shared)}): "
                         f"their {len(repeated):,} lines in {later!r} are rejected as repeated_in_earlier_sheet, "
                         "not counted twice")
    return sorted(set(lines)), notes
