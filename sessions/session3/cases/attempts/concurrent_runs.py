"""Attempts at concurrent_runs (spoilers): what students hand in, and the verdict due."""
import time

import psycopg2
import psycopg2.errors

from failurelab.attempts import right, wrong
from sessions.session3.lock import LOCK_KEY, AlreadyRunning, holder


def _refuse(conn):
    raise AlreadyRunning(f"another run of the pipeline is in progress (advisory lock {LOCK_KEY} held by "
                         f"{holder(conn)}); this run exits without touching anything")


def _try(conn, key=LOCK_KEY, function="pg_try_advisory_lock"):
    with conn.cursor() as cur:
        cur.execute(f"SELECT {function}(%s)", (key,))
        got = cur.fetchone()[0]
    conn.commit()
    return got


@right("wait_s > 0: a blocking pg_advisory_lock bounded by lock_timeout; its own pg_locks query for the holder")
class LockTimeoutForTheWait:
    def acquire_lock(conn, *, wait_s=0.0, poll_s=0.2):
        if wait_s <= 0:
            got = _try(conn)
        else:
            try:
                with conn.cursor() as cur:
                    cur.execute("SET LOCAL lock_timeout = %s", (f"{int(wait_s * 1000)}ms",))
                    cur.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
                conn.commit()
                got = True
            except psycopg2.errors.LockNotAvailable:
                conn.rollback()
                got = False
        if got:
            return
        with conn.cursor() as cur:
            cur.execute("SELECT l.pid, a.application_name, a.backend_start FROM pg_locks l "
                        "JOIN pg_stat_activity a ON a.pid = l.pid WHERE l.locktype = 'advisory' AND l.granted "
                        "AND l.objid = %s AND l.pid <> pg_backend_pid()", (LOCK_KEY,))
            row = cur.fetchone()
        conn.rollback()
        who = f"backend pid {row[0]} ({row[1] or 'no application name'}, since {row[2]:%Y-%m-%d %H:%M})" if row \
            else "another session"
        raise AlreadyRunning(f"another run of the pipeline is in progress (advisory lock {LOCK_KEY} held by {who}): "
                             "not started")


@right("a deadline loop that sleeps no longer than the time left")
class DeadlineLoop:
    def acquire_lock(conn, *, wait_s=0.0, poll_s=0.2):
        deadline = time.monotonic() + wait_s
        while not _try(conn):
            left = deadline - time.monotonic()
            if left <= 0:
                _refuse(conn)
            time.sleep(min(poll_s, left))


@wrong("pg_advisory_lock blocks: the second run queues behind the first instead of exiting", caught_by="exits_at_once")
class BlockingLock:
    def acquire_lock(conn, *, wait_s=0.0, poll_s=0.2):
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_lock(%s)", (LOCK_KEY,))
        conn.commit()


@wrong("a transaction-level lock (pg_try_advisory_xact_lock): released at the commit, it protects nothing",
       caught_by="exits_at_once")
class TransactionLevelLock:
    def acquire_lock(conn, *, wait_s=0.0, poll_s=0.2):
        deadline = time.monotonic() + wait_s
        while not _try(conn, function="pg_try_advisory_xact_lock"):
            if time.monotonic() >= deadline:
                _refuse(conn)
            time.sleep(poll_s)


@wrong("a transaction-level lock kept by never committing: the first commit of the run releases it",
       caught_by="exits_at_once")
class TransactionLockNeverCommitted:
    def acquire_lock(conn, *, wait_s=0.0, poll_s=0.2):
        deadline = time.monotonic() + wait_s
        while True:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_xact_lock(%s)", (LOCK_KEY,))
                if cur.fetchone()[0]:
                    return  # the transaction stays open, so the lock stays ... until the next commit
            conn.rollback()
            if time.monotonic() >= deadline:
                _refuse(conn)
            time.sleep(poll_s)


@wrong("the message does not name the holder's pid: nobody can tell which run to wait for",
       caught_by="exits_at_once")
class NoHolderPid:
    def acquire_lock(conn, *, wait_s=0.0, poll_s=0.2):
        deadline = time.monotonic() + wait_s
        while not _try(conn):
            if time.monotonic() >= deadline:
                raise AlreadyRunning(f"another run of the pipeline is in progress (advisory lock {LOCK_KEY} held by "
                                     "another session); try again later")
            time.sleep(poll_s)


@wrong("tries once and ignores wait_s: a run started while the last one is closing gives up needlessly",
       caught_by="waits_up_to_wait_s")
class IgnoresWaitS:
    def acquire_lock(conn, *, wait_s=0.0, poll_s=0.2):
        if not _try(conn):
            _refuse(conn)


@wrong("sleeps the whole wait_s, then tries once more: waits 5 s for a lock that was free after 0.3 s",
       caught_by="waits_up_to_wait_s")
class SleepsTheWholeWait:
    def acquire_lock(conn, *, wait_s=0.0, poll_s=0.2):
        if _try(conn):
            return
        if wait_s > 0:
            time.sleep(wait_s)
            if _try(conn):
                return
        _refuse(conn)


@wrong("locks a key of its own (hashtext('pipeline')): the real pipeline does not see it and starts anyway",
       caught_by="cli_exits_with_code_3")
class OwnKey:
    def acquire_lock(conn, *, wait_s=0.0, poll_s=0.2):
        deadline = time.monotonic() + wait_s
        while True:
            with conn.cursor() as cur:
                cur.execute("SELECT pg_try_advisory_lock(hashtext('pipeline'))")
                got = cur.fetchone()[0]
            conn.commit()
            if got:
                return
            if time.monotonic() >= deadline:
                with conn.cursor() as cur:
                    cur.execute("SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted "
                                "AND objid = hashtext('pipeline')::oid AND pid <> pg_backend_pid()")
                    pid = cur.fetchone()
                conn.rollback()
                raise AlreadyRunning(f"another run of the pipeline is in progress (advisory lock {LOCK_KEY} held by "
                                     f"backend pid {pid[0] if pid else '?'} (pipeline))")
            time.sleep(poll_s)


@wrong("sleeps poll_s before it looks at the deadline: with wait_s=0 it still waits poll_s before giving up",
       caught_by="exits_at_once")
class SleepsBeforeTheDeadlineCheck:
    def acquire_lock(conn, *, wait_s=0.0, poll_s=0.2):
        deadline = time.monotonic() + wait_s
        while not _try(conn):
            time.sleep(poll_s)
            if time.monotonic() > deadline:
                _refuse(conn)


@wrong("checks the lock is free with one pg_try_advisory_lock, then takes it with another: one unlock leaves it held",
       caught_by="exits_at_once")
class TakesItTwice:
    def acquire_lock(conn, *, wait_s=0.0, poll_s=0.2):
        deadline = time.monotonic() + wait_s
        while True:
            if _try(conn) and _try(conn):  # "is it free?", then "take it"
                return
            if time.monotonic() >= deadline:
                _refuse(conn)
            time.sleep(min(poll_s, max(deadline - time.monotonic(), 0)))


@wrong("checks the deadline, then sleeps a whole poll_s: with wait_s=0.5, poll_s=0.4 it gives up after 0.8 s",
       caught_by="waits_up_to_wait_s")
class SleepsPastTheDeadline:
    def acquire_lock(conn, *, wait_s=0.0, poll_s=0.2):
        deadline = time.monotonic() + wait_s
        while not _try(conn):
            if time.monotonic() >= deadline:
                _refuse(conn)
            time.sleep(poll_s)
