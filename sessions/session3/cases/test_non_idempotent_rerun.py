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
"""
import psycopg2
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from sessions.session1 import cleaning, load
from sessions.session3 import pipeline
from sessions.session3.batches import load_batch
from sessions.session3.snapshot import reset, snapshot
from sessions.session3 import db as pipeline_db

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


def test_right_non_idempotent_rerun_twice_is_once(bconn, batches, solution):
    first = solution.load_batch(bconn, batches[0])
    once = snapshot(bconn)
    assert once["pipeline.checkpoints"] == [("day:2010-12-01", batches[0].sha256, 60, first.loaded, first.rejected,
                                             0)]  # the day is recorded as done, with counts that reconcile
    assert len(once["bronze.raw_transactions"]) == first.loaded > 0
    again = solution.load_batch(bconn, batches[0])
    assert (again.loaded, again.rejected) == (first.loaded, first.rejected)
    assert snapshot(bconn) == once


@hsettings(max_examples=5, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(runs=st.lists(st.lists(st.integers(0, 3), max_size=3), max_size=3))
def test_right_non_idempotent_rerun_any_sequence_of_runs_ends_in_the_same_state(settings, bconn, batches, runs,
                                                                               solution):
    """Load any batches in any order, any number of times, then run: always the one clean end state."""
    if settings.dbname not in CLEAN:  # one clean run per database, not per example
        reset(bconn)
        pipeline_db.create_schema(bconn)
        pipeline.run_batches(settings, batches)
        CLEAN[settings.dbname] = snapshot(bconn)
    reset(bconn)
    pipeline_db.create_schema(bconn)
    for run in runs:
        for i in run:
            solution.load_batch(bconn, batches[i])
    pipeline.run_batches(settings, batches)
    assert snapshot(bconn) == CLEAN[settings.dbname]
