"""Attempts at partial_batch_failure (spoilers): what students hand in, and the verdict due."""
import logging
import time

import psycopg2

from failurelab.attempts import right, wrong
from sessions.session1 import cleaning, load
from sessions.session1.ingest import ingest_frame
from sessions.session3.batches import Batch, BatchResult
from sessions.session3.db import caller_commits

log = logging.getLogger("session3.batches")
CHECKPOINT = """INSERT INTO pipeline.checkpoints (batch_id, source_sha256, rows_in, loaded, rejected, dead_lettered)
                VALUES (%s, %s, %s, %s, %s, 0)
                ON CONFLICT (batch_id) DO UPDATE SET source_sha256 = excluded.source_sha256,
                    rows_in = excluded.rows_in, loaded = excluded.loaded, rejected = excluded.rejected,
                    dead_lettered = 0, done_at = now()"""


def _checkpoint(conn, batch, loaded, rejected):
    with conn.cursor() as cur:
        cur.execute(CHECKPOINT, (batch.batch_id, batch.sha256, len(batch.frame), loaded, rejected))


@right("checkpoint first, then session 1's clean + replace_source called directly; one commit, rollback in finally")
class CheckpointFirstOneCommit:
    def load_batch(conn, batch: Batch) -> BatchResult:
        start = time.perf_counter()
        cleaned = cleaning.clean(batch.frame)
        committed = False
        try:
            with caller_commits(conn):
                _checkpoint(conn, batch, len(cleaned.good), len(cleaned.rejected))
                loaded = load.replace_source(conn, batch.batch_id, cleaned.good, cleaned.rejected)
            conn.commit()
            committed = True
        finally:
            if not committed and not conn.closed:
                conn.rollback()
        return BatchResult(batch.batch_id, len(batch.frame), loaded, len(cleaned.rejected), 0,
                           time.perf_counter() - start)


@right("catches BaseException, logs the failure, rolls back and re-raises")
class LogsAndReraises:
    def load_batch(conn, batch: Batch) -> BatchResult:
        start = time.perf_counter()
        try:
            with caller_commits(conn):
                report = ingest_frame(conn, batch.frame, batch.batch_id)
                rejected = sum(report.rejected.values())
                _checkpoint(conn, batch, report.loaded, rejected)
            conn.commit()
        except BaseException as err:
            log.warning(f"{batch.batch_id}: batch failed and was rolled back: {type(err).__name__}")
            if not conn.closed:
                conn.rollback()
            raise
        return BatchResult(batch.batch_id, len(batch.frame), report.loaded, rejected, 0, time.perf_counter() - start)


@wrong("no caller_commits: ingest_frame commits the rows, the checkpoint later: a crash between is half a batch",
       caught_by="a_crash_mid_batch")
class RowsCommittedBeforeCheckpoint:
    def load_batch(conn, batch: Batch) -> BatchResult:
        start = time.perf_counter()
        try:
            report = ingest_frame(conn, batch.frame, batch.batch_id)
            rejected = sum(report.rejected.values())
            _checkpoint(conn, batch, report.loaded, rejected)
            conn.commit()
        except BaseException:
            if not conn.closed:
                conn.rollback()
            raise
        return BatchResult(batch.batch_id, len(batch.frame), report.loaded, rejected, 0, time.perf_counter() - start)


@wrong("commits the checkpoint before the rows: a crash while loading them leaves a 'done' day with no rows",
       caught_by="a_crash_mid_batch")
class CheckpointCommittedFirst:
    def load_batch(conn, batch: Batch) -> BatchResult:
        start = time.perf_counter()
        cleaned = cleaning.clean(batch.frame)
        try:
            _checkpoint(conn, batch, len(cleaned.good), len(cleaned.rejected))
            conn.commit()  # "record the plan first"
            with caller_commits(conn):
                report = ingest_frame(conn, batch.frame, batch.batch_id)
            conn.commit()
        except BaseException:
            if not conn.closed:
                conn.rollback()
            raise
        return BatchResult(batch.batch_id, len(batch.frame), report.loaded, sum(report.rejected.values()), 0,
                           time.perf_counter() - start)


