"""Half a batch written.

Scenario:
    The naive loader inserts a day's rows one by one and commits after each,
    "so that progress is saved". Row 31 has a quantity of "12x" (a typo in
    the till export) and the insert fails: the job stops with half the day in
    the table. A re-run then trips over that half: a duplicate key on line 1
    (or, in a table without a key, the first half twice).
Why:
    Each commit makes its row permanent, so a failure (bad data, a dropped
    connection, a killed process) leaves whatever was committed before it: a
    state that is neither the old one nor the new one, which no checkpoint
    describes and no re-run can fix by itself.
Fix:
    One transaction per batch: the day's rows, its dead letters and its
    checkpoint commit together or not at all. A failure anywhere before the
    commit rolls everything back; the retry (or the next run) starts the day
    from a clean slate. Validate rows first, so a bad value is rejected with
    its reason instead of failing the batch.
Hints:
    - Count the commits your load_batch makes, including the ones inside
      session 1's ingest_frame. How many may there be?
    - caller_commits(conn) turns a callee's commit into a no-op; the one real
      commit is yours, after the block, once the checkpoint is written too.
    - Whatever goes wrong (the server, a constraint, a bug in Python) roll
      back before re-raising; and a re-load of a corrected day must replace
      its checkpoint, not keep the old one.
"""

import pandas as pd
import psycopg2
import psycopg2.extensions
import psycopg2.sql
import pytest
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

from failurelab.expect import must_raise
from sessions.session1 import cleaning
from sessions.session3 import db as pipeline_db
from sessions.session3.batches import Batch, load_batch
from sessions.session3.retry import call_with_retry
from sessions.session3.conftest import (FAULTS, FailsWritingTheCheckpoint, corrected, the_fault_removed,
                                       the_server_drops_the_connection_on)

pytestmark = pytest.mark.failure_case("data_quality", fix=load_batch)
STATUS = {psycopg2.extensions.TRANSACTION_STATUS_INTRANS: "inside a transaction (rows written, not committed)",
          psycopg2.extensions.TRANSACTION_STATUS_INERROR: "in an aborted transaction"}


def naive_row_by_row(conn, batch):
    for line, row in enumerate(batch.frame.itertuples(index=False), 1):
        with conn.cursor() as cur:
            cur.execute("""INSERT INTO bronze.raw_transactions (source_file, source_line, invoice_no, stock_code,
                               description, quantity, invoice_date, unit_price, customer_id, country, is_cancellation)
                           VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)""",
                        (batch.batch_id, line, row.InvoiceNo, row.StockCode, row.Description, row.Quantity,
                         row.InvoiceDate, row.UnitPrice, None if pd.isna(row.CustomerID) else int(row.CustomerID),
                         row.Country, row.InvoiceNo.startswith("C")))
        conn.commit()  # "progress is saved" — and so is half a batch


def day_rows(conn, batch_id):
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM bronze.raw_transactions WHERE source_file = %s", (batch_id,))
        n = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM pipeline.checkpoints WHERE batch_id = %s", (batch_id,))
        return n, cur.fetchone()[0]


def test_wrong_partial_batch_failure_row_by_row_commits_leave_half_a_day(bconn, batches, failure):
    batch = batches[0]
    batch.frame["Quantity"] = batch.frame["Quantity"].astype("object")
    batch.frame.loc[30, "Quantity"] = "12x"
    with failure.expect(psycopg2.errors.InvalidTextRepresentation, pgcode="22P02",
                        match=r'^invalid input syntax for type integer: "12x"'):
        naive_row_by_row(bconn, batch)
    bconn.rollback()
    assert day_rows(bconn, batch.batch_id) == (30, 0)  # 30 of 60 rows in, and nothing says so


def test_right_partial_batch_failure_a_bad_value_is_rejected_not_fatal(settings, bconn, batches, solution):
    batch = batches[0]
    batch.frame["Quantity"] = batch.frame["Quantity"].astype("object")
    batch.frame.loc[30, "Quantity"] = "12x"
    batch.frame.loc[40, "Quantity"] = "3 pcs"  # two rows rejected for the same reason
    result = solution.load_batch(bconn, batch)
    assert result.rows_in == result.loaded + result.rejected == 60 and result.rejected == 2, (
        f"rows 31 and 41 (quantities '12x' and '3 pcs') should be rejected and the other 58 rows loaded (rejected "
        f"counts ROWS, not reasons: rows_in = loaded + rejected = 60); load_batch returned {result}")
    other = pipeline_db.connect(settings)  # another connection sees only what was committed
    with other.cursor() as cur:
        cur.execute("SELECT array_agg(source_line ORDER BY source_line), array_agg(DISTINCT reason) "
                    "FROM bronze.rejected_rows WHERE source_file = %s", (batch.batch_id,))
        reason = cur.fetchone()
        cur.execute("SELECT batch_id, source_sha256, rows_in, loaded, rejected, dead_lettered "
                    "FROM pipeline.checkpoints")
        checkpoints = cur.fetchall()
        cur.execute("SELECT count(*) FROM bronze.raw_transactions WHERE source_file = %s", (batch.batch_id,))
        loaded = cur.fetchone()[0]
    other.close()
    assert (loaded, reason) == (58, ([31, 41], ["invalid_quantity"])), (
        f"committed (another connection looks): bronze.raw_transactions should hold the day's 58 good rows and "
        f"bronze.rejected_rows lines 31 and 41 with reason invalid_quantity (session 1's ingest_frame); found "
        f"{loaded} rows and (rejected lines, reasons) {reason}")
    expected = [(batch.batch_id, batch.sha256, 60, 58, 2, 0)]
    assert checkpoints == expected, (
        f"pipeline.checkpoints should hold {expected} (batch_id, batch.sha256, rows in, loaded, rejected, "
        f"dead-lettered; rejected counts rows, not reasons), committed with the rows; it holds {checkpoints}")


