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
import psycopg2
import psycopg2.errors

SCHEMA_SQL = Path(__file__).with_name("schema.sql")
RAW_COLUMNS = ["source_file", "source_line", "invoice_no", "stock_code", "description", "quantity", "invoice_date",
               "unit_price", "customer_id", "country", "is_cancellation", "is_duplicate"]
REJECTED_COLUMNS = ["source_file", "source_line", "reason", "raw"]


def create_schema(conn) -> None:
    """Create bronze.raw_transactions and bronze.rejected_rows (safe to run again)."""
    with conn.cursor() as cur:
        cur.execute(SCHEMA_SQL.read_text())
    conn.commit()


class CsvStream(io.TextIOBase):
    """The frame as CSV, made chunk by chunk while COPY reads it.

    PostgreSQL parses chunk N while Python formats chunk N+1, so building the
    text and loading it overlap (two cores, both busy); memory stays at one
    chunk instead of the whole 50 MB, and each chunk is a natural progress step.
    """

    def __init__(self, frame: pd.DataFrame, chunk_rows: int = 50_000,
                 progress: Callable[[float], None] | None = None):
        self._frame, self._rows, self._progress = frame, chunk_rows, progress
        self._at, self._chunk = 0, io.StringIO()

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> str:
        out = self._chunk.read(size)
        while (size < 0 or len(out) < size) and self._at < len(self._frame):
            chunk = self._frame.iloc[self._at:self._at + self._rows]
            self._chunk = io.StringIO(chunk.to_csv(index=False, header=False, date_format="%Y-%m-%d %H:%M:%S"))
            self._at += len(chunk)
            if self._progress:
                self._progress(self._at / len(self._frame))
            out += self._chunk.read(-1 if size < 0 else size - len(out))
        return out


def copy_frame(cur, frame: pd.DataFrame, table: str, columns: list[str],
               progress: Callable[[float], None] | None = None) -> int:
    """COPY a frame's columns into a table: one statement instead of one INSERT per row."""
    cur.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN WITH (FORMAT csv)",
                    CsvStream(frame[columns], progress=progress), size=1 << 16)
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


class StepTimedOut(Exception):
    """One step of the job ran past the time budget it was given."""


def run_with_budget(conn, sql: str, params: tuple | None = None, *, budget_ms: int, step: str) -> list[tuple]:
    """Run one step in its own transaction under a statement_timeout chosen for it.

    The budget is set on purpose per step (SET LOCAL ends with the transaction),
    not inherited from a server default nobody remembers. Past it PostgreSQL
    cancels the statement (QueryCanceled, SQLSTATE 57014); this rolls back and
    says which step, which budget, and what to do, so slow work is split into
    batches that each fit the budget instead of one statement that never ends.
    """
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT set_config('statement_timeout', %s, true)", (f"{int(budget_ms)}ms",))
            cur.execute(sql, params)
            rows = cur.fetchall() if cur.description else []
        conn.commit()
        return rows
    except psycopg2.errors.QueryCanceled as err:
        conn.rollback()
        raise StepTimedOut(f"step '{step}' ran past its budget of {budget_ms} ms (statement_timeout) and was "
                           "cancelled; split it into smaller batches or give this step a larger budget") from err
    except BaseException:
        conn.rollback()  # any other error ends the step's transaction too: the connection stays usable
        raise
