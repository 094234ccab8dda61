"""Session 3: connections whose commit belongs to the batch, and the schemas.

Session 1's ``ingest_frame`` commits its own work, which is right when it runs
alone. Here a batch is more than the ingest: its rows, its dead letters and its
checkpoint must commit together or not at all. ``BatchConnection`` lets the
batch runner *own* the transaction: inside ``caller_commits(conn)`` a callee's
``commit()`` (and ``with conn:``) does nothing, and the runner commits once at
the end. A callee's ``rollback()`` does nothing either: its error propagates and
the runner rolls back (to a savepoint, or all of it).
"""
from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import psycopg2
import psycopg2.extensions

from sessions.session1 import config, load as session1_load
from sessions.session3 import hooks

SCHEMA = Path(__file__).with_name("schema.sql")


class BatchConnection(psycopg2.extensions.connection):
    owned = False  # True while a caller owns the transaction

    def commit(self):
        if not self.owned:
            super().commit()
            hooks.committed()  # a crash test may stop us right after any real commit

    def rollback(self):
        if not self.owned:
            super().rollback()

    def __exit__(self, kind, value, tb):
        if not self.owned:
            return super().__exit__(kind, value, tb)
        return False


@contextmanager
def caller_commits(conn: BatchConnection):
    """Within the block, commits and rollbacks by callees are the caller's to make."""
    if not isinstance(conn, BatchConnection):
        raise TypeError("connect with connection_factory=BatchConnection (sessions.session3.db.connect) "
                        "so the batch can own its transaction")
    conn.owned = True
    try:
        yield conn
    finally:
        conn.owned = False


APPLICATION_NAME = "failurelab-session3"  # what pg_stat_activity (and AlreadyRunning) shows for this pipeline


def connect(settings, **overrides) -> BatchConnection:
    """Session 1's connection (timeouts, no password in errors), as a BatchConnection named for session 3."""
    return config.connect(settings, **{"connection_factory": BatchConnection, "application_name": APPLICATION_NAME,
                                       **overrides})


def create_schema(conn) -> None:
    """Bronze (session 1), then the pipeline's checkpoints and dead letters; idempotent."""
    session1_load.create_schema(conn)
    with conn.cursor() as cur:
        cur.execute(SCHEMA.read_text())
    conn.commit()
