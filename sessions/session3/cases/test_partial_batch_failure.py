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
"""
import pandas as pd
import psycopg2
import pytest

from sessions.session1 import load
from sessions.session3 import db as pipeline_db
from sessions.session3.batches import load_batch
from sessions.session3.retry import call_with_retry

pytestmark = pytest.mark.failure_case("data_quality", fix=load_batch)


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


def test_right_partial_batch_failure_a_bad_value_is_rejected_not_fatal(bconn, batches, solution):
    batch = batches[0]
    batch.frame["Quantity"] = batch.frame["Quantity"].astype("object")
    batch.frame.loc[30, "Quantity"] = "12x"
    result = solution.load_batch(bconn, batch)
    assert result.rows_in == result.loaded + result.rejected == 60
    with bconn.cursor() as cur:
        cur.execute("SELECT reason FROM bronze.rejected_rows WHERE source_file = %s AND source_line = 31",
                    (batch.batch_id,))
        assert cur.fetchone() == ("invalid_quantity",)


def test_right_partial_batch_failure_a_crash_mid_batch_leaves_nothing_then_the_retry_loads_it(
        settings, bconn, batches, mocker, solution):
    batch, connections, write_rows = batches[1], [], load.replace_source

    def rows_written_then_the_connection_dies(conn, *args, **kwargs):  # the fault, on purpose, timed by a mock
        written = write_rows(conn, *args, **kwargs)  # the day's rows are in (committed, if nothing holds the commit)
        killer = pipeline_db.connect(settings)
        with killer.cursor() as cur:
            cur.execute("SELECT pg_terminate_backend(%s)", (conn.get_backend_pid(),))  # the server drops us, for real
        connections.append(killer)
        return written
    mocker.patch.object(load, "replace_source", side_effect=rows_written_then_the_connection_dies)
    with pytest.raises(psycopg2.OperationalError, match="server closed the connection unexpectedly"):
        solution.load_batch(bconn, batch)
    mocker.stopall()
    fresh = pipeline_db.connect(settings)
    assert day_rows(fresh, batch.batch_id) == (0, 0)  # all or nothing: nothing
    result = call_with_retry(lambda: solution.load_batch(fresh, batch))  # what the pipeline's retry does
    assert day_rows(fresh, batch.batch_id) == (result.loaded, 1)
    fresh.close(), connections[0].close()
