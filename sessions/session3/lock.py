"""Session 3: one run at a time, with a PostgreSQL advisory lock.

Two runs of the same pipeline at once read the same checkpoints, both decide a
batch is still to do, and both write it: duplicates, or a UniqueViolation, or a
deadlock. A session-level advisory lock held for the whole run makes the second
run stop at once with a clear message. PostgreSQL releases it by itself when the
holder's session ends: at once when the process is killed (its operating system
closes the socket), but after a lost network (a dead host, a cable, a NAT that
forgot us) only once the server *notices*. An idle connection sends nothing; the
server turns TCP keepalives on for every TCP client, but with the OS's timings
unless told otherwise: on Linux 7200 s of silence, then 9 probes 75 s apart, so
2 h 11 min before the lock is free. ``connect`` asks for short keepalives on
both ends of the lock's connection: a lost holder is noticed, and its lock
freed, about a minute after it went silent.
"""
from __future__ import annotations

import time
from contextlib import contextmanager

import psycopg2

from sessions.session3 import db

LOCK_KEY = 0x5E553  # one arbitrary bigint per pipeline; all runs of this pipeline use it

# The client's side (libpq): probe after 30 s of silence, every 10 s, give up after 3 lost probes (~60 s); data
# sent but never acknowledged fails after 60 s (tcp_user_timeout, ms) instead of Linux's ~15 min of retransmits.
CLIENT_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3,
                     "tcp_user_timeout": 60_000}
# The server's side: what frees the lock. tcp_keepalives_* are per-session settings any user may SET; 0 (the
# default) means the OS's: on Linux 7200 s idle + 9 probes x 75 s = 7875 s before a lost client is noticed.
SERVER_KEEPALIVES = {"tcp_keepalives_idle": 30, "tcp_keepalives_interval": 10, "tcp_keepalives_count": 3}


def connect(settings):
    """The lock's own connection: session 3's, with keepalives asked of the client AND the server."""
    conn = db.connect(settings, **CLIENT_KEEPALIVES)
    try:
        with conn.cursor() as cur:
            for name, value in SERVER_KEEPALIVES.items():
                cur.execute("SELECT set_config(%s, %s, false)", (name, str(value)))  # for the whole session
        conn.commit()
    except BaseException:
        conn.close()
        raise
    return conn


class AlreadyRunning(RuntimeError):
    """Another run of the pipeline holds the lock."""


class LockLost(RuntimeError):
    """The run's lock connection ended: another run could start, so this one stops."""


def assert_held(conn) -> None:
    """Raise LockLost unless this session still holds the lock (cheap: one query per batch)."""
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND objid = %s AND granted "
                        "AND pid = pg_backend_pid()", (LOCK_KEY,))
            held = cur.fetchone()[0] == 1
        conn.rollback()
    except psycopg2.Error as err:
        raise LockLost("the pipeline's lock connection ended, so its advisory lock is gone; stopping before the "
                       "next batch so two runs never overlap (finished batches are kept: re-run to resume)") from err
    if not held:
        raise LockLost("this run no longer holds the pipeline's advisory lock; stopping (re-run to resume)")


def holder(conn) -> str:
    """Who holds the lock, for the message: pid, application and since when."""
    with conn.cursor() as cur:
        cur.execute("""SELECT a.pid, a.application_name, date_trunc('second', a.backend_start)
                         FROM pg_locks l JOIN pg_stat_activity a USING (pid)
                        WHERE l.locktype = 'advisory' AND l.granted AND l.objid = %s AND a.pid <> pg_backend_pid()
                          AND a.datname = current_database()  -- advisory locks are per database""",
                    (LOCK_KEY,))
        row = cur.fetchone()
    conn.rollback()
    return f"backend pid {row[0]} ({row[1] or 'unnamed'}, connected since {row[2]})" if row else "another session"


def acquire_lock(conn, *, wait_s: float = 0.0, poll_s: float = 0.2) -> None:
    """Take the pipeline's advisory lock on ``conn`` (session-level), or raise AlreadyRunning.

    ``wait_s`` > 0 waits that long for a previous run to end (e.g. a killed run's
    backend still closing); the default is to give up at once.
    """
    deadline = time.monotonic() + wait_s
    while True:
        with conn.cursor() as cur:
            cur.execute("SELECT pg_try_advisory_lock(%s)", (LOCK_KEY,))  # try: never queue behind the other run
            got = cur.fetchone()[0]
        conn.commit()  # the lock is session-level: it outlives this transaction
        if got:
            return
        left = deadline - time.monotonic()
        if left <= 0:
            raise AlreadyRunning(f"another run of the pipeline is in progress (advisory lock {LOCK_KEY} held by "
                                 f"{holder(conn)}); this run exits without touching anything. Wait for it to "
                                 "finish, or look at it with: SELECT * FROM pg_locks WHERE locktype = 'advisory'")
        time.sleep(min(poll_s, left))  # never sleep past the deadline


def release_lock(conn) -> None:
    if not conn.closed:
        conn.rollback()
        with conn.cursor() as cur:
            cur.execute("SELECT pg_advisory_unlock(%s)", (LOCK_KEY,))
        conn.commit()


@contextmanager
def pipeline_lock(conn, *, wait_s: float = 0.0):
    """Hold the lock for the block: ``with pipeline_lock(conn): ...``."""
    acquire_lock(conn, wait_s=wait_s)
    try:
        yield
    finally:
        release_lock(conn)
