"""The parts on their own, against real failures: a real deadlock, a real kill -9 mid-write."""
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import psycopg2
import pytest

from sessions.session3 import checkpoint_file, retry

ROOT = Path(__file__).resolve().parents[3]


def test_a_real_deadlock_is_transient_and_a_retry_gets_through(db):
    a, b = db.connect(), db.connect()
    with a.cursor() as cur:
        cur.execute("CREATE TABLE t (id int PRIMARY KEY, n int); INSERT INTO t VALUES (1, 0), (2, 0)")
    a.commit()
    for conn in (a, b):
        try:  # find the deadlock in 20 ms instead of 1 s (a superuser setting: skipped on a shared server)
            with conn.cursor() as cur:
                cur.execute("SET deadlock_timeout = '20ms'")
            conn.commit()
        except psycopg2.errors.InsufficientPrivilege:
            conn.rollback()
    errors, both_hold_one = [], threading.Barrier(2)

    def update(conn, first, second):
        try:
            with conn.cursor() as cur:
                cur.execute("UPDATE t SET n = n + 1 WHERE id = %s", (first,))
                both_hold_one.wait()
                cur.execute("UPDATE t SET n = n + 1 WHERE id = %s", (second,))  # each waits for the other
            conn.commit()
        except psycopg2.Error as err:
            errors.append(err)
            conn.rollback()
    threads = [threading.Thread(target=update, args=(a, 1, 2)), threading.Thread(target=update, args=(b, 2, 1))]
    [t.start() for t in threads], [t.join(10) for t in threads]
    assert len(errors) == 1 and isinstance(errors[0], psycopg2.errors.DeadlockDetected)
    assert errors[0].pgcode == "40P01" and retry.is_transient(errors[0])
    a.close(), b.close()


def test_the_atomic_checkpoint_survives_kill_9_at_any_moment(tmp_path):
    path = tmp_path / "checkpoint.json"
    writer = ("import itertools, sys; from pathlib import Path; from sessions.session3.checkpoint_file import "
              "write_checkpoint\nfor n in itertools.count():\n"
              "    write_checkpoint(Path(sys.argv[1]), {'n': n, 'pad': 'x' * 4096})\n"
              "    n == 20 and print('writing', flush=True)")
    for delay in (0.0, 0.013, 0.031, 0.057):
        proc = subprocess.Popen([sys.executable, "-c", writer, str(path)], cwd=ROOT, stdout=subprocess.PIPE, text=True)
        proc.stdout.readline()  # it is writing in a loop now
        time.sleep(delay)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(), proc.stdout.close()
        state = checkpoint_file.read_checkpoint(path)
        assert state is not None and state["n"] >= 20  # always a whole checkpoint, old or new, never a torn one


def test_real_connection_errors_without_a_sqlstate_are_classified_by_kind(db):
    with pytest.raises(psycopg2.OperationalError, match=r'database "no_such_db" does not exist') as missing:
        db.connect(dbname="no_such_db")
    closed = db.connect()
    closed.close()
    with pytest.raises(psycopg2.InterfaceError, match=r"^connection already closed$") as gone:
        closed.cursor()
    assert missing.value.pgcode is None and retry.is_transient(missing.value) is False  # the same every time
    assert retry.is_transient(gone.value) is True  # a new connection helps


@pytest.mark.parametrize("exc, transient", [
    (ConnectionResetError(104, "Connection reset by peer"), True),  # from sockets, not psycopg2
    (ValueError("not a database problem"), False),
])
def test_errors_from_outside_psycopg2_are_classified_by_kind(exc, transient):
    assert retry.is_transient(exc) is transient


def update_after_a_concurrent_commit(db, isolation: str):
    """One transaction reads a row, another updates and commits it, then the first updates it too."""
    a, b = db.connect(), db.connect()
    try:
        with a.cursor() as cur:
            cur.execute("CREATE TABLE IF NOT EXISTS counter (id int PRIMARY KEY, n int); TRUNCATE counter; "
                        "INSERT INTO counter VALUES (1, 0)")
        a.commit()
        a.set_session(isolation_level=isolation)
        with a.cursor() as cur:
            cur.execute("SELECT n FROM counter WHERE id = 1")  # the first statement: a's snapshot (RR) is taken
        with b.cursor() as cur:
            cur.execute("UPDATE counter SET n = n + 1 WHERE id = 1")
        b.commit()
        with a.cursor() as cur:
            cur.execute("UPDATE counter SET n = n + 1 WHERE id = 1")
        a.commit()
        with a.cursor() as cur:
            cur.execute("SELECT n FROM counter WHERE id = 1")
            return cur.fetchone()[0]
    finally:
        a.close(), b.close()


def test_40001_comes_from_repeatable_read_not_from_the_pipelines_read_committed(db):
    # READ COMMITTED (PostgreSQL's default, and this pipeline's): the update applies to the row's new version
    assert update_after_a_concurrent_commit(db, "READ COMMITTED") == 2
    for isolation in ("REPEATABLE READ", "SERIALIZABLE"):  # a snapshot for the whole transaction: it must redo
        with pytest.raises(psycopg2.errors.SerializationFailure,
                           match=r"^could not serialize access due to concurrent update") as raised:
            update_after_a_concurrent_commit(db, isolation)
        assert raised.value.pgcode == "40001" and retry.is_transient(raised.value)
