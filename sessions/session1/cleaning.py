"""Session 1, step 2: validate and clean, by rules written down here.

Every input row ends up in exactly one of two places: ``good`` (loaded into
bronze) or ``rejected`` (quarantined with the first rule it broke). Nothing is
dropped silently, so rows read = rows loaded + rows rejected, always.

The business rules (why each one):

* invoice_no, stock_code and country must be present: without them a line
  cannot be attributed to an order, a product or a market.
* quantity must be a whole number and not 0 (a line of nothing is a typo);
  unit_price a number; invoice_date a date (ISO ``2010-12-01 08:26:00`` or the
  US export's ``12/1/2010 8:26``, month first, both without a time zone: the
  shop's local time); customer_id empty (a guest checkout) or a positive
  whole number (``17850`` and ``17850.0`` are the same customer).
* unit_price within [0, 10000], both bounds valid (the course's price rule,
  ``price_out_of_range``). It quarantines the two ``-11062.06`` bad-debt
  adjustments and their ``+11062.06`` twin, the ``38970`` manual entry
  (cancelled) and eight AMAZONFEE accounting lines: real events, but not
  product sales; a person decides about them from ``bronze.rejected_rows``.
* a CSV whose content does not end in a newline was cut mid-row (a copy or
  download stopped half-way, ``guards.cut_last_line``): its last row is
  rejected as ``truncated_last_line`` (``reject_last_row``), never loaded as
  if it were whole (``Country`` "United" instead of "United Kingdom").
* a later sheet's line of an invoice an earlier sheet holds (a workbook
  whose sheets overlap in time) is rejected as ``repeated_in_earlier_sheet``
  (``reject_lines``): loaded from both sheets, it would count twice.
* a cancellation (invoice_no starting with ``C``) is a real business event: it
  is KEPT and flagged ``is_cancellation``; only a cancellation with a positive
  quantity contradicts itself and is rejected.
* exact duplicates (all eight values equal within one file; 5,268 in the real
  data) are KEPT and flagged ``is_duplicate`` on the second and later copies:
  the export cannot tell a double scan from a customer ordering twice, so
  bronze keeps what the source said and the flag lets silver decide.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sessions.session1 import dialects
from sessions.session1.reader import IngestError

COLUMNS = ["InvoiceNo", "StockCode", "Description", "Quantity", "InvoiceDate", "UnitPrice", "CustomerID", "Country"]
BRONZE = {"InvoiceNo": "invoice_no", "StockCode": "stock_code", "Description": "description", "Quantity": "quantity",
          "InvoiceDate": "invoice_date", "UnitPrice": "unit_price", "CustomerID": "customer_id", "Country": "country"}
PRICE_MIN, PRICE_MAX = 0, 10_000
INT_MAX = 2**31 - 1  # PostgreSQL integer


class MissingColumns(IngestError, ValueError):
    """The input lacks columns the pipeline needs."""


@dataclass
class Cleaned:
    good: pd.DataFrame      # bronze columns + source_line, is_cancellation, is_duplicate
    rejected: pd.DataFrame  # source_line, reason, raw (the row as read, JSON of text values)


def validate_columns(frame: pd.DataFrame) -> None:
    """Check the header up front and name EVERY missing column in one error."""
    missing = [c for c in COLUMNS if c not in frame.columns]
    if missing:
        raise MissingColumns(f"missing required columns: {', '.join(missing)} "
                             f"(found: {', '.join(map(str, frame.columns)) or 'none'}); "
                             "is this the Online Retail export, with its header row?")


def _text(s: pd.Series) -> pd.Series:
    """Text with "" and NaN as missing; 536365.0 from a spreadsheet cell becomes '536365'."""
    if s.dtype != object and not pd.api.types.is_numeric_dtype(s):
        out = s.astype("str").str.strip()
    else:
        out = s.map(lambda v: v if isinstance(v, str) or pd.isna(v) else
                    str(int(v)) if isinstance(v, float) and v.is_integer() else str(v), na_action="ignore")
        out = out.astype("str").str.strip()
    return out.where(out != "")


def _present(s: pd.Series) -> pd.Series:
    """Not NaN and not the empty cell (a CSV read as text has "" there)."""
    return s.notna() & (s.astype("str") != "")


DATE_FORMATS = ["%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%m/%d/%Y %H:%M", "%m/%d/%Y %H:%M:%S"]  # ISO, then US


def _dates(s: pd.Series) -> pd.Series:
    """Local shop time, as the export writes it; anything else (an offset, a word) is invalid."""
    if isinstance(s.dtype, pd.DatetimeTZDtype):
        return s.dt.tz_localize(None).astype("datetime64[us]")  # the wall-clock time the cell shows
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.astype("datetime64[us]")
    out = pd.Series(pd.NaT, index=s.index, dtype="datetime64[us]")
    for fmt in DATE_FORMATS:
        rest = out.isna() & _present(s)
        if not rest.any():
            break
        out[rest] = pd.to_datetime(s[rest], format=fmt, errors="coerce")
    return out


def price_out_of_range(price: pd.Series) -> pd.Series:
    """The course's price rule: True where a unit price lies outside [PRICE_MIN, PRICE_MAX].

    Both bounds are valid (0 is a free item, 10000 the dearest line the shop
    sells). A NaN price (not a number) is False here: the invalid_unit_price
    rule, checked before this one, has rejected its row already.
    """
    return (price < PRICE_MIN) | (price > PRICE_MAX)


def _raw_json(frame: pd.DataFrame) -> list[str]:
    return [json.dumps({k: (None if pd.isna(v) else str(v)) for k, v in row.items()}, ensure_ascii=False)
            for row in frame.to_dict("records")]


def clean(frame: pd.DataFrame) -> Cleaned:
    """Apply the rules above; each row is good or rejected with its first broken rule.

    A known header dialect (Online Retail II's Invoice, Price, Customer ID) is
    renamed to the canonical columns first.
    """
    frame = dialects.to_canonical(frame)
    validate_columns(frame)
    src = frame[COLUMNS].reset_index(drop=True)
    out = pd.DataFrame({"source_line": np.arange(1, len(src) + 1, dtype="int64")})
    for col in ("InvoiceNo", "StockCode", "Country"):
        out[BRONZE[col]] = _text(src[col])
    out["description"] = src["Description"].where(_present(src["Description"])).astype("str")
    quantity = pd.to_numeric(src["Quantity"], errors="coerce")
    price = pd.to_numeric(src["UnitPrice"], errors="coerce")
    customer = pd.to_numeric(src["CustomerID"], errors="coerce")
    out["invoice_date"] = _dates(src["InvoiceDate"])
    cancel = out["invoice_no"].str.startswith("C", na=False)
    whole = lambda x: x.notna() & np.isfinite(x) & (x == np.round(x)) & (x.abs() <= INT_MAX)
    rules = [  # (reason, rows breaking it): the first broken rule is the row's reason
        ("missing_invoice_no", out["invoice_no"].isna()),
        ("missing_stock_code", out["stock_code"].isna()),
        ("missing_country", out["country"].isna()),
        ("invalid_quantity", ~whole(quantity)),
        ("invalid_invoice_date", out["invoice_date"].isna()),
        ("invalid_unit_price", price.isna() | ~np.isfinite(price)),
        ("invalid_customer_id", _present(src["CustomerID"]) & ~(whole(customer) & (customer > 0))),
        ("zero_quantity", quantity == 0),
        ("price_out_of_range", price_out_of_range(price)),
        ("cancellation_not_negative", cancel & (quantity > 0)),
    ]
    reason = pd.Series(pd.NA, index=out.index, dtype="object")
    for name, broken in rules:
        reason = reason.mask(reason.isna() & broken.fillna(False).to_numpy(bool), name)
    bad = reason.notna().to_numpy()
    rejected = pd.DataFrame({"source_line": out.loc[bad, "source_line"].to_numpy(),
                             "reason": reason[bad].astype("str").to_numpy(), "raw": _raw_json(src[bad])})
    good = out[~bad].copy()
    good["quantity"] = quantity[~bad].astype("int64")
    good["unit_price"] = price[~bad].astype("float64")
    good["customer_id"] = customer[~bad].round().astype("Int64")
    good["is_cancellation"] = cancel[~bad].to_numpy(bool)
    values = ["invoice_no", "stock_code", "description", "quantity", "invoice_date", "unit_price", "customer_id",
              "country"]
    good["is_duplicate"] = good.duplicated(subset=values, keep="first")
    return Cleaned(good[["source_line", *values, "is_cancellation", "is_duplicate"]].reset_index(drop=True),
                   rejected)


def reject_last_row(cleaned: Cleaned, frame: pd.DataFrame, reason: str = "truncated_last_line") -> Cleaned:
    """The same rows, the last one rejected with ``reason`` whatever it was before (the file was cut there)."""
    return reject_lines(cleaned, frame, [len(frame)] if len(frame) else [], reason)


def reject_lines(cleaned: Cleaned, frame: pd.DataFrame, lines: list[int], reason: str) -> Cleaned:
    """The same rows, those at ``lines`` (source_line numbers) rejected with ``reason`` whatever they were before."""
    if not lines:
        return cleaned
    raw = _raw_json(dialects.to_canonical(frame)[COLUMNS].iloc[[n - 1 for n in lines]])
    rejected = pd.concat([cleaned.rejected[~cleaned.rejected["source_line"].isin(lines)],
                          pd.DataFrame({"source_line": lines, "reason": reason, "raw": raw})], ignore_index=True)
    return Cleaned(cleaned.good[~cleaned.good["source_line"].isin(lines)].reset_index(drop=True), rejected)


def as_source(good: pd.DataFrame) -> pd.DataFrame:
    """Cleaned rows back in the source's column names (to re-clean them: cleaning is idempotent)."""
    return good.rename(columns={v: k for k, v in BRONZE.items()})[COLUMNS]
