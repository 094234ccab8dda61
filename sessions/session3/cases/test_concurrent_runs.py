"""Two runs at once.

Scenario:
    The nightly job is still running when the scheduler (or a colleague, by
    hand) starts it again. Both runs look at the checkpoints, both see that
    day 2010-12-01 is not loaded yet, and both load it.
Why:
    "Check, then write" is a race: between one run's check and its write the
    other run writes too. With a key, the slower run dies with a
    UniqueViolation after waiting on the faster one's lock (or both deadlock
    and PostgreSQL aborts one with 40P01); without a key, the day is in the
    table twice. Checkpoints cannot prevent it: both runs read them before
    either writes one.
Fix:
    Allow one run at a time: take a PostgreSQL advisory lock
    (pg_try_advisory_lock) at the start and hold it for the whole run. The
    second run gets false at once and exits with a clear message naming who
    holds the lock; PostgreSQL releases it when the holder's session ends,
    even after a kill -9, so there is no stale lock file to clean up.
"""
import threading
import time

import psycopg2
import pytest

from sessions.session1 import cleaning, load
from sessions.session3 import db as pipeline_db, pipeline
from sessions.session3.lock import AlreadyRunning, acquire_lock, release_lock

pytestmark = pytest.mark.failure_case("infrastructure", fix=acquire_lock)


def naive_run(conn, batch, both_checked: threading.Barrier):
    with conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM bronze.raw_transactions WHERE source_file = %s", (batch.batch_id,))
        loaded = cur.fetchone()[0]
    both_checked.wait()  # the race, made certain: both runs have looked before either writes
    if not loaded:
        good = cleaning.clean(batch.frame).good.assign(source_file=batch.batch_id)
        with conn.cursor() as cur:
            load.copy_frame(cur, good, "bronze.raw_transactions", load.RAW_COLUMNS)
        conn.commit()


def test_wrong_concurrent_runs_both_load_the_same_day(settings, bconn, batches, failure):
    barrier, errors = threading.Barrier(2), []
    conns = [pipeline_db.connect(settings) for _ in range(2)]

    def one_run(conn):
        try:
            naive_run(conn, batches[0], barrier)
        except psycopg2.Error as err:
            errors.append(err)
            conn.rollback()
    threads = [threading.Thread(target=one_run, args=(c,)) for c in conns]
    [t.start() for t in threads], [t.join(10) for t in threads], [c.close() for c in conns]
    assert len(errors) == 1  # one run won; the other waited for its row locks, then:
    with failure.expect(psycopg2.errors.UniqueViolation, pgcode="23505",
                        match=r'^duplicate key value violates unique constraint "raw_transactions_pkey"'):
        raise errors[0]


def test_right_concurrent_runs_the_second_run_exits_at_once_naming_the_holder(settings, bconn, solution):
    first, second = pipeline_db.connect(settings), pipeline_db.connect(settings)
    solution.acquire_lock(first)
    started = time.monotonic()
    with pytest.raises(AlreadyRunning, match=r"^another run of the pipeline is in progress \(advisory lock \d+ "
                                             r"held by backend pid \d+ \("):
        solution.acquire_lock(second)
    assert time.monotonic() - started < 0.5  # at once, not after a timeout
    first.close()  # the first run ends (or is killed): PostgreSQL releases its lock with its session
    solution.acquire_lock(second, wait_s=2)  # the next run may start
    release_lock(second), second.close()


def test_right_concurrent_runs_the_cli_exits_with_code_3(settings, db_env, batches, tmp_path, capsys, solution):
    holder = pipeline_db.connect(settings)
    source = tmp_path / "days.csv"
    source.write_text("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
                      "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,"
                      "United Kingdom\n")
    solution.acquire_lock(holder)
    assert pipeline.main([str(source)]) == 3
    assert "not started: another run of the pipeline is in progress" in capsys.readouterr().err
    holder.close()
