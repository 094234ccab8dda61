"""A re-run that adds the batch again.

Scenario:
    Yesterday's run crashed after loading day 2010-12-01 but before it could
    record that; today the operator re-runs the job (or the scheduler retries
    it). The naive loader appends the day's rows again.
Why:
    An append is not idempotent: running it twice is not the same as once.
    With a key on the table the second run dies with a UniqueViolation on
    the first row; without one it silently doubles every row, and every
    total downstream doubles with it. Any at-least-once delivery (retries,
    re-runs, resumed jobs) will run a batch twice sooner or later.
Fix:
    Make every write idempotent, keyed by what identifies the data (here: the
    batch's source and line): replace the batch's rows (delete + insert, or
    upsert) in one transaction with its checkpoint. Then retries and re-runs
    are safe, and at-least-once delivery gives exactly-once results.
Hints:
    - Loading the same day twice must leave exactly the state of loading it
      once: what in your load would add something the second time?
    - The checkpoint has a key too: a second load of the day (maybe with a
      corrected input) must update it, not fail on it nor keep the old one.
    - Delete, insert and checkpoint belong in ONE transaction: a failure in
      the middle must leave the previous load as it was.
"""

import psycopg2
import psycopg2.extensions
import psycopg2.sql
import pytest
from hypothesis import HealthCheck, Phase, given, settings as hsettings, strategies as st
from psycopg2.extensions import TRANSACTION_STATUS_IDLE, TRANSACTION_STATUS_INERROR

from failurelab.expect import must_raise
from sessions.session1 import cleaning, load
from sessions.session3 import db as pipeline_db
from sessions.session3.batches import Batch, load_batch
from sessions.session3.snapshot import reset, snapshot
from sessions.session3.conftest import (FAULTS, FailsWritingTheCheckpoint, corrected,
                                       the_server_drops_the_connection_on)

pytestmark = pytest.mark.failure_case("business_logic", fix=load_batch)
CLEAN: dict[str, dict] = {}


def naive_append(conn, batch, table="bronze.raw_transactions"):
    good = cleaning.clean(batch.frame).good.assign(source_file=batch.batch_id)
    with conn.cursor() as cur:
        load.copy_frame(cur, good, table, load.RAW_COLUMNS)  # no delete first: an append
    conn.commit()


def test_wrong_non_idempotent_rerun_hits_the_key_on_the_second_run(bconn, batches, failure):
    naive_append(bconn, batches[0])
    with failure.expect(psycopg2.errors.UniqueViolation, pgcode="23505",
                        match=r'^duplicate key value violates unique constraint "raw_transactions_pkey"\n'
                              r'DETAIL:  Key \(source_file, source_line\)=\(day:2010-12-01, 1\) already exists'):
        naive_append(bconn, batches[0])


def test_wrong_non_idempotent_rerun_without_a_key_doubles_every_row(bconn, batches):
    with bconn.cursor() as cur:
        cur.execute("CREATE TABLE staging (LIKE bronze.raw_transactions INCLUDING DEFAULTS)")  # and no key
    naive_append(bconn, batches[0], "staging")
    naive_append(bconn, batches[0], "staging")
    with bconn.cursor() as cur:
        cur.execute("SELECT count(*), count(DISTINCT (source_file, source_line)) FROM staging")
        rows, distinct = cur.fetchone()
        cur.execute("SELECT count(*) FROM (SELECT 1 FROM staging GROUP BY source_file, source_line "
                    "HAVING count(*) = 2) AS twice")
        doubled = cur.fetchone()[0]
    assert rows == 2 * distinct and doubled == distinct  # every single line is there twice


def committed_state(settings) -> dict:
    """What another connection sees: only what load_batch committed."""
    other = pipeline_db.connect(settings)
    try:
        return snapshot(other)
    finally:
        other.close()


def test_right_non_idempotent_rerun_twice_is_once(settings, bconn, batches, solution):
    first = solution.load_batch(bconn, batches[0])
    once = committed_state(settings)
    assert (first.batch_id, first.rows_in, first.loaded + first.rejected, first.dead_lettered) == (
        "day:2010-12-01", 60, 60, 0), f"load_batch should return the batch's BatchResult (60 rows in, all of them " \
                                      f"loaded or rejected, none dead-lettered); yours returned {first}"
    expected = [("day:2010-12-01", batches[0].sha256, 60, first.loaded, first.rejected, 0)]
    assert once["pipeline.checkpoints"] == expected, (
        f"after one load pipeline.checkpoints should hold the day's row (batch_id, batch.sha256, rows in, loaded, "
        f"rejected, 0 dead-lettered), committed (another connection looks): expected {expected}, it holds "
        f"{once['pipeline.checkpoints']}")
    assert len(once["bronze.raw_transactions"]) == first.loaded > 0, (
        f"bronze.raw_transactions should hold the {first.loaded} rows load_batch says it loaded, committed (another "
        f"connection looks); it holds {len(once['bronze.raw_transactions'])}")
    again = solution.load_batch(bconn, batches[0])
    assert (again.loaded, again.rejected) == (first.loaded, first.rejected), (
        f"loading the same day again should report the same counts {(first.loaded, first.rejected)} (loaded, "
        f"rejected); the second load reported {(again.loaded, again.rejected)}")
    twice = committed_state(settings)
    assert twice == once, (
        f"loading the same day twice should leave exactly the state of one load; {differences(twice, once)}")
    with bconn.cursor() as cur:  # an operator cleared the day's bronze rows; its checkpoint is still there
        cur.execute("DELETE FROM bronze.raw_transactions WHERE source_file = %(b)s; "
                    "DELETE FROM bronze.rejected_rows WHERE source_file = %(b)s", {"b": batches[0].batch_id})
    bconn.commit()
    solution.load_batch(bconn, batches[0])
    reloaded = committed_state(settings)
    assert reloaded == once, (
        f"load_batch must always load, even when the day's checkpoint (same sha256) says it is done: skipping is "
        f"the pipeline's job. After the day's bronze rows were deleted (checkpoint kept) and the same day loaded "
        f"again, the state should be that of one load; {differences(reloaded, once)}")


