"""Retrying an error that cannot go away.

Scenario:
    The loader wraps everything in "retry 5 times, pause between tries". The
    password in the job's settings is wrong, or a batch hits a duplicate key;
    the loader dutifully tries again, and again, and fails the same way.
Why:
    Only some errors are transient (a dropped connection, a serialization
    failure 40001, a deadlock 40P01, a server restart 57P01). A wrong password,
    a syntax error or a constraint violation (23505) come back identically on
    every try: retrying them wastes minutes and buries the real message under
    retry noise. A wrong password retried also fills the server log with
    failed logins; PostgreSQL itself locks no account for it, but LDAP, PAM,
    a cloud IAM login or fail2ban behind it may lock it or ban the address.
Fix:
    Classify before retrying: by SQLSTATE where there is one (40001, 40P01,
    57P01-57P03, 53300 and class 08 are transient; everything else, including
    57014 statement timeouts, is not) and by the server's message for failed
    connections, which carry no SQLSTATE in psycopg2. Fail at once on a
    permanent error, with the original error unchanged.
Hints:
    - Would the very same call succeed a second later? Sort the errors by
      that question, not by the exception's class name.
    - exc.pgcode decides whenever there is one: five codes and one whole
      class (the two letters 08) are worth a retry, nothing else is.
    - A failed connection has no pgcode in psycopg2: then only the server's
      message can tell a wrong password or a missing database from a server
      that is not there yet. Mind the errors that are not psycopg2's at all.
"""
import threading
import time
import uuid

import psycopg2
import pytest

from failurelab.expect import must_raise
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
    assert sleep.call_count == 4  # five logins refused, 15 s of pauses for nothing
    db.connect().close()  # and PostgreSQL itself locked nothing: the right password still gets in


def refused(conn, sql, *args):
    """The real error PostgreSQL raises for `sql` (the transaction is rolled back after it)."""
    try:
        with conn.cursor() as cur:
            cur.execute(sql, args or None)
    except psycopg2.Error as err:
        return err
    finally:
        if not conn.closed:
            conn.rollback()
    raise AssertionError(f"PostgreSQL accepted {sql!r}")


def raised_by_the_server(conn, sqlstate, message):
    """An error the real server raises with this SQLSTATE (RAISE ... USING ERRCODE), for the states that cannot be
    caused for real in a test: a crash, a server starting up, a network failure, an admin shutdown mid-query."""
    return refused(conn, "DO $$ BEGIN RAISE EXCEPTION USING ERRCODE = %s, MESSAGE = %s; END $$", sqlstate, message)


def a_real_deadlock(db):
    """Two connections each wait for the row the other holds: PostgreSQL aborts one of them with 40P01."""
    a, b = db.connect(), db.connect()
    try:
        with a.cursor() as cur:
            cur.execute("CREATE TABLE stock (id int PRIMARY KEY, n int); INSERT INTO stock VALUES (1, 0), (2, 0)")
        a.commit()
        for conn, first in ((a, 1), (b, 2)):
            try:  # find the deadlock in 100 ms instead of 1 s (a superuser setting: refused on a shared server)
                with conn.cursor() as cur:
                    cur.execute("SET deadlock_timeout = '100ms'")
                conn.commit()
            except psycopg2.errors.InsufficientPrivilege:
                conn.rollback()
            with conn.cursor() as cur:
                cur.execute("UPDATE stock SET n = n + 1 WHERE id = %s", (first,))
        errors = []

        def update(conn, row):
            try:
                with conn.cursor() as cur:
                    cur.execute("UPDATE stock SET n = n + 1 WHERE id = %s", (row,))
            except psycopg2.Error as err:
                errors.append(err)
            finally:
                conn.rollback()
        other = threading.Thread(target=update, args=(a, 2))
        other.start()
        time.sleep(0.05)
        update(b, 1)
        other.join(10)
        assert len(errors) == 1, f"expected one deadlock victim, got {errors}"
        return errors[0]
    finally:
        a.close(), b.close()


def misjudged(solution, cases) -> list[str]:
    wrong = []
    for what, err, expected in cases:
        try:
            said = solution.is_transient(err)
        except Exception as oops:
            said = f"{type(oops).__name__}: {oops}"
        if said is not expected:
            code = getattr(err, "pgcode", None)
            wrong.append(f"{type(err).__name__}" + (f" [{code}]" if code else "") + f" ({what}): {said!r}, "
                         f"expected {expected}")
    return wrong


