"""Your fix for negative_prices: the price rule in the code, violators kept aside, counts that add up.

Run: pytest --student sessions/session1 -k negative_prices -s

Two functions:

price_out_of_range(price) is the course's price rule. price is the UnitPrice
column as numbers (float64; NaN where a cell was not a number). Return a bool
pandas Series with price's index: True where the price lies OUTSIDE
[PRICE_MIN, PRICE_MAX] = [0, 10000]. Both bounds are valid (0 is a free item,
10000 is allowed); -0.01 and 10000.01 are out. For NaN, True or False: the
invalid_unit_price rule has rejected that row already. cleaning.clean() calls
cleaning.price_out_of_range for its "price_out_of_range" rule: the tests plug
yours in there.

ingest_frame(conn, frame, source_file, progress=None) validates, cleans and
loads one source's rows (bronze tables exist: load.create_schema ran):

* cleaned = cleaning.clean(frame): Cleaned(good, rejected), with your rule;
* load.replace_source(conn, source_file, cleaned.good, cleaned.rejected): the
  good rows go to bronze.raw_transactions, the rejected ones (source_line,
  reason, raw) to bronze.rejected_rows; a re-run of the same source_file
  replaces its rows, it does not add them again;
* return ingest.IngestReport(source_file, read=len(frame), loaded=rows loaded,
  rejected={reason: rows, ...} (a dict, the rejected rows counted by the
  reason cleaning gave each, e.g. {"price_out_of_range": 4,
  "missing_invoice_no": 1}),
  cancellations=loaded rows flagged is_cancellation, duplicates=loaded rows
  flagged is_duplicate), whose counts add up: read == loaded +
  sum(rejected.values()) (report.reconciles). progress may be ignored.
"""
from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from sessions.session1 import cleaning, load
from sessions.session1.cleaning import PRICE_MAX, PRICE_MIN
from sessions.session1.ingest import IngestReport


def price_out_of_range(price: pd.Series) -> pd.Series:
    # TODO(negative_prices): return a bool Series (price's index), True where
    # price < PRICE_MIN or price > PRICE_MAX; both bounds are valid prices.
    raise NotImplementedError("TODO(negative_prices): write price_out_of_range")


def ingest_frame(conn, frame: pd.DataFrame, source_file: str,
                 progress: Callable[[str], None] | None = None) -> IngestReport:
    # TODO(negative_prices): cleaned = cleaning.clean(frame) (its rules include
    # your price rule -> reason "price_out_of_range"); load the good rows and
    # the rejected ones with load.replace_source(conn, source_file, ...).
    # Return IngestReport(source_file, read=len(frame), loaded=..., rejected=
    # {reason: count}, cancellations=..., duplicates=...), and check that read
    # == loaded + sum(rejected.values()).
    raise NotImplementedError("TODO(negative_prices): write ingest_frame")