@wrong("one commit, but no rollback on error: the connection is left in an aborted transaction",
       caught_by="any_error_rolls_back")
class NoRollback:
    def load_batch(conn, batch: Batch) -> BatchResult:
        start = time.perf_counter()
        with caller_commits(conn):
            report = ingest_frame(conn, batch.frame, batch.batch_id)
            rejected = sum(report.rejected.values())
            _checkpoint(conn, batch, report.loaded, rejected)
        conn.commit()
        return BatchResult(batch.batch_id, len(batch.frame), report.loaded, rejected, 0, time.perf_counter() - start)


@wrong("rolls back only on psycopg2.Error: any other exception leaves half a batch for the next commit",
       caught_by="any_error_rolls_back")
class RollsBackOnlyDatabaseErrors:
    def load_batch(conn, batch: Batch) -> BatchResult:
        start = time.perf_counter()
        try:
            with caller_commits(conn):
                report = ingest_frame(conn, batch.frame, batch.batch_id)
                rejected = sum(report.rejected.values())
                _checkpoint(conn, batch, report.loaded, rejected)
            conn.commit()
        except psycopg2.Error:
            if not conn.closed:
                conn.rollback()
            raise
        return BatchResult(batch.batch_id, len(batch.frame), report.loaded, rejected, 0, time.perf_counter() - start)


@wrong("rolls back and swallows the error (returns an empty result): the caller thinks the day loaded",
       caught_by="a_crash_mid_batch")
class SwallowsTheError:
    def load_batch(conn, batch: Batch) -> BatchResult:
        start = time.perf_counter()
        try:
            with caller_commits(conn):
                report = ingest_frame(conn, batch.frame, batch.batch_id)
                rejected = sum(report.rejected.values())
                _checkpoint(conn, batch, report.loaded, rejected)
            conn.commit()
        except Exception as err:
            if not conn.closed:
                conn.rollback()
            log.error(f"{batch.batch_id} failed: {err}")
            return BatchResult(batch.batch_id, len(batch.frame), 0, 0, 0, time.perf_counter() - start)
        return BatchResult(batch.batch_id, len(batch.frame), report.loaded, rejected, 0, time.perf_counter() - start)


@wrong("ON CONFLICT DO NOTHING: a corrected day's re-load keeps the old checkpoint's sha256 and counts",
       caught_by="a_corrected_day_replaces")
class CheckpointDoNothing:
    def load_batch(conn, batch: Batch) -> BatchResult:
        start = time.perf_counter()
        try:
            with caller_commits(conn):
                report = ingest_frame(conn, batch.frame, batch.batch_id)
                rejected = sum(report.rejected.values())
                with conn.cursor() as cur:
                    cur.execute("INSERT INTO pipeline.checkpoints (batch_id, source_sha256, rows_in, loaded, rejected,"
                                " dead_lettered) VALUES (%s, %s, %s, %s, %s, 0) ON CONFLICT DO NOTHING",
                                (batch.batch_id, batch.sha256, len(batch.frame), report.loaded, rejected))
            conn.commit()
        except BaseException:
            if not conn.closed:
                conn.rollback()
            raise
        return BatchResult(batch.batch_id, len(batch.frame), report.loaded, rejected, 0, time.perf_counter() - start)


@wrong("returns early when the day has a checkpoint, although the input changed: the correction never loads",
       caught_by="a_corrected_day_replaces")
class SkipsWhenCheckpointed(LogsAndReraises):
    def load_batch(conn, batch: Batch) -> BatchResult:
        with conn.cursor() as cur:
            cur.execute("SELECT rows_in, loaded, rejected FROM pipeline.checkpoints WHERE batch_id = %s",
                        (batch.batch_id,))
            done = cur.fetchone()
        conn.rollback()
        if done is not None:
            return BatchResult(batch.batch_id, *done, 0, 0.0)
        return LogsAndReraises.load_batch(conn, batch)


@wrong("deletes the day's rows and checkpoint in a first commit, loads in a second: a crash between loses the day",
       caught_by="a_crash_mid_batch")
