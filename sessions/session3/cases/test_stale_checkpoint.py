"""A checkpoint that says "done" about data that is gone.

Scenario:
    The pipeline loaded every day and checkpointed each one. Then bronze was
    reset under it: a colleague truncated the table to reload a test file, or
    the database was restored from last week's backup while the checkpoints
    live somewhere else. The next run reads its checkpoints, skips every day,
    and the transform finds nothing (or, after a partial reset, silently
    builds silver without the missing days).
Why:
    A checkpoint is a claim about the data, written at one moment. Kept apart
    from the data (another table, a file, another system) it can outlive the
    data or describe a different version of it; trusting it blindly turns a
    reset into silent data loss.
Fix:
    Keep checkpoints with the data (same database, same transaction as the
    batch) and verify them before skipping: the batch's input fingerprint
    must match and the tables must still hold the counts the checkpoint
    recorded (loaded, rejected, dead-lettered). A checkpoint that fails the
    check is stale: warn and load the batch again.
"""
import logging

import pytest

from sessions.session2 import transform
from sessions.session3 import pipeline, silver
from sessions.session3.batches import checkpoint_status, is_done, load_batch
from sessions.session3.snapshot import snapshot

pytestmark = pytest.mark.failure_case("data_quality", fix=is_done)


def naive_run(conn, batches):
    with conn.cursor() as cur:
        cur.execute("SELECT batch_id FROM pipeline.checkpoints")
        done = {batch_id for (batch_id,) in cur.fetchall()}
    conn.rollback()
    for batch in batches:
        if batch.batch_id not in done:  # the checkpoint is trusted blindly
            load_batch(conn, batch)
    return transform.run(conn)


def reset_bronze(conn, where="true"):
    with conn.cursor() as cur:
        cur.execute(f"DELETE FROM bronze.raw_transactions WHERE {where}")
        cur.execute(f"DELETE FROM bronze.rejected_rows WHERE {where}")
    conn.commit()


def test_wrong_stale_checkpoint_skips_everything_after_a_reset(settings, bconn, batches, failure):
    pipeline.run_batches(settings, batches)
    reset_bronze(bconn)
    with failure.expect(transform.MissingDependency, match=r"^bronze\.raw_transactions in database '\w+' is empty"):
        naive_run(bconn, batches)


def test_wrong_stale_checkpoint_silently_loses_a_day(settings, bconn, batches):
    pipeline.run_batches(settings, batches)
    reset_bronze(bconn, "source_file = 'day:2010-12-02'")
    report = naive_run(bconn, batches)  # no error at all
    with bconn.cursor() as cur:
        cur.execute("SELECT count(*) FROM silver.fact_sales_daily f JOIN silver.dim_date d USING (date_key) "
                    "WHERE d.full_date = '2010-12-02'")
        assert cur.fetchone()[0] == 0 and report.fact_rows > 0  # the day is simply not there


def test_right_stale_checkpoint_is_verified_against_the_data_and_redone(settings, bconn, batches, caplog, solution):
    pipeline.run_batches(settings, batches)
    clean = snapshot(bconn)
    reset_bronze(bconn, "source_file = 'day:2010-12-02'")
    status = checkpoint_status(bconn)
    with caplog.at_level(logging.WARNING, logger="session3.batches"):
        redo = [b for b in batches if not solution.is_done(status, b)]
    assert [b.batch_id for b in redo] == ["day:2010-12-02"]
    assert "stale checkpoint: it says" in caplog.text and "the tables hold 0/0/0" in caplog.text
    for batch in redo:
        load_batch(bconn, batch)
    silver.build(bconn)  # bronze is whole again: silver, built from the same rows, stays as it was
    assert snapshot(bconn) == clean


def test_right_stale_checkpoint_a_changed_input_is_loaded_again(settings, bconn, batches, solution):
    pipeline.run_batches(settings, batches)
    batches[0].frame.loc[0, "Quantity"] = 99  # the shop re-sent the day with a correction
    status = checkpoint_status(bconn)
    assert [solution.is_done(status, b) for b in batches] == [False, True, True, True]
