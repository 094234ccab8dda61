"""Attempts at non_idempotent_rerun (spoilers): what students hand in, and the verdict due."""
import time

import psycopg2

from failurelab.attempts import right, wrong
from sessions.session1 import cleaning, load
from sessions.session1.ingest import ingest_frame
from sessions.session3.batches import Batch, BatchResult
from sessions.session3.db import caller_commits

UPSERT = """INSERT INTO pipeline.checkpoints (batch_id, source_sha256, rows_in, loaded, rejected, dead_lettered)
            VALUES (%s, %s, %s, %s, %s, 0)
            ON CONFLICT (batch_id) DO UPDATE SET source_sha256 = excluded.source_sha256, rows_in = excluded.rows_in,
                loaded = excluded.loaded, rejected = excluded.rejected, dead_lettered = 0, done_at = now()"""


def _result(batch, report, start):
    rejected = sum(report.rejected.values())
    return BatchResult(batch.batch_id, len(batch.frame), report.loaded, rejected, 0, time.perf_counter() - start)


@right("updates the checkpoint, inserts it only when the update found no row; rows after the checkpoint")
class UpdateElseInsert:
    def load_batch(conn, batch: Batch) -> BatchResult:
        start = time.perf_counter()
        cleaned = cleaning.clean(batch.frame)
        rejected = len(cleaned.rejected)
        values = (batch.sha256, len(batch.frame), len(cleaned.good), rejected, batch.batch_id)
        try:
            with caller_commits(conn):
                with conn.cursor() as cur:
                    cur.execute("UPDATE pipeline.checkpoints SET source_sha256 = %s, rows_in = %s, loaded = %s, "
                                "rejected = %s, dead_lettered = 0 WHERE batch_id = %s", values)
                    if cur.rowcount == 0:
                        cur.execute("INSERT INTO pipeline.checkpoints (source_sha256, rows_in, loaded, rejected, "
                                    "dead_lettered, batch_id) VALUES (%s, %s, %s, %s, 0, %s)", values)
                loaded = load.replace_source(conn, batch.batch_id, cleaned.good, cleaned.rejected)
            conn.commit()
        except Exception:
            if not conn.closed:
                conn.rollback()
            raise
        return BatchResult(batch.batch_id, len(batch.frame), loaded, rejected, 0, time.perf_counter() - start)


@right("deletes the old checkpoint and inserts the new one, in the same transaction as the rows")
class DeleteThenInsertCheckpoint:
    def load_batch(conn, batch: Batch) -> BatchResult:
        start = time.perf_counter()
        try:
            with caller_commits(conn):
                report = ingest_frame(conn, batch.frame, batch.batch_id)
                with conn.cursor() as cur:
                    cur.execute("DELETE FROM pipeline.checkpoints WHERE batch_id = %s", (batch.batch_id,))
                    cur.execute("INSERT INTO pipeline.checkpoints (batch_id, source_sha256, rows_in, loaded, rejected,"
                                " dead_lettered) VALUES (%s, %s, %s, %s, %s, 0)",
                                (batch.batch_id, batch.sha256, len(batch.frame), report.loaded,
                                 sum(report.rejected.values())))
            conn.commit()
        except BaseException:
            if not conn.closed:
                conn.rollback()
            raise
        return _result(batch, report, start)


@wrong("ON CONFLICT DO NOTHING: a re-load of a changed day keeps the old checkpoint's sha256 and counts",
       caught_by="a_changed_input_replaces")
class CheckpointDoNothing:
    def load_batch(conn, batch: Batch) -> BatchResult:
        start = time.perf_counter()
        try:
            with caller_commits(conn):
                report = ingest_frame(conn, batch.frame, batch.batch_id)
                with conn.cursor() as cur:
                    cur.execute("INSERT INTO pipeline.checkpoints (batch_id, source_sha256, rows_in, loaded, rejected,"
                                " dead_lettered) VALUES (%s, %s, %s, %s, %s, 0) ON CONFLICT (batch_id) DO NOTHING",
                                (batch.batch_id, batch.sha256, len(batch.frame), report.loaded,
                                 sum(report.rejected.values())))
            conn.commit()
        except BaseException:
            if not conn.closed:
                conn.rollback()
            raise
        return _result(batch, report, start)


