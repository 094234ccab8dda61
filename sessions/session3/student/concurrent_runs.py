"""Your fix for concurrent_runs: one run of the pipeline at a time.

Run: pytest --student sessions/session3 -k concurrent_runs -s
"""
from __future__ import annotations


def acquire_lock(conn, *, wait_s: float = 0.0, poll_s: float = 0.2) -> None:
    # TODO(concurrent_runs): SELECT pg_try_advisory_lock(sessions.session3.lock.LOCK_KEY) on conn
    # (session-level, one bigint key; it answers at once, where pg_advisory_lock would wait), then
    # commit (the lock stays with the session, through its commits). Take it once: one
    # sessions.session3.lock.release_lock(conn) (one pg_advisory_unlock) must free it. If it
    # returns false, try again every poll_s until wait_s has passed (wait_s=0: give up at once,
    # without sleeping; never sleep past the deadline), then raise
    # sessions.session3.lock.AlreadyRunning("another run of the pipeline is in progress (advisory
    # lock <LOCK_KEY> held by backend pid <pid> (...") with the holder's pid from pg_locks
    # (sessions.session3.lock.holder(conn) builds the "backend pid <pid> (...)" part).
    raise NotImplementedError("TODO(concurrent_runs): write acquire_lock")
