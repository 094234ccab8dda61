"""Session 3: poison rows go to a dead-letter table, and the batch goes on.

A poison row is one the database refuses (a value out of range, a character
PostgreSQL cannot store): retrying the batch fails the same way every time, so
the whole day would never load. Instead the batch is bisected inside savepoints
to find exactly the refused rows (about 2·log2(n) probe loads per poison row),
those rows are stored with the reason and the batch id, and the rest is loaded.
"""
from __future__ import annotations

import json

import pandas as pd
import psycopg2
from psycopg2.extras import execute_values

from sessions.session1.ingest import ingest_frame
from sessions.session3.retry import one_line as reason_of  # a dead letter's reason: class, SQLSTATE, message


# Errors that say "this data", not "this server": SQLSTATE classes 22 (data exception)
# and 23 (integrity constraint). Anything else fails the batch as a whole.
DATA_ERRORS = (psycopg2.DataError, psycopg2.IntegrityError)
SHIFT = 1_000_000_000  # moves renumbered lines out of the way (bronze's key is checked row by row)


def _probe(conn, part: pd.DataFrame, batch_id: str) -> BaseException | None:
    """Would the database take these rows? Tried and always undone, inside a savepoint."""
    with conn.cursor() as cur:
        cur.execute("SAVEPOINT probe")
    try:
        ingest_frame(conn, part, f"probe:{batch_id}")
        return None
    except DATA_ERRORS as err:
        return err
    finally:
        with conn.cursor() as cur:
            cur.execute("ROLLBACK TO SAVEPOINT probe")


def isolate_poison(conn, batch, err: BaseException) -> list[tuple[int, str, str]]:
    """(batch line, reason, raw json) of each row the database refuses; raise ``err`` if none alone is to blame."""
    found: list[tuple[int, str, str]] = []

    def bisect(part: pd.DataFrame, error: BaseException | None) -> None:
        error = error or _probe(conn, part, batch.batch_id)
        if error is None:
            return
        if len(part) == 1:
            row = part.iloc[0]
            raw = raw_json(row)
            found.append((int(part.index[0]) + 1, reason_of(error), raw))
            return
        mid = len(part) // 2
        bisect(part.iloc[:mid], None)
        bisect(part.iloc[mid:], None)

    bisect(batch.frame, err)
    if not found:  # the rows are fine one by one: the batch as a whole is wrong
        raise err
    return found


def raw_json(row: pd.Series) -> str:
    """The row as text values; a NUL shown as the 6 characters \\u0000, since jsonb cannot hold NUL either."""
    text = json.dumps({k: (None if pd.isna(v) else str(v)) for k, v in row.items()}, ensure_ascii=False)
    return text.replace("\\u0000", "\\\\u0000")


def restore_lines(conn, source_file: str, kept_lines: list[int]) -> None:
    """Give the loaded rows their line in the batch again (session 1 numbers what it is given, 1..n)."""
    with conn.cursor() as cur:
        for table in ("bronze.raw_transactions", "bronze.rejected_rows"):
            cur.execute(f"UPDATE {table} SET source_line = source_line + %s WHERE source_file = %s",
                        (SHIFT, source_file))
            cur.execute(f"""UPDATE {table} t SET source_line = m.line
                              FROM unnest(%s::int[]) WITH ORDINALITY AS m(line, n)
                             WHERE t.source_file = %s AND t.source_line = m.n + %s""",
                        (kept_lines, source_file, SHIFT))


def write_dead_letters(conn, batch_id: str, dead: list[tuple[int, str, str]]) -> None:
    """Replace the batch's dead letters (a redo must not add them twice)."""
    with conn.cursor() as cur:
        cur.execute("DELETE FROM pipeline.dead_letters WHERE batch_id = %s", (batch_id,))
        if dead:
            execute_values(cur, "INSERT INTO pipeline.dead_letters (batch_id, batch_line, reason, raw) VALUES %s",
                           [(batch_id, line, reason, raw) for line, reason, raw in dead])
