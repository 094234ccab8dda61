"""Your fix for concurrent_runs: one run of the pipeline at a time.

Run: pytest --student sessions/session3 -k concurrent_runs -s
"""
from __future__ import annotations


def acquire_lock(conn, *, wait_s: float = 0.0, poll_s: float = 0.2) -> None:
    # TODO(concurrent_runs): SELECT pg_try_advisory_lock(sessions.session3.lock.LOCK_KEY) on conn,
    # then commit (the lock is session-level, it stays). If it returns false, retry every poll_s
    # until wait_s has passed, then raise sessions.session3.lock.AlreadyRunning("another run of the
    # pipeline is in progress (advisory lock <key> held by backend pid <pid> (...") with the pid
    # from pg_locks (sessions.session3.lock.holder(conn) builds that part).
    raise NotImplementedError("TODO(concurrent_runs): write acquire_lock")