def test_right_retry_non_transient_transient_sqlstates_are_worth_a_retry(db, conn, serialization_failure, solution):
    cases = [("a real serialization failure", serialization_failure, True),
             ("a real deadlock between two connections", a_real_deadlock(db), True)]
    for code, message in [("57P01", "terminating connection due to administrator command"),
                          ("57P02", "terminating connection because of crash of another server process"),
                          ("57P03", "the database system is starting up"),
                          ("53300", "sorry, too many clients already"),
                          ("08000", "connection exception"), ("08003", "connection does not exist"),
                          ("08006", "connection failure"), ("08001", "could not establish connection"),
                          ("08004", "the server rejected the connection"),
                          ("08P01", "invalid frontend message type 88")]:
        cases.append((f"SQLSTATE {code} raised by the server", raised_by_the_server(conn, code, message), True))
    wrong = misjudged(solution, cases)
    assert not wrong, (f"is_transient should be True for 40001, 40P01, 57P01-57P03, 53300 and every SQLSTATE of "
                       f"class 08 (08xxx); yours got {len(wrong)} of {len(cases)} wrong: " + "; ".join(wrong))


def test_right_retry_non_transient_permanent_sqlstates_fail_at_once(bconn, conn, solution):
    insert_checkpoint(bconn)
    cases = [("a real duplicate key", refused(bconn, "INSERT INTO pipeline.checkpoints VALUES "
                                                     "('day:2010-12-01', 'f00d', 1, 1, 0, 0)"), False),
             ("a real syntax error", refused(conn, "SELEC 1"), False),
             ("a real missing table", refused(conn, "SELECT * FROM bronze.no_such_table"), False),
             ("a real bad integer", refused(conn, "SELECT '12x'::int"), False),
             ("a real statement_timeout", refused(conn, "SET statement_timeout = '50ms'; SELECT pg_sleep(1)"),
              False),
             ("a real write in a read-only transaction",
              refused(conn, "SET TRANSACTION READ ONLY; CREATE TABLE t (x int)"), False)]
    for code, message in [("28P01", 'password authentication failed for user "loader"'),
                          ("28000", 'no pg_hba.conf entry for host "10.0.0.7", user "loader", database "retail"'),
                          ("3D000", 'database "retail" does not exist'),
                          ("42501", "permission denied for table raw_transactions"),
                          ("57P04", 'terminating connection because the database was dropped'),
                          ("40002", "transaction integrity constraint violation")]:
        cases.append((f"SQLSTATE {code} raised by the server", raised_by_the_server(conn, code, message), False))
    wrong = misjudged(solution, cases)
    assert not wrong, (f"is_transient should be False for every SQLSTATE but 40001, 40P01, 57P01-57P03, 53300 and "
                       f"class 08: the same statement fails the same way again (57014 statement timeouts included)"
                       f"; yours got {len(wrong)} of {len(cases)} wrong: " + "; ".join(wrong))


def connection_error(connect):
    try:
        connect().close()
    except psycopg2.Error as err:
        return err
    raise AssertionError("the connection was accepted")


def too_many_connections(db, conn):
    """A real 'too many connections' (53300) refusal. Superusers are exempt from connection limits, so: as a
    superuser (the throwaway server), a new role limited to 0 connections; as the database's owner without
    superuser (an existing server, e.g. docker compose), this database limited to 0 connections."""
    with conn.cursor() as cur:
        cur.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        superuser = cur.fetchone()[0]
    conn.commit()
    limited = f"limited_{uuid.uuid4().hex[:8]}"
    limit, unlimit, who = ((f"CREATE ROLE {limited} LOGIN PASSWORD 'pw' CONNECTION LIMIT 0", f"DROP ROLE {limited}",
                            {"user": limited, "password": "pw"}) if superuser else
                           (f'ALTER DATABASE "{db.dbname}" CONNECTION LIMIT 0',
                            f'ALTER DATABASE "{db.dbname}" CONNECTION LIMIT -1', {}))
    with conn.cursor() as cur:
        cur.execute(limit)
    conn.commit()
    try:
        return connection_error(lambda: db.connect(**who))
    finally:
        with conn.cursor() as cur:
            cur.execute(unlimit)
        conn.commit()