class DeleteCommittedBeforeInsert:
    def load_batch(conn, batch: Batch) -> BatchResult:
        with conn.cursor() as cur:
            cur.execute("DELETE FROM bronze.raw_transactions WHERE source_file = %s", (batch.batch_id,))
            cur.execute("DELETE FROM bronze.rejected_rows WHERE source_file = %s", (batch.batch_id,))
            cur.execute("DELETE FROM pipeline.checkpoints WHERE batch_id = %s", (batch.batch_id,))
        conn.commit()  # a clean slate for the day
        return LogsAndReraises.load_batch(conn, batch)


@wrong("commits inside caller_commits only, where a commit is a no-op: the batch is never committed",
       caught_by="a_bad_value_is_rejected")
class CommitsInsideTheBlockOnly:
    def load_batch(conn, batch: Batch) -> BatchResult:
        start = time.perf_counter()
        try:
            with caller_commits(conn):
                report = ingest_frame(conn, batch.frame, batch.batch_id)
                rejected = sum(report.rejected.values())
                _checkpoint(conn, batch, report.loaded, rejected)
                conn.commit()
        except BaseException:
            if not conn.closed:
                conn.rollback()
            raise
        return BatchResult(batch.batch_id, len(batch.frame), report.loaded, rejected, 0, time.perf_counter() - start)


@wrong("rejected = len(report.rejected), the number of REASONS: two rows rejected for one reason count as one",
       caught_by="a_bad_value_is_rejected")
class CountsReasonsNotRows:
    def load_batch(conn, batch: Batch) -> BatchResult:
        start = time.perf_counter()
        try:
            with caller_commits(conn):
                report = ingest_frame(conn, batch.frame, batch.batch_id)
                rejected = len(report.rejected)
                with conn.cursor() as cur:
                    cur.execute(CHECKPOINT.replace("%s, %s, %s, %s, %s, 0", "%s, %s, %s + %s, %s, %s, 0"),
                                (batch.batch_id, batch.sha256, report.loaded, rejected, report.loaded, rejected))
            conn.commit()
        except BaseException:
            if not conn.closed:
                conn.rollback()
            raise
        return BatchResult(batch.batch_id, report.loaded + rejected, report.loaded, rejected, 0,
                           time.perf_counter() - start)


@wrong("rolls back without checking conn.closed: on a dropped connection InterfaceError replaces the real error",
       caught_by="a_crash_mid_batch")
class RollbackOnClosed:
    def load_batch(conn, batch: Batch) -> BatchResult:
        start = time.perf_counter()
        try:
            with caller_commits(conn):
                report = ingest_frame(conn, batch.frame, batch.batch_id)
                rejected = sum(report.rejected.values())
                _checkpoint(conn, batch, report.loaded, rejected)
            conn.commit()
        except BaseException:
            conn.rollback()
            raise
        return BatchResult(batch.batch_id, len(batch.frame), report.loaded, rejected, 0, time.perf_counter() - start)


@wrong("skips the load when the checkpoint has the same sha256: a day whose rows were cleared never comes back",
       caught_by="a_corrected_day_replaces")
class SkipsWhenSameInput(LogsAndReraises):
    def load_batch(conn, batch: Batch) -> BatchResult:
        with conn.cursor() as cur:
            cur.execute("SELECT rows_in, loaded, rejected FROM pipeline.checkpoints "
                        "WHERE batch_id = %s AND source_sha256 = %s", (batch.batch_id, batch.sha256))
            done = cur.fetchone()
        conn.rollback()
        if done is not None:
            return BatchResult(batch.batch_id, *done, 0, 0.0)
        return LogsAndReraises.load_batch(conn, batch)


@wrong("rolls back on `except Exception` only: a KeyboardInterrupt mid-batch leaves the half-written batch open",
       caught_by="any_error_rolls_back")
class ExceptionOnly:
    def load_batch(conn, batch: Batch) -> BatchResult:
        start = time.perf_counter()
        try:
            with caller_commits(conn):
                report = ingest_frame(conn, batch.frame, batch.batch_id)
                rejected = sum(report.rejected.values())
                _checkpoint(conn, batch, report.loaded, rejected)
            conn.commit()
        except Exception:
            if not conn.closed:
                conn.rollback()
            raise
        return BatchResult(batch.batch_id, len(batch.frame), report.loaded, rejected, 0, time.perf_counter() - start)
