"""Your fix for invalid_schema: one bad cell must not sink the whole file.

Run: pytest --student sessions/session1 -k invalid_schema -s
"""
from __future__ import annotations

import pandas as pd

from sessions.session1.cleaning import Cleaned


def clean(frame: pd.DataFrame) -> Cleaned:
    # TODO(invalid_schema): number the rows (source_line = 1, 2, ...); convert
    # Quantity, UnitPrice, CustomerID with pd.to_numeric(errors="coerce") and
    # InvoiceDate with pd.to_datetime(errors="coerce"); a value present but not
    # converted breaks a rule ("invalid_quantity", ...). Return Cleaned(good,
    # rejected): good in bronze column names and types, rejected with
    # source_line, reason and raw (the row as JSON text).
    raise NotImplementedError("TODO(invalid_schema): write clean")