def test_right_retry_non_transient_failed_connections_are_judged_by_the_message(db, conn, closed_port, solution):
    dropped = db.connect()  # the server drops an idle connection (a restart, a failover, an admin)
    with conn.cursor() as cur:
        cur.execute("SELECT pg_terminate_backend(%s, 5000)", (dropped.get_backend_pid(),))  # waits till it is gone
    conn.commit()
    broken = refused(dropped, "SELECT 1")  # OperationalError: server closed the connection unexpectedly
    closed = refused(dropped, "SELECT 1")  # the same connection, used again: InterfaceError, already closed
    too_many = too_many_connections(db, conn)
    cases = [("a real wrong password", connection_error(lambda: db.connect(password="not-the-password")), False),
             ("a real missing database", connection_error(lambda: db.connect(dbname="no_such_database")), False),
             ("a real refused connection: nothing listens on the port",
              connection_error(lambda: db.connect(port=closed_port)), True),
             ("a real connection dropped by the server", broken, True),
             ("a real use of a connection the server dropped", closed, True),
             ("a real 'too many connections'", too_many, True)]
    # Refusals this test server is not configured to give (a real one needs a server whose pg_hba.conf has no line
    # for the client, or a database with CONNECT revoked): the OperationalError psycopg2 raises, in the server's words.
    for what, message in [
            ("no password supplied", 'connection to server at "10.0.0.5", port 5432 failed: fe_sendauth: no password '
                                     'supplied\n'),
            ("no pg_hba.conf entry", 'connection to server at "10.0.0.5", port 5432 failed: FATAL:  no pg_hba.conf '
                                     'entry for host "10.0.0.7", user "loader", database "retail", no encryption\n'),
            ("no CONNECT privilege", 'connection to server at "10.0.0.5", port 5432 failed: FATAL:  permission denied '
                                     'for database "retail"\nDETAIL:  User does not have CONNECT privilege.\n')]:
        cases.append((f"a login refused: {what}", psycopg2.OperationalError(message), False))
    wrong = misjudged(solution, cases)
    assert not wrong, (
        f"a failed connection carries no SQLSTATE in psycopg2: is_transient must read the message (False when it "
        f"says 'password authentication failed', 'no password supplied', 'does not exist', 'no pg_hba.conf entry' "
        f"or 'permission denied': retrying cannot help; True for any other "
        f"OperationalError and for InterfaceError); yours got {len(wrong)} of {len(cases)} wrong: " + "; ".join(wrong))


def test_right_retry_non_transient_other_exceptions(solution):
    cases = [("a bug in the loader", KeyError("Quantity"), False), ("a bad value", ValueError("12x"), False),
             ("a network reset", ConnectionResetError(104, "Connection reset by peer"), True),
             ("a timeout of the feed", TimeoutError("timed out"), True),
             ("a missing input file", FileNotFoundError(2, "No such file or directory"), False),
             ("a file the job may not read", PermissionError(13, "Permission denied"), False)]
    wrong = misjudged(solution, cases)
    assert not wrong, ("without a SQLSTATE and outside psycopg2, is_transient should be True only for Python's "
                       "ConnectionError and TimeoutError (the network), False for anything else, other OSErrors "
                       "such as FileNotFoundError and PermissionError included (they come back on every try); "
                       f"yours got {len(wrong)} of {len(cases)} wrong: " + "; ".join(wrong))


def test_right_retry_non_transient_a_wrong_password_fails_at_once(db, closed_port, mocker, solution):
    sleep = mocker.patch("time.sleep")
    connect = mocker.Mock(side_effect=lambda: db.connect(password="not-the-password"))  # counts the real logins
    with must_raise(psycopg2.OperationalError, "a wrong password is permanent: the retry must stop at once with "
                                               "the original error", match="password authentication failed") as raised:
        retry.call_with_retry(connect, classify=solution.is_transient)
    assert connect.call_count == 1 and sleep.call_count == 0, (
        f"with your is_transient a wrong password was tried {connect.call_count} times, with {sleep.call_count} "
        f"pauses: one refused login should be the end of it (each retry is one more failed login in the "
        f"server's log, and behind LDAP, PAM or fail2ban a step towards a lock-out)")
    assert "not-the-password" not in str(raised.value), "the error must not show the password"
