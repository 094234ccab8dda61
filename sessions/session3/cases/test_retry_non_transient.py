"""Retrying an error that cannot go away.

Scenario:
    The loader wraps everything in "retry 5 times, pause between tries". The
    password in the job's settings is wrong, or a batch hits a duplicate key;
    the loader dutifully tries again, and again, and fails the same way.
Why:
    Only some errors are transient (a dropped connection, a serialization
    failure 40001, a deadlock 40P01, a server restart 57P01). A wrong password,
    a syntax error or a constraint violation (23505) come back identically on
    every try: retrying them wastes minutes, can lock the account, and buries
    the real message under retry noise.
Fix:
    Classify before retrying: by SQLSTATE where there is one (40001, 40P01,
    57P01-57P03, 53300 and class 08 are transient; everything else, including
    57014 statement timeouts, is not) and by the server's message for failed
    connections, which carry no SQLSTATE in psycopg2. Fail at once on a
    permanent error, with the original error unchanged.
"""
import time

import psycopg2
import pytest

from sessions.session3 import retry

pytestmark = pytest.mark.failure_case("configuration", fix=retry.is_transient)


def naive_retry(fn, tries=5):
    for attempt in range(tries):
        try:
            return fn()
        except psycopg2.Error:  # every database error is "worth another try"
            if attempt == tries - 1:
                raise
            time.sleep(2 ** attempt)


def insert_checkpoint(conn):
    with conn.cursor() as cur:
        cur.execute("INSERT INTO pipeline.checkpoints VALUES ('day:2010-12-01', 'f00d', 1, 1, 0, 0)")
    conn.commit()


def test_wrong_retry_non_transient_retries_a_duplicate_key_five_times(bconn, mocker, failure):
    sleep = mocker.patch("time.sleep")
    insert_checkpoint(bconn)

    def again():
        try:
            insert_checkpoint(bconn)
        finally:
            bconn.rollback()
    with failure.expect(psycopg2.errors.UniqueViolation, pgcode="23505",
                        match=r'^duplicate key value violates unique constraint "checkpoints_pkey"'):
        naive_retry(again)
    assert sleep.call_count == 4 and sum(c.args[0] for c in sleep.call_args_list) == 15  # 15 s for nothing


def test_wrong_retry_non_transient_retries_a_wrong_password(db, mocker):
    sleep = mocker.patch("time.sleep")
    with pytest.raises(psycopg2.OperationalError, match=r'password authentication failed for user "\w+"'):
        naive_retry(lambda: db.connect(password="not-the-password"))
    assert sleep.call_count == 4  # five logins refused: in production, a locked account


def test_right_retry_non_transient_errors_are_classified_by_sqlstate(bconn, serialization_failure, solution):
    insert_checkpoint(bconn)
    with pytest.raises(psycopg2.errors.UniqueViolation) as duplicate:
        insert_checkpoint(bconn)
    bconn.rollback()
    with pytest.raises(psycopg2.errors.QueryCanceled) as timeout:
        with bconn.cursor() as cur:
            cur.execute("SET statement_timeout = '50ms'; SELECT pg_sleep(1)")
    bconn.rollback()
    assert solution.is_transient(serialization_failure) is True    # 40001: a redo succeeds
    assert solution.is_transient(duplicate.value) is False         # 23505: the same key every time
    assert solution.is_transient(timeout.value) is False           # 57014: the same query times out again


def test_right_retry_non_transient_a_wrong_password_fails_at_once(db, closed_port, mocker, solution):
    sleep = mocker.patch("time.sleep")
    connect = mocker.Mock(side_effect=lambda: db.connect(password="not-the-password"))  # counts the real logins
    with pytest.raises(psycopg2.OperationalError, match="password authentication failed") as raised:
        retry.call_with_retry(connect, classify=solution.is_transient)
    assert connect.call_count == 1 and sleep.call_count == 0
    assert "not-the-password" not in str(raised.value)
    with pytest.raises(psycopg2.OperationalError, match="Connection refused") as refused:
        db.connect(port=closed_port)
    assert solution.is_transient(refused.value) is True  # nothing listening (yet): worth a retry