def state_after_one_clean_load(conn, batch: Batch) -> dict:
    """What the database holds when only this version of the day was ever loaded (by the reference)."""
    reset(conn)
    pipeline_db.create_schema(conn)
    load_batch(conn, batch)
    state = snapshot(conn)
    reset(conn)
    pipeline_db.create_schema(conn)
    return state


def differences(actual: dict, expected: dict) -> str:
    return "; ".join(f"{t}: {len(actual.get(t, []))} rows, expected {len(rows)}"
                     + (" (same count, other values)" if len(actual.get(t, [])) == len(rows) else "")
                     for t, rows in expected.items() if actual.get(t) != rows)


def test_right_non_idempotent_rerun_a_changed_input_replaces_the_day_and_its_checkpoint(bconn, batches, solution):
    day, fixed = batches[0], corrected(batches[0])
    expected = state_after_one_clean_load(bconn, fixed)
    solution.load_batch(bconn, day)
    result = solution.load_batch(bconn, fixed)  # the shop re-sent the day: the new version replaces the old
    assert (result.rows_in, result.rejected) == (58, 1), (
        f"the corrected day has 58 rows, one of them rejected: load_batch returned rows_in={result.rows_in}, "
        f"rejected={result.rejected}")
    state = snapshot(bconn)
    assert state["pipeline.checkpoints"] == expected["pipeline.checkpoints"], (
        f"after re-loading a changed day its checkpoint must describe the NEW input (its sha256 and counts: "
        f"ON CONFLICT (batch_id) DO UPDATE, not DO NOTHING): expected {expected['pipeline.checkpoints']}, "
        f"found {state['pipeline.checkpoints']}")
    assert state == expected, (
        f"after loading the day and then its corrected version the database should hold exactly what one load of "
        f"the corrected version gives (load_batch always loads; skipping is the pipeline's job): "
        f"{differences(state, expected)}")


@pytest.mark.parametrize("where", [*FAULTS, "refusing_the_checkpoint", "failing_in_python"])
def test_right_non_idempotent_rerun_a_failed_reload_keeps_the_previous_load(settings, bconn, batches, where,
                                                                          solution):
    day, fixed = batches[0], corrected(batches[0])
    solution.load_batch(bconn, day)
    before = snapshot(bconn)
    if where in FAULTS:
        the_server_drops_the_connection_on(bconn, where)
        error = psycopg2.Error
        what = f"the server dropped the connection while load_batch was {where.replace('_', ' ')}"
    elif where == "refusing_the_checkpoint":  # a real constraint error; the connection survives it
        with bconn.cursor() as cur:
            cur.execute("ALTER TABLE pipeline.checkpoints ADD CONSTRAINT not_this_input CHECK (source_sha256 <> %s)",
                        (fixed.sha256,))
        bconn.commit()
        error, what = psycopg2.errors.CheckViolation, "the database refused the new checkpoint (SQLSTATE 23514)"
    else:
        bconn.cursor_factory = FailsWritingTheCheckpoint
        error, what = RuntimeError, "a RuntimeError (not a database error) came up as the checkpoint was written"
    try:
        with must_raise(error, f"{what}: load_batch must let that error out"):
            solution.load_batch(bconn, fixed)
    finally:
        bconn.cursor_factory = psycopg2.extensions.cursor
    if not bconn.closed:
        status = bconn.info.transaction_status
        assert status == TRANSACTION_STATUS_IDLE, (
            f"after a failed load load_batch must roll back (on any exception) and re-raise; it left the connection "
            f"{'in an aborted transaction' if status == TRANSACTION_STATUS_INERROR else 'inside a transaction'}")
    fresh = pipeline_db.connect(settings)
    try:
        after = snapshot(fresh)
        assert after == before, (
            f"a re-load that failed ({what}) must leave the previous load exactly as it was (delete, insert and "
            f"checkpoint in ONE transaction, one commit at the end); {differences(after, before)}")
    finally:
        fresh.close()


@hsettings(max_examples=3, phases=[Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(runs=st.lists(st.lists(st.integers(0, 3), min_size=1, max_size=3), min_size=1, max_size=2))
def test_right_non_idempotent_rerun_any_sequence_of_runs_ends_in_the_same_state(settings, bconn, batches, runs,
                                                                               solution):
    """Load any batches in any order, any number of times, then every day once more: always the one clean state."""
    if settings.dbname not in CLEAN:  # one clean state per database, not per example: each day loaded once
        reset(bconn)
        pipeline_db.create_schema(bconn)
        for batch in batches:
            load_batch(bconn, batch)
        CLEAN[settings.dbname] = snapshot(bconn)
    reset(bconn)
    pipeline_db.create_schema(bconn)
    for run in runs:
        for i in run:
            solution.load_batch(bconn, batches[i])
    for batch in batches:  # the last run loads every day once more
        solution.load_batch(bconn, batch)
    state = snapshot(bconn)
    assert state == CLEAN[settings.dbname], (
        f"loading days {runs} (runs of day numbers 0-3), then every day once more, should end in the state of "
        f"loading every day once; {differences(state, CLEAN[settings.dbname])}")
