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
Hints:
    - A checkpoint is a claim about the data: what would have to be true of
      the tables for the claim to still hold?
    - The status row carries what the checkpoint says and what the tables
      hold, for all three counts; and the input's sha256 must match too.
    - Warn with both sides, the checkpoint's first, on the
      "session3.batches" logger.
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


def stale_warnings(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "session3.batches" and r.levelno == logging.WARNING
            and r.getMessage().startswith("stale checkpoint")]


def test_right_stale_checkpoint_is_verified_against_the_data_and_redone(settings, bconn, batches, caplog, solution):
    pipeline.run_batches(settings, batches)
    clean = snapshot(bconn)
    reset_bronze(bconn, "source_file = 'day:2010-12-02'")
    status = checkpoint_status(bconn)
    with caplog.at_level(logging.WARNING, logger="session3.batches"):
        redo = [b for b in batches if not solution.is_done(status, b)]
    assert [b.batch_id for b in redo] == ["day:2010-12-02"], (
        f"day:2010-12-02's rows were deleted under its checkpoint: only that day should be redone (is_done False), "
        f"the others are intact (True); yours redoes {[b.batch_id for b in redo]}")
    said = stale_warnings(caplog)
    assert len(said) == 1 and said[0].startswith(
        "stale checkpoint: it says 59/1/0 rows loaded/rejected/dead-lettered, the tables hold 0/0/0"), (
        f"is_done should log one WARNING on the logger 'session3.batches' starting 'stale checkpoint: it says 59/1/0 "
        f"rows loaded/rejected/dead-lettered, the tables hold 0/0/0'; it logged {said or caplog.text or 'nothing'}")
    for batch in redo:
        load_batch(bconn, batch)
    silver.build(bconn)  # bronze is whole again: silver, built from the same rows, stays as it was
    assert snapshot(bconn) == clean, "after redoing the stale day the state should equal the clean run's"


def test_right_stale_checkpoint_a_changed_input_is_loaded_again(bconn, batches, solution):
    for batch in batches:
        load_batch(bconn, batch)
    batches[0].frame.loc[0, "Quantity"] = 99  # the shop re-sent the day with a correction
    status = checkpoint_status(bconn)
    done = [bool(solution.is_done(status, b)) for b in batches]
    assert done == [False, True, True, True], (
        f"day:2010-12-01's input changed since its checkpoint (another sha256): it is not done, the other days are; "
        f"is_done said {done}")


def test_right_stale_checkpoint_rejected_rows_and_dead_letters_count_too(bconn, batches, caplog, solution):
    batches[2].frame.loc[9, "Description"] = "PAPER CRAFT\x00LITTLE BIRDIE"  # a poison row: one dead letter
    for batch in batches:
        load_batch(bconn, batch)
    with bconn.cursor() as cur:
        cur.execute("DELETE FROM bronze.rejected_rows WHERE source_file = 'day:2010-12-02'")  # loaded rows intact
        cur.execute("DELETE FROM pipeline.dead_letters WHERE batch_id = 'day:2010-12-03'")
    bconn.commit()
    status = checkpoint_status(bconn)
    with caplog.at_level(logging.WARNING, logger="session3.batches"):
        redo = [b.batch_id for b in batches if not solution.is_done(status, b)]
    assert redo == ["day:2010-12-02", "day:2010-12-03"], (
        f"day:2010-12-02 lost its rejected rows and day:2010-12-03 its dead letter, while their loaded rows are "
        f"intact: a checkpoint is verified on all three counts (loaded, rejected, dead-lettered); yours redoes {redo}")
    said = stale_warnings(caplog)
    expected = ["stale checkpoint: it says 59/1/0 rows loaded/rejected/dead-lettered, the tables hold 59/0/0",
                "stale checkpoint: it says 56/3/1 rows loaded/rejected/dead-lettered, the tables hold 56/3/0"]
    assert len(said) == 2 and all(m.startswith(e) for m, e in zip(said, expected)), (
        f"is_done should log a WARNING on 'session3.batches' per stale day, starting {expected}; it logged {said}")


def test_right_stale_checkpoint_every_count_must_match_exactly(batches, caplog, solution):
    batch = batches[1]
    recorded = (batch.sha256, 59, 1, 0)
    cases = [((59, 1, 0), True), ((0, 0, 0), False), ((58, 1, 0), False), ((60, 1, 0), False),
             ((59, 0, 0), False), ((59, 2, 0), False), ((59, 1, 1), False)]
    for actual, expected in cases:
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="session3.batches"):
            verdict = solution.is_done({batch.batch_id: (*recorded, *actual)}, batch)
        assert bool(verdict) is expected, (
            f"a checkpoint that says 59/1/0 (loaded/rejected/dead-lettered) while the tables hold "
            f"{'/'.join(map(str, actual))}: is_done should return {expected}, yours returned {verdict!r}")
        said = stale_warnings(caplog)
        want = ("stale checkpoint: it says 59/1/0 rows loaded/rejected/dead-lettered, the tables hold "
                f"{'/'.join(map(str, actual))}")
        assert (said == [] if expected else len(said) == 1 and said[0].startswith(want)), (
            f"tables holding {'/'.join(map(str, actual))}: is_done should log " +
            ("no stale-checkpoint warning" if expected else f"one WARNING on 'session3.batches' starting {want!r}")
            + f"; it logged {said}")
    with caplog.at_level(logging.WARNING, logger="session3.batches"):
        verdict = solution.is_done({}, batch)
    assert not verdict, f"a batch without a checkpoint is not done: is_done should return False, not {verdict!r}"
