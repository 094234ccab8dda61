"""Your fix for missing_columns: read the header before the data.

Run: pytest --student sessions/session1 -k missing_columns -s

validate_columns(frame) returns None when every name of COLUMNS is one of
frame.columns (in any order; extra columns are fine). Else it raises ONE
MissingColumns whose message starts

    missing required columns: UnitPrice, CustomerID, Country (found: InvoiceNo, StockCode, ..., Country )

naming every missing column, in the order of COLUMNS, then "(found: " and the
columns the frame has, each as it is written (so "Country " with its trailing
space shows why Country counts as missing). Names are compared exactly, as
clean() will use them: "customerid", " InvoiceDate" or "Country " are not the
required column. The frame's column names need not be text: a file read
without its header has columns 0, 1, 2, ...
"""
from __future__ import annotations

import pandas as pd

from sessions.session1.cleaning import COLUMNS, MissingColumns


def validate_columns(frame: pd.DataFrame) -> None:
    # TODO(missing_columns): list every name of COLUMNS that is not in
    # frame.columns (exact names), in COLUMNS order; if any, raise
    # MissingColumns("missing required columns: A, B (found: X, Y, ...); ...")
    # naming them all at once and every column found (str() of each name).
    raise NotImplementedError("TODO(missing_columns): write validate_columns")