def day_state(conn, batch_id):
    """(rows loaded, rows rejected, checkpoints) the database holds for the day."""
    with conn.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM bronze.raw_transactions WHERE source_file = %(b)s), "
                    "(SELECT count(*) FROM bronze.rejected_rows WHERE source_file = %(b)s), "
                    "(SELECT count(*) FROM pipeline.checkpoints WHERE batch_id = %(b)s)", {"b": batch_id})
        found = cur.fetchone()
    conn.rollback()
    return found


def expected_after_loading(batch: Batch) -> tuple:
    """(rows loaded, rows rejected, checkpoint row) after one good load of this version of the day."""
    cleaned = cleaning.clean(batch.frame)
    good, bad = len(cleaned.good), len(cleaned.rejected)
    return good, bad, (batch.batch_id, batch.sha256, len(batch.frame), good, bad, 0)


def day_and_checkpoint(conn, batch_id) -> tuple:
    loaded, rejected, _ = day_state(conn, batch_id)
    with conn.cursor() as cur:
        cur.execute("SELECT batch_id, source_sha256, rows_in, loaded, rejected, dead_lettered FROM pipeline.checkpoints"
                    " WHERE batch_id = %s", (batch_id,))
        checkpoint = cur.fetchone()
    conn.rollback()
    return loaded, rejected, checkpoint


def test_right_partial_batch_failure_a_corrected_day_replaces_the_old_one(bconn, batches, solution):
    solution.load_batch(bconn, batches[1])
    with bconn.cursor() as cur:  # an operator cleared the day's bronze rows; its checkpoint is still there
        cur.execute("DELETE FROM bronze.raw_transactions WHERE source_file = %(b)s; "
                    "DELETE FROM bronze.rejected_rows WHERE source_file = %(b)s", {"b": batches[1].batch_id})
    bconn.commit()
    solution.load_batch(bconn, batches[1])  # the same input again
    found, expected = day_and_checkpoint(bconn, batches[1].batch_id), expected_after_loading(batches[1])
    assert found == expected, (
        f"load_batch must always load, even when the day's checkpoint (same sha256) says it is done: skipping is "
        f"the pipeline's job. After the day's rows were deleted and the same day loaded again, expected (loaded, "
        f"rejected, checkpoint) = {expected}, found {found}")
    fixed = corrected(batches[1])  # the shop re-sent the day: 58 rows, one more of them rejected
    solution.load_batch(bconn, fixed)
    found, expected = day_and_checkpoint(bconn, fixed.batch_id), expected_after_loading(fixed)
    assert found == expected, (
        f"loading a corrected version of a day must replace the day's rows AND its checkpoint (the new sha256 and "
        f"counts: upsert with ON CONFLICT (batch_id) DO UPDATE; load_batch always loads, skipping is the pipeline's "
        f"job): expected (loaded, rejected, checkpoint) = {expected}, found {found}")


def crashed_load(settings, conn, batch, where, solution):
    """load_batch on `conn` while the server drops it at `where`; returns a new connection, the fault removed."""
    the_server_drops_the_connection_on(conn, where)
    with must_raise(psycopg2.Error, f"the server dropped the connection while load_batch was "
                                    f"{where.replace('_', ' ')}: load_batch must let that error out") as raised:
        solution.load_batch(conn, batch)
    error = raised.value
    assert isinstance(error, psycopg2.OperationalError), (
        f"the server dropped the connection while load_batch was {where.replace('_', ' ')}: load_batch must re-raise "
        f"the original error (an OperationalError) unchanged; yours raised {type(error).__name__}: "
        f"{str(error).strip()[:120]!r} (conn.rollback() on a closed connection raises InterfaceError: roll back "
        f"only unless conn.closed; session 1's code rolls back too, unless it runs inside caller_commits(conn))")
    fresh = pipeline_db.connect(settings)
    the_fault_removed(fresh, where)
    return fresh


