"""Session 3: the data arrives day by day, so it is loaded one day (one batch) at a time.

``load_batch`` is all or nothing: session 1's ingest of the day, the day's dead
letters and its checkpoint commit in ONE transaction. A crash anywhere before
that commit leaves no trace; after it, the checkpoint is there with the rows it
describes. Running a batch again replaces its rows (session 1 keys bronze by
source file and line), so a redo never duplicates: at-least-once delivery plus
idempotent writes gives exactly-once results.
"""
from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

import pandas as pd

from sessions.session1.cleaning import validate_columns
from sessions.session1.ingest import ingest_frame
from sessions.session3 import hooks
from sessions.session3.db import caller_commits
from sessions.session3.deadletter import DATA_ERRORS, isolate_poison, restore_lines, write_dead_letters

log = logging.getLogger("session3.batches")


@dataclass(frozen=True)
class Batch:
    batch_id: str          # also the source_file of its rows in bronze: 'day:2010-12-01'
    frame: pd.DataFrame    # the day's raw rows, index 0..n-1 (batch line = index + 1)

    @property
    def sha256(self) -> str:
        """Fingerprint of the input: a changed day is loaded again, an unchanged one is not."""
        return hashlib.sha256(pd.util.hash_pandas_object(self.frame, index=False).values.tobytes()).hexdigest()


@dataclass(frozen=True)
class BatchResult:
    batch_id: str
    rows_in: int
    loaded: int
    rejected: int
    dead_lettered: int
    seconds: float


def split_days(frame: pd.DataFrame) -> list[Batch]:
    """One batch per calendar day of InvoiceDate, in date order.

    A row whose date cannot be read belongs to the day it arrived with (the
    previous row's): it is not lost here, the ingest rejects it with a reason.
    A frame without the export's columns is refused before any batch starts
    (session 1's ``MissingColumns``, naming every missing column).
    """
    validate_columns(frame)
    when = pd.to_datetime(frame["InvoiceDate"], errors="coerce", format="mixed")
    day = when.dt.strftime("%Y-%m-%d").ffill().bfill().fillna("undated")
    return [Batch(f"day:{d}", part.reset_index(drop=True)) for d, part in frame.groupby(day, sort=True)]


def load_batch(conn, batch: Batch) -> BatchResult:
    """Load one batch, its dead letters and its checkpoint in one transaction."""
    start = time.perf_counter()
    try:
        with caller_commits(conn):
            report, dead = _ingest_isolating_poison(conn, batch)
            hooks.reached("batch:ingested")
            write_dead_letters(conn, batch.batch_id, dead)
            rejected = sum(report.rejected.values())
            with conn.cursor() as cur:
                # The CHECK (rows_in = loaded + rejected + dead_lettered) refuses a batch that does not reconcile.
                cur.execute("""INSERT INTO pipeline.checkpoints AS c
                                   (batch_id, source_sha256, rows_in, loaded, rejected, dead_lettered)
                               VALUES (%s, %s, %s, %s, %s, %s)
                               ON CONFLICT (batch_id) DO UPDATE SET source_sha256 = excluded.source_sha256,
                                   rows_in = excluded.rows_in, loaded = excluded.loaded, rejected = excluded.rejected,
                                   dead_lettered = excluded.dead_lettered, done_at = now()""",
                            (batch.batch_id, batch.sha256, len(batch.frame), report.loaded, rejected, len(dead)))
            hooks.reached("batch:checkpointed")
        conn.commit()  # the one commit: rows, dead letters and checkpoint together
    except BaseException:
        if not conn.closed:
            conn.rollback()
        raise
    hooks.reached("batch:committed")
    result = BatchResult(batch.batch_id, len(batch.frame), report.loaded, rejected, len(dead),
                         time.perf_counter() - start)
    log.info("batch loaded", extra={"event": "batch_loaded", "batch_id": batch.batch_id, "rows_in": result.rows_in,
                                    "loaded": result.loaded, "rejected": result.rejected,
                                    "dead_lettered": result.dead_lettered, "seconds": round(result.seconds, 3)})
    return result


def _ingest_isolating_poison(conn, batch: Batch):
    """Ingest the batch; if the database refuses it because of some rows, set those aside."""
    with conn.cursor() as cur:
        cur.execute("SAVEPOINT whole_batch")
    try:
        return ingest_frame(conn, batch.frame, batch.batch_id), []
    except DATA_ERRORS as err:  # anything else (the server, the connection) is for the retry to judge
        with conn.cursor() as cur:
            cur.execute("ROLLBACK TO SAVEPOINT whole_batch")
        dead = isolate_poison(conn, batch, err)
        good = batch.frame.drop(index=[line - 1 for line, _, _ in dead])
        report = ingest_frame(conn, good, batch.batch_id)
        restore_lines(conn, batch.batch_id, [int(i) + 1 for i in good.index])
        log.warning("poison rows set aside", extra={"event": "dead_lettered", "batch_id": batch.batch_id,
                                                    "dead_lettered": len(dead), "error": type(err).__name__})
        return report, dead


def checkpoint_status(conn) -> dict[str, tuple]:
    """Every batch checkpoint next to what the tables really hold for that batch."""
    with conn.cursor() as cur:
        cur.execute("""
            WITH b AS (SELECT source_file, count(*) AS n FROM bronze.raw_transactions GROUP BY source_file),
                 r AS (SELECT source_file, count(*) AS n FROM bronze.rejected_rows GROUP BY source_file),
                 d AS (SELECT batch_id, count(*) AS n FROM pipeline.dead_letters GROUP BY batch_id)
            SELECT c.batch_id, c.source_sha256, c.loaded, c.rejected, c.dead_lettered,
                   coalesce(b.n, 0), coalesce(r.n, 0), coalesce(d.n, 0)
              FROM pipeline.checkpoints c
              LEFT JOIN b ON b.source_file = c.batch_id LEFT JOIN r ON r.source_file = c.batch_id
              LEFT JOIN d ON d.batch_id = c.batch_id
             WHERE c.batch_id LIKE 'day:%'""")
        rows = cur.fetchall()
    conn.rollback()
    return {row[0]: row[1:] for row in rows}


def is_done(status: dict[str, tuple], batch: Batch) -> bool:
    """Trust a checkpoint only if the input is the same and the tables still hold what it says."""
    found = status.get(batch.batch_id)
    if found is None:
        return False
    sha, loaded, rejected, dead, *actual = found
    if sha != batch.sha256:
        log.warning("input changed since the checkpoint; loading the batch again",
                    extra={"event": "checkpoint_changed_input", "batch_id": batch.batch_id})
        return False
    if [loaded, rejected, dead] != actual:
        log.warning(f"stale checkpoint: it says {loaded}/{rejected}/{dead} rows loaded/rejected/dead-lettered, "
                    f"the tables hold {actual[0]}/{actual[1]}/{actual[2]}; loading the batch again",
                    extra={"event": "checkpoint_stale", "batch_id": batch.batch_id})
        return False
    return True
