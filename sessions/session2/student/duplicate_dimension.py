"""Your fix for duplicate_dimension: one row per code, upserted (SCD1) or versioned (SCD2).

Run: pytest --student sessions/session2 -k duplicate_dimension -s
"""
from __future__ import annotations

from datetime import datetime


def scd1_upsert(conn, rows: list[tuple[str, str]]) -> int:
    # TODO(duplicate_dimension): refuse two rows for one code (ValueError), then
    # INSERT INTO silver.dim_product … ON CONFLICT (stock_code) DO UPDATE SET
    # description = EXCLUDED.description WHERE it differs; commit and return the
    # rows written (0 when nothing changed).
    raise NotImplementedError("TODO(duplicate_dimension): write scd1_upsert")


def scd2_upsert(conn, rows: list[tuple[str, str]], at: datetime) -> int:
    # TODO(duplicate_dimension): create silver.dim_product_history (valid_from,
    # valid_to; one current row per code), close the current version of each
    # changed code at `at`, open a new one; return the versions opened.
    raise NotImplementedError("TODO(duplicate_dimension): write scd2_upsert")