@pytest.mark.parametrize("where", FAULTS)
def test_right_partial_batch_failure_a_crash_mid_batch_leaves_nothing_then_the_retry_loads_it(
        settings, bconn, batches, where, solution):
    batch, fixed, connections = batches[1], corrected(batches[1]), []  # 60 rows, one of them rejected
    try:
        connections.append(crashed_load(settings, bconn, batch, where, solution))
        found = day_state(connections[-1], batch.batch_id)
        assert found == (0, 0, 0), (
            f"the connection died {where.replace('_', ' ')}, before the batch could commit: nothing of the day may "
            f"be left (all or nothing: rows, rejected rows and checkpoint in ONE transaction, one commit at the end);"
            f" found {found[0]} rows loaded, {found[1]} rejected, {found[2]} checkpoint(s)")
        result = call_with_retry(lambda: solution.load_batch(connections[-1], batch))  # the pipeline's retry
        found = day_and_checkpoint(connections[-1], batch.batch_id)
        assert found == expected_after_loading(batch) and result.loaded == 59, (
            f"the retry should load the day whole: expected (loaded, rejected, checkpoint) = "
            f"{expected_after_loading(batch)}, found {found}; load_batch returned {result}")

        connections.append(crashed_load(settings, connections[-1], fixed, where, solution))  # a corrected re-load
        found = day_and_checkpoint(connections[-1], batch.batch_id)
        assert found == expected_after_loading(batch), (
            f"a re-load of the day that died {where.replace('_', ' ')} must leave the previous load exactly as it "
            f"was (the old rows deleted, the new ones inserted and the checkpoint updated in ONE transaction): "
            f"expected (loaded, rejected, checkpoint) = {expected_after_loading(batch)}, found {found}")
        call_with_retry(lambda: solution.load_batch(connections[-1], fixed))
        found = day_and_checkpoint(connections[-1], batch.batch_id)
        assert found == expected_after_loading(fixed), (
            f"the retry of the corrected day should replace the day whole: expected (loaded, rejected, checkpoint) "
            f"= {expected_after_loading(fixed)}, found {found}")
    finally:
        for conn in connections:
            conn.close()


class InterruptedWritingTheCheckpoint(FailsWritingTheCheckpoint):
    """Ctrl-C (or a SIGINT from the scheduler) as the checkpoint is written: a BaseException, not an Exception."""
    FAULT = KeyboardInterrupt


def test_right_partial_batch_failure_any_error_rolls_back_the_whole_batch(bconn, batches, solution):
    batch = batches[1]
    with bconn.cursor() as cur:  # a real constraint error, at the checkpoint: after the rows are written
        cur.execute("ALTER TABLE pipeline.checkpoints ADD CONSTRAINT not_today CHECK (batch_id <> 'day:2010-12-02')")
    bconn.commit()
    with must_raise(psycopg2.errors.CheckViolation, "writing the checkpoint failed (SQLSTATE 23514): load_batch "
                                                    "must re-raise the error"):
        solution.load_batch(bconn, batch)
    status = bconn.info.transaction_status
    assert status == TRANSACTION_STATUS_IDLE, (
        f"after a failed batch load_batch must roll back (conn.rollback() on any exception, then re-raise): the "
        f"connection was left {STATUS.get(status, status)}, and the caller's next statement fails or commits half "
        f"a batch")
    assert day_state(bconn, batch.batch_id) == (0, 0, 0), "a failed batch must leave nothing of the day"
    with bconn.cursor() as cur:
        cur.execute("ALTER TABLE pipeline.checkpoints DROP CONSTRAINT not_today")
    bconn.commit()

    for factory in (FailsWritingTheCheckpoint, InterruptedWritingTheCheckpoint):  # not a database error this time
        fault = factory.FAULT.__name__
        bconn.cursor_factory = factory
        try:
            with must_raise(factory.FAULT, f"the process failed while writing the checkpoint ({fault}): load_batch "
                                           f"must re-raise it"):
                solution.load_batch(bconn, batch)
        finally:
            bconn.cursor_factory = psycopg2.extensions.cursor
        status = bconn.info.transaction_status
        assert status == TRANSACTION_STATUS_IDLE, (
            f"load_batch must roll back on ANY exception, not only database errors (here a {fault} after the rows "
            f"were written{'; KeyboardInterrupt is a BaseException, not an Exception' if fault != 'RuntimeError' else ''}"
            f"): the connection was left {STATUS.get(status, status)} with half a batch in it")
        bconn.commit()  # whatever the caller commits next must not contain half a batch
        found = day_state(bconn, batch.batch_id)
        assert found == (0, 0, 0), (
            f"after a failed batch ({fault}) and the caller's next commit the day must be absent; found {found[0]} "
            f"rows loaded, {found[1]} rejected, {found[2]} checkpoint(s)")
    result = solution.load_batch(bconn, batch)  # the same connection is still good for the next try
    assert day_state(bconn, batch.batch_id) == (59, 1, 1) and result.loaded == 59, (
        f"after a rolled-back failure the same connection should load the day whole (59 rows, 1 rejected, 1 "
        f"checkpoint); load_batch returned {result}")
