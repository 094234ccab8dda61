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
Hints:
    - Checkpoints cannot stop a second run: both runs read them before
      either writes. Something must say "taken" at once.
    - pg_advisory_lock waits; pg_try_advisory_lock answers at once. And a
      lock taken in a transaction ends with it: the run needs the session's.
    - wait_s is a deadline for retries every poll_s; the message names the
      holder's backend pid, which pg_locks knows (lock.holder builds it).
"""
import threading
import time

import psycopg2
import pytest
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

from failurelab.expect import must_raise
from sessions.session1 import cleaning, load
from sessions.session3 import db as pipeline_db, pipeline
from sessions.session3.lock import LOCK_KEY, AlreadyRunning, acquire_lock, release_lock

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


def connect_with_a_lock_timeout(settings, timeout_ms: int):
    """A run's connection whose lock waits fail after `timeout_ms` (LockNotAvailable): a blocking fix fails fast."""
    conn = pipeline_db.connect(settings)
    with conn.cursor() as cur:
        cur.execute(f"SET lock_timeout = {int(timeout_ms)}")
    conn.commit()
    return conn


def holds_the_lock(settings, conn) -> bool:
    """Does `conn`'s session hold the pipeline's advisory lock? (asked from another connection)"""
    probe = pipeline_db.connect(settings)
    try:
        with probe.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted AND classid = %s "
                        "AND objid = %s AND objsubid = 1 AND pid = %s",  # objsubid 1: one bigint key
                        (LOCK_KEY >> 32, LOCK_KEY & 0xFFFFFFFF, conn.get_backend_pid()))
            return cur.fetchone()[0] == 1
    finally:
        probe.close()


def another_session_can_take_it(settings) -> bool:
    """Can a new session take the pipeline's lock now? (it lets go of it again by closing)"""
    probe = pipeline_db.connect(settings)
    try:
        with probe.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,))
            return cur.fetchone()[0]
    finally:
        probe.close()


def test_right_concurrent_runs_the_second_run_exits_at_once_naming_the_holder(settings, bconn, solution):
    first, second = pipeline_db.connect(settings), connect_with_a_lock_timeout(settings, 500)
    try:
        solution.acquire_lock(first)
        assert holds_the_lock(settings, first), (
            "acquire_lock returned, yet its connection does not hold the advisory lock on "
            "sessions.session3.lock.LOCK_KEY (one bigint key: pg_try_advisory_lock(LOCK_KEY))")
        assert first.info.transaction_status == TRANSACTION_STATUS_IDLE, (
            "acquire_lock should commit after taking the lock (the lock is session-level, it stays); it left the "
            "connection inside a transaction for the whole run")
        started = time.monotonic()
        with must_raise(AlreadyRunning, "a second run must stop at once (wait_s=0) with AlreadyRunning naming the "
                        "lock and the holder's pid: pg_try_advisory_lock answers false at once, pg_advisory_lock "
                        "would queue behind the first run (stopped here after 0.5 s)",
                        match=rf"^another run of the pipeline is in progress \(advisory lock {LOCK_KEY} held by "
                              rf"backend pid {first.get_backend_pid()} \("):
            solution.acquire_lock(second, wait_s=0, poll_s=1)
        took = time.monotonic() - started
        assert took < 0.5, (
            f"with wait_s=0 the second run should give up at once, without sleeping poll_s (here 1 s) first: check "
            f"the deadline before sleeping; acquire_lock(wait_s=0, poll_s=1) took {took:.2f} s")
        first.commit(), first.rollback()  # the first run's own transactions come and go: the lock must stay
        with must_raise(AlreadyRunning, "the lock must last for the holder's whole session, through its commits and "
                                        "rollbacks (pg_try_advisory_lock, not the _xact_ variant released at commit)"):
            solution.acquire_lock(second)
        first.close()  # the first run ends (or is killed): PostgreSQL releases its lock with its session
        solution.acquire_lock(second, wait_s=2)  # the next run may start
        assert holds_the_lock(settings, second), (
            "after the first run ended, acquire_lock(wait_s=2) should have taken the lock on LOCK_KEY")
        release_lock(second)  # the run ends, its connection stays open: one pg_advisory_unlock must free the lock
        assert another_session_can_take_it(settings), (
            "after acquire_lock(conn) and then sessions.session3.lock.release_lock(conn) (one pg_advisory_unlock), "
            "another run could not take the lock: take it ONCE per acquire_lock (a session-level advisory lock taken "
            "twice needs two unlocks)")
    finally:
        release_lock(second), second.close(), first.close()


def test_right_concurrent_runs_waits_up_to_wait_s_polling_every_poll_s(settings, bconn, solution):
    first, second = pipeline_db.connect(settings), connect_with_a_lock_timeout(settings, 3000)
    try:
        solution.acquire_lock(first)
        started = time.monotonic()
        with must_raise(AlreadyRunning, "the lock stayed taken for longer than wait_s=1.0: give up with "
                                        "AlreadyRunning after wait_s"):
            solution.acquire_lock(second, wait_s=1.0, poll_s=0.1)
        took = time.monotonic() - started
        assert 0.9 <= took <= 1.6, (
            f"with wait_s=1.0 acquire_lock should keep trying (every poll_s) for about 1 s before giving up; it gave "
            f"up after {took:.2f} s")
        started = time.monotonic()
        with must_raise(AlreadyRunning, "the lock stayed taken for longer than wait_s=0.5: give up with "
                                        "AlreadyRunning after wait_s"):
            solution.acquire_lock(second, wait_s=0.5, poll_s=0.4)
        took = time.monotonic() - started
        assert took < 0.7, (
            f"with wait_s=0.5 and poll_s=0.4 acquire_lock should give up about 0.5 s after it began: never sleep "
            f"past the deadline (sleep the smaller of poll_s and the time left); it gave up after {took:.2f} s")
        threading.Timer(0.3, first.close).start()  # the first run ends 0.3 s from now
        started = time.monotonic()
        solution.acquire_lock(second, wait_s=5.0, poll_s=0.05)
        took = time.monotonic() - started
        assert 0.25 <= took <= 1.0, (
            f"the first run ended after 0.3 s: with poll_s=0.05 the waiting run should get the lock soon after "
            f"(well before wait_s=5.0 runs out); it took {took:.2f} s")
        assert holds_the_lock(settings, second), (
            "acquire_lock returned but its connection does not hold the advisory lock on LOCK_KEY")
    finally:
        release_lock(second), second.close(), first.close()


def test_right_concurrent_runs_the_cli_exits_with_code_3(settings, db_env, batches, tmp_path, capsys, solution):
    holder = pipeline_db.connect(settings)
    source = tmp_path / "days.csv"
    source.write_text("InvoiceNo,StockCode,Description,Quantity,InvoiceDate,UnitPrice,CustomerID,Country\n"
                      "536365,85123A,WHITE HANGING HEART T-LIGHT HOLDER,6,2010-12-01 08:26:00,2.55,17850.0,"
                      "United Kingdom\n")
    try:
        solution.acquire_lock(holder)
        code = pipeline.main([str(source)])
        err = capsys.readouterr().err
        assert code == 3 and "not started: another run of the pipeline is in progress" in err, (
            f"while your acquire_lock holds the lock, the pipeline (which takes sessions.session3.lock.LOCK_KEY with "
            f"pg_try_advisory_lock) should exit with code 3; it exited {code}: is it the same lock (LOCK_KEY, one "
            f"bigint key)?")
    finally:
        holder.close()
