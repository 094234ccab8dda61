"""Session 1, step 3: load into bronze with COPY, replacing the file's rows atomically.

Idempotent per source file: a re-run deletes that file's previous rows and
quarantine entries and COPYs the new ones in ONE transaction. Twice = once;
a crash or error half-way rolls back to the previous state.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path

import pandas as pd

SCHEMA_SQL = Path(__file__).with_name("schema.sql")
RAW_COLUMNS = ["source_file", "source_line", "invoice_no", "stock_code", "description", "quantity", "invoice_date",
               "unit_price", "customer_id", "country", "is_cancellation", "is_duplicate"]
REJECTED_COLUMNS = ["source_file", "source_line", "reason", "raw"]


def create_schema(conn) -> None:
    """Create bronze.raw_transactions and bronze.rejected_rows (safe to run again)."""
    with conn.cursor() as cur:
        cur.execute(SCHEMA_SQL.read_text())
    conn.commit()


class _Progress(io.TextIOBase):
    """A CSV buffer that reports how much of it COPY has read, for large loads."""

    def __init__(self, text: str, report: Callable[[float], None]):
        self._buf, self._size, self._report, self._next = io.StringIO(text), max(len(text), 1), report, 0.1

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> str:
        chunk = self._buf.read(size)
        done = self._buf.tell() / self._size
        while done >= self._next:
            self._report(self._next)
            self._next += 0.1
        return chunk


def copy_frame(cur, frame: pd.DataFrame, table: str, columns: list[str],
               progress: Callable[[float], None] | None = None) -> int:
    """COPY a frame's columns into a table: one round trip instead of one INSERT per row."""
    text = frame[columns].to_csv(index=False, header=False, date_format="%Y-%m-%d %H:%M:%S")
    source = _Progress(text, progress) if progress else io.StringIO(text)
    cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)", source)
    return cur.rowcount


def replace_source(conn, source_file: str, good: pd.DataFrame, rejected: pd.DataFrame,
                   progress: Callable[[float], None] | None = None) -> int:
    """Replace everything previously loaded from ``source_file``, in one transaction."""
    good = good.assign(source_file=source_file)
    rejected = rejected.assign(source_file=source_file)
    try:
        with conn.cursor() as cur:
            # The file is the unit of work: serialise concurrent loads of the same file.
            cur.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", (source_file,))
            cur.execute("DELETE FROM bronze.raw_transactions WHERE source_file = %s", (source_file,))
            cur.execute("DELETE FROM bronze.rejected_rows WHERE source_file = %s", (source_file,))
            loaded = copy_frame(cur, good, "bronze.raw_transactions", RAW_COLUMNS, progress)
            copy_frame(cur, rejected, "bronze.rejected_rows", REJECTED_COLUMNS)
        conn.commit()
    except BaseException:
        conn.rollback()  # the previous load of this file stays exactly as it was
        raise
    return loaded