@wrong("skips a day that has a checkpoint although its input changed: the corrected day never loads",
       caught_by="a_changed_input_replaces")
class SkipsWhenCheckpointed:
    def load_batch(conn, batch: Batch) -> BatchResult:
        with conn.cursor() as cur:
            cur.execute("SELECT rows_in, loaded, rejected FROM pipeline.checkpoints WHERE batch_id = %s",
                        (batch.batch_id,))
            done = cur.fetchone()
        conn.rollback()
        if done:  # "already loaded": a re-run is now a no-op
            return BatchResult(batch.batch_id, done[0], done[1], done[2], 0, 0.0)
        start = time.perf_counter()
        try:
            with caller_commits(conn):
                report = ingest_frame(conn, batch.frame, batch.batch_id)
                with conn.cursor() as cur:
                    cur.execute(UPSERT, (batch.batch_id, batch.sha256, len(batch.frame), report.loaded,
                                         sum(report.rejected.values())))
            conn.commit()
        except BaseException:
            if not conn.closed:
                conn.rollback()
            raise
        return _result(batch, report, start)


@wrong("a plain INSERT of the checkpoint: the second load of a day dies on its primary key",
       caught_by="twice_is_once")
class PlainInsertCheckpoint:
    def load_batch(conn, batch: Batch) -> BatchResult:
        start = time.perf_counter()
        try:
            with caller_commits(conn):
                report = ingest_frame(conn, batch.frame, batch.batch_id)
                with conn.cursor() as cur:
                    cur.execute("INSERT INTO pipeline.checkpoints (batch_id, source_sha256, rows_in, loaded, rejected,"
                                " dead_lettered) VALUES (%s, %s, %s, %s, %s, 0)",
                                (batch.batch_id, batch.sha256, len(batch.frame), report.loaded,
                                 sum(report.rejected.values())))
            conn.commit()
        except BaseException:
            if not conn.closed:
                conn.rollback()
            raise
        return _result(batch, report, start)


@wrong("deletes the day (rows and checkpoint) and commits, then inserts: a failure in between loses the old day",
       caught_by="a_failed_reload_keeps")
class DeleteCommittedBeforeInsert:
    def load_batch(conn, batch: Batch) -> BatchResult:
        start = time.perf_counter()
        with conn.cursor() as cur:  # step 1: clear the day, so the insert cannot collide
            cur.execute("DELETE FROM bronze.raw_transactions WHERE source_file = %s", (batch.batch_id,))
            cur.execute("DELETE FROM bronze.rejected_rows WHERE source_file = %s", (batch.batch_id,))
            cur.execute("DELETE FROM pipeline.checkpoints WHERE batch_id = %s", (batch.batch_id,))
        conn.commit()
        try:  # step 2: load it
            with caller_commits(conn):
                report = ingest_frame(conn, batch.frame, batch.batch_id)
                with conn.cursor() as cur:
                    cur.execute(UPSERT, (batch.batch_id, batch.sha256, len(batch.frame), report.loaded,
                                         sum(report.rejected.values())))
            conn.commit()
        except BaseException:
            if not conn.closed:
                conn.rollback()
            raise
        return _result(batch, report, start)


@wrong("rows and checkpoint in two commits (ingest_frame commits on its own): a crash between them is half a load",
       caught_by="a_failed_reload_keeps")
class RowsAndCheckpointInTwoCommits:
    def load_batch(conn, batch: Batch) -> BatchResult:
        start = time.perf_counter()
        report = ingest_frame(conn, batch.frame, batch.batch_id)  # replaces the day's rows: idempotent, commits
        try:
            with conn.cursor() as cur:
                cur.execute(UPSERT, (batch.batch_id, batch.sha256, len(batch.frame), report.loaded,
                                     sum(report.rejected.values())))
            conn.commit()
        except BaseException:
            if not conn.closed:
                conn.rollback()
            raise
        return _result(batch, report, start)


@wrong("upserts the checkpoint and commits it first, then loads the rows: a crash between them is a false 'done'",
       caught_by="a_failed_reload_keeps")
class CheckpointCommittedFirst:
    def load_batch(conn, batch: Batch) -> BatchResult:
        start = time.perf_counter()
        cleaned = cleaning.clean(batch.frame)
        with conn.cursor() as cur:
            cur.execute(UPSERT, (batch.batch_id, batch.sha256, len(batch.frame), len(cleaned.good),
                                 len(cleaned.rejected)))
        conn.commit()
        report = ingest_frame(conn, batch.frame, batch.batch_id)
        return _result(batch, report, start)


@wrong("one transaction, but no rollback when it fails: the caller's connection stays in an aborted transaction",
       caught_by="a_failed_reload_keeps")
class NoRollback:
    def load_batch(conn, batch: Batch) -> BatchResult:
        start = time.perf_counter()
        with caller_commits(conn):
            report = ingest_frame(conn, batch.frame, batch.batch_id)
            with conn.cursor() as cur:
                cur.execute(UPSERT, (batch.batch_id, batch.sha256, len(batch.frame), report.loaded,
                                     sum(report.rejected.values())))
        conn.commit()
        return _result(batch, report, start)


@wrong("rolls back only on psycopg2.Error: after any other exception the half-written re-load waits for a commit",
       caught_by="a_failed_reload_keeps")
class RollsBackOnlyDatabaseErrors:
    def load_batch(conn, batch: Batch) -> BatchResult:
        start = time.perf_counter()
        try:
            with caller_commits(conn):
                report = ingest_frame(conn, batch.frame, batch.batch_id)
                with conn.cursor() as cur:
                    cur.execute(UPSERT, (batch.batch_id, batch.sha256, len(batch.frame), report.loaded,
                                         sum(report.rejected.values())))
            conn.commit()
        except psycopg2.Error:
            if not conn.closed:
                conn.rollback()
            raise
        return _result(batch, report, start)


@wrong("commits inside caller_commits only, where a commit is a no-op: nothing is ever committed",
       caught_by="twice_is_once")
class CommitsInsideTheBlockOnly:
    def load_batch(conn, batch: Batch) -> BatchResult:
        start = time.perf_counter()
        try:
            with caller_commits(conn):
                report = ingest_frame(conn, batch.frame, batch.batch_id)
                with conn.cursor() as cur:
                    cur.execute(UPSERT, (batch.batch_id, batch.sha256, len(batch.frame), report.loaded,
                                         sum(report.rejected.values())))
                conn.commit()  # "the batch is done"
        except BaseException:
            if not conn.closed:
                conn.rollback()
            raise
        return _result(batch, report, start)


@wrong("skips the load when the checkpoint has the same sha256: a day whose bronze rows were cleared never comes back",
       caught_by="twice_is_once")
class SkipsWhenSameInput(UpdateElseInsert):
    def load_batch(conn, batch: Batch) -> BatchResult:
        with conn.cursor() as cur:
            cur.execute("SELECT rows_in, loaded, rejected FROM pipeline.checkpoints "
                        "WHERE batch_id = %s AND source_sha256 = %s", (batch.batch_id, batch.sha256))
            done = cur.fetchone()
        conn.rollback()
        if done:  # "same input, already loaded": nothing to do
            return BatchResult(batch.batch_id, done[0], done[1], done[2], 0, 0.0)
        return UpdateElseInsert.load_batch(conn, batch)
