"""Network timeout.

Scenario:
    The job waits on the network and nobody said for how long. The server
    hangs, or a load balancer or VPN endpoint takes the TCP connection for a
    server that is gone: the connection opens, then nothing ever answers. A
    connection goes silent in the middle of a long query. Or a step simply
    takes longer than the database allows, and PostgreSQL cancels the
    statement half way.
Why:
    Silence is not an error: without connect_timeout libpq waits for a server
    that accepted the TCP connection but never answers for as long as it stays
    silent; with connect_timeout=1 it gives up with "timeout expired" after
    about a second (an OperationalError from the client, so no SQLSTATE). A
    connection that dies mid-query sends no error either: the job waits until
    the kernel's keepalive defaults (over two hours on Linux) give up. A slow
    statement under a statement_timeout nobody chose ends with QueryCanceled
    (SQLSTATE 57014) "canceling statement due to statement timeout" at a limit
    nobody knows; a plain SET for one step stays on the connection for every
    later step.
Fix:
    Set every limit on purpose in the connection parameters: connect_timeout for
    reaching the server, client keepalives (keepalives_idle, _interval, _count)
    and tcp_user_timeout for a connection that goes silent, a statement_timeout
    as the connection's default. Give each step its own budget in its own
    transaction (SET LOCAL), so PostgreSQL itself cancels a statement that runs
    too long and the budget ends with the step; split slow work into batches
    that fit, and turn a cancel into an error naming the step and its budget.
Hints:
    - connect_timeout, keepalives_* and tcp_user_timeout are libpq keywords of
      psycopg2.connect(); statement_timeout is a server setting passed with
      options="-c ...". Which of them count seconds, which milliseconds?
    - keepalives_* are the client's own probes; the server's tcp_keepalives_*
      settings (options="-c tcp_keepalives_idle=...") probe the other way.
    - A plain SET lasts as long as the session. Which form of it ends with
      the transaction, whatever way the transaction ends?
    - Once the server has cancelled a statement, the transaction is aborted:
      what must happen before the connection can run anything again?
"""
import dataclasses
import threading
import time

import psycopg2
import pytest
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

from failurelab.expect import must_raise
from sessions.session1 import config, load
from sessions.session1.cases.netfaults import (SilentServer, StallingProxy, can_read_tcp_options, system_keepalive_idle,
                                               tcp_options)

pytestmark = pytest.mark.failure_case("infrastructure", fix=[config.connection_params, load.run_with_budget])


def test_wrong_network_timeout_a_slow_statement_is_cancelled_by_the_server(db, failure):
    conn = db.connect(options="-c statement_timeout=200")  # a default the job never chose
    try:
        with failure.expect(psycopg2.errors.QueryCanceled, pgcode="57014",
                            match=r"^canceling statement due to statement timeout"):
            conn.cursor().execute("SELECT pg_sleep(1)")  # the slow step: 1 s of real work on the server
    finally:
        conn.close()


@pytest.fixture
def silent_server():
    """A real TCP port on 127.0.0.1 that accepts connections and never answers; closed afterwards."""
    server = SilentServer()
    yield server
    server.close()


def test_wrong_network_timeout_a_silent_server_is_given_up_on_after_connect_timeout(silent_server, failure):
    start = time.perf_counter()
    with failure.expect(psycopg2.OperationalError, match=r"timeout expired") as raised:
        psycopg2.connect(host=silent_server.host, port=silent_server.port, dbname="retail", user="etl",
                         password="unused", connect_timeout=1)
    took = time.perf_counter() - start
    assert raised.value.pgcode is None  # libpq gave up on its own: no server ever said anything, so no SQLSTATE
    assert 0.9 <= took < 3, f"connect_timeout=1 should give up after about 1 s (older libpq: 2 s), it took {took:.2f} s"


def test_wrong_network_timeout_without_connect_timeout_a_silent_server_hangs_the_job(silent_server, monkeypatch):
    monkeypatch.delenv("PGCONNECT_TIMEOUT", raising=False)  # libpq's environment default for connect_timeout
    outcomes = {}

    def connect(**limit):  # what a job without a connect_timeout does, or with 0 ("no limit" to libpq)
        try:
            psycopg2.connect(host=silent_server.host, port=silent_server.port, dbname="retail", user="etl",
                             password="unused", **limit)
        except psycopg2.OperationalError as err:
            outcomes[str(limit)] = " ".join(str(err).split())

    jobs = [threading.Thread(target=connect, kwargs=limit, daemon=True) for limit in ({}, {"connect_timeout": 0})]
    for job in jobs:
        job.start()
    time.sleep(2)
    assert all(job.is_alive() for job in jobs), f"both should still be waiting after 2 s: {outcomes}"
    silent_server.close()  # the only way out: the other side goes away (real life: hours later, or never)
    for job in jobs:
        job.join(5)
    assert len(outcomes) == 2 and all("server closed the connection unexpectedly" in said
                                      for said in outcomes.values()), outcomes


def test_wrong_network_timeout_without_keepalive_settings_a_dead_connection_waits_for_hours(db):
    if db.host.startswith("/") or not can_read_tcp_options() or system_keepalive_idle() is None:
        pytest.skip("needs a TCP connection and Linux's socket options")
    conn = db.connect()  # no keepalives_* and no tcp_user_timeout: the kernel's defaults apply
    try:
        got = tcp_options(conn)
    finally:
        conn.close()
    assert got["keepalives"] == 1, "libpq turns keepalives on by default (keepalives=1)"
    assert got["keepalives_idle"] == system_keepalive_idle(), (
        "without keepalives_idle the first probe waits the kernel's default (tcp_keepalive_time, Linux: 7200 s)")
    assert got["tcp_user_timeout"] == 0, "without tcp_user_timeout the kernel's default (0: none) applies"


def test_wrong_network_timeout_keepalives_do_not_notice_a_server_that_is_alive_but_stuck(db):
    if db.host.startswith("/"):
        pytest.skip("keepalives apply to TCP connections only")
    proxy = StallingProxy(db.host, db.port)
    conn = db.connect(host=proxy.host, port=proxy.port, keepalives=1, keepalives_idle=1, keepalives_interval=1,
                      keepalives_count=1, tcp_user_timeout=1000)  # the tightest limits: dead within about 2 s
    result = {}

    def query():
        with conn.cursor() as cur:
            cur.execute("SELECT 'answered'")
            result["rows"] = cur.fetchall()

    job = threading.Thread(target=query, daemon=True)
    try:
        proxy.stall()  # the query reaches the proxy's kernel (ACKed) and goes no further
        job.start()
        job.join(3.5)
        # the peer's kernel answers every keepalive probe and has ACKed the query: nothing for them to notice
        assert job.is_alive() and conn.closed == 0, f"the query should still be waiting after 3.5 s: {result}"
        proxy.resume()
        job.join(5)
        assert result.get("rows") == [("answered",)], result
    finally:
        proxy.close()
        conn.close()


CONNECTION_TIMEOUT = "12345ms"  # the connection's own statement_timeout: a step's budget must not outlive the step
STATUS = {0: "idle", 1: "running a statement", 2: "inside an open transaction", 3: "in a failed transaction "
          "(not rolled back)", 4: "unknown"}


@pytest.fixture
def step_conn(db):
    """A connection as the job has it: not autocommit, with a statement_timeout of its own (12345 ms)."""
    conn = db.connect(options="-c statement_timeout=12345")
    yield conn
    conn.close()


@pytest.fixture
def observer(db):
    """A second connection, to look at the first one from the server's side."""
    conn = db.connect()
    conn.autocommit = True
    yield conn
    conn.close()


def server_side(observer, conn) -> tuple[str, str] | None:
    """(state, query) of conn's backend, as pg_stat_activity shows it now (None: no such backend any more)."""
    with observer.cursor() as cur:
        cur.execute("SELECT state, query FROM pg_stat_activity WHERE pid = %s", (conn.info.backend_pid,))
        return cur.fetchone()


def ended_cleanly(conn, after: str) -> None:
    """No transaction left open, and the connection's own statement_timeout back in force."""
    assert not conn.autocommit, (
        f"after {after} the connection is in autocommit mode: leave the caller's connection as it was given")
    status = conn.info.transaction_status
    assert status == TRANSACTION_STATUS_IDLE, (
        f"after {after} the connection should be idle, it is {STATUS.get(status, status)}: the step runs in its own "
        "transaction; commit it when it succeeded, roll it back when it failed")
    with conn.cursor() as cur:
        cur.execute("SHOW statement_timeout")
        shown = cur.fetchone()[0]
    conn.rollback()
    assert shown == CONNECTION_TIMEOUT, (
        f"after {after} the connection's statement_timeout should be its own ({CONNECTION_TIMEOUT}, set when it "
        f"connected), it is {shown!r}: the "
        "budget must end with the step (SET LOCAL / set_config(..., true) inside the step's transaction), not stay "
        "on the connection")


def shows_the_cancel(err: BaseException) -> bool:
    """The traceback shows the QueryCanceled behind err (raise ... from err, or raised while handling it)."""
    behind = err.__cause__ if err.__cause__ is not None else (None if err.__suppress_context__ else err.__context__)
    return isinstance(behind, psycopg2.errors.QueryCanceled)


def within_budget(solution, conn, sql, params=None, *, budget_ms, step, takes):
    """Run a step that fits its budget: it must not be cancelled."""
    try:
        return solution.run_with_budget(conn, sql, params, budget_ms=budget_ms, step=step)
    except load.StepTimedOut as err:
        pytest.fail(f"step {step!r} takes {takes} and has a budget of {budget_ms} ms: it fits and should finish, but "
                    f"your fix cancelled it ({err}); set statement_timeout to this step's budget_ms, for this step "
                    "only", pytrace=False)


def test_right_network_timeout_both_timeouts_are_set_on_purpose(db_env, solution):
    settings = dataclasses.replace(config.load_config(db_env), connect_timeout=7, statement_timeout_ms=4321)
    params = solution.connection_params(settings)
    conn = psycopg2.connect(**params)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT current_database(), current_user, current_setting('statement_timeout')")
            database, user, statement_timeout = cur.fetchone()
        connect_timeout = conn.info.dsn_parameters.get("connect_timeout")
    finally:
        conn.close()
    assert (database, user) == (db_env["DB_NAME"], db_env["DB_USER"]), (
        f"psycopg2.connect(**connection_params(settings)) should log in as {db_env['DB_USER']!r} to "
        f"{db_env['DB_NAME']!r}; it logged in as {user!r} to {database!r}")
    assert statement_timeout == "4321ms", (
        "the server should run the connection with statement_timeout = settings.statement_timeout_ms (4321 ms here): "
        f"options='-c statement_timeout=4321'; it runs with {statement_timeout!r}")
    assert connect_timeout == "7", (
        f"connect_timeout should be settings.connect_timeout (7 s here); the connection has {connect_timeout!r}")


def test_right_network_timeout_a_silent_server_fails_within_connect_timeout(db_env, silent_server, solution):
    settings = dataclasses.replace(config.load_config(db_env), host=silent_server.host, port=silent_server.port,
                                   connect_timeout=1)
    params = solution.connection_params(settings)
    silent_server.close_after(4)  # a fix without a working limit would wait forever: stop waiting after 4 s
    start = time.perf_counter()
    try:
        psycopg2.connect(**params).close()
        error = None
    except psycopg2.OperationalError as err:
        error = " ".join(str(err).split())
    took = time.perf_counter() - start
    assert error is not None, "connecting to a port that never answers should fail, but it connected"
    assert "timeout expired" in error, (
        f"connecting to a server that accepts the TCP connection and never answers, with settings.connect_timeout=1, "
        f"should end with libpq's 'timeout expired' after about 1 s; after {took:.1f} s it ended with {error!r} "
        "(the test closed the port after 4 s): pass connect_timeout=settings.connect_timeout (whole seconds, and 0 "
        "means wait forever)")
    assert took < 3, (f"with settings.connect_timeout=1 the connection should give up within 3 s; it took {took:.1f} s: "
                      "connect_timeout is settings.connect_timeout, in seconds")


KEEPALIVES = "keepalives=1, keepalives_idle 1-60 s, keepalives_interval 1-30 s, keepalives_count 1-10"


def test_right_network_timeout_a_silent_connection_is_noticed_within_two_minutes(db_env, solution):
    settings = config.load_config(db_env)
    if settings.host.startswith("/") or not can_read_tcp_options():
        pytest.skip("keepalives apply to TCP connections; reading them back needs Linux's socket options")
    conn = psycopg2.connect(**solution.connection_params(settings))
    try:
        got = tcp_options(conn)  # what the kernel will do on this connection, whatever way the fix asked for it
    finally:
        conn.close()
    idle, interval, count = got["keepalives_idle"], got["keepalives_interval"], got["keepalives_count"]
    assert got["keepalives"] == 1, "keepalives should be on (keepalives=1); the connection has them off"
    assert 1 <= idle <= 60 and 1 <= interval <= 30 and 1 <= count <= 10, (
        f"the connection's keepalives should be {KEEPALIVES} (libpq keywords, in seconds; the server's "
        f"tcp_keepalives_* settings do not set the client's); it has idle {idle} s, interval {interval} s, "
        f"count {count}")
    assert idle + interval * count <= 120, (
        f"a dead connection should be noticed within 120 s (keepalives_idle + keepalives_interval x keepalives_count); "
        f"yours takes {idle} + {interval} x {count} = {idle + interval * count} s")
    assert 5_000 <= got["tcp_user_timeout"] <= 120_000, (
        f"tcp_user_timeout should be 5000-120000 (milliseconds: long enough for a few retransmissions, at most two "
        f"minutes); the connection has {got['tcp_user_timeout']} ms (0 means none)")


def test_right_network_timeout_batches_fit_the_budget_and_one_big_step_fails_clearly(step_conn, solution):
    start = time.perf_counter()
    for batch in range(4):  # 0.4 s of work in four batches of 0.1 s, each within its 250 ms
        within_budget(solution, step_conn, "SELECT pg_sleep(0.1)", budget_ms=250, step=f"load batch {batch + 1}/4",
                      takes="0.1 s")
    assert time.perf_counter() - start >= 0.4, "the four batches should really run (0.1 s each)"
    rows = within_budget(solution, step_conn, "SELECT pg_sleep(0.5), 'done'", budget_ms=900, step="one big batch",
                         takes="0.5 s")
    assert rows == [("", "done")], (
        f"a step of 0.5 s within a budget of 900 ms should finish and return its rows [('', 'done')]; got {rows!r}")
    start = time.perf_counter()
    with must_raise(load.StepTimedOut, "a 2 s step with a budget of 250 ms must be cancelled",
                    match=r"step 'load all at once' ran past its budget of 250 ms") as raised:
        solution.run_with_budget(step_conn, "SELECT pg_sleep(2)", budget_ms=250, step="load all at once")
    took = time.perf_counter() - start
    assert 0.2 <= took < 1.2, (
        f"the step should be cancelled when its budget of 250 ms runs out; your fix raised after {took:.2f} s")
    assert shows_the_cancel(raised.value), (
        "raise StepTimedOut(...) from the QueryCanceled, so the traceback shows what the server said")
    rows = within_budget(solution, step_conn, "SELECT 1", budget_ms=250, step="after", takes="no time")
    assert rows == [(1,)], f"the connection should still be usable after a cancel; got {rows!r}"


def test_right_network_timeout_the_statement_is_cancelled_on_the_server(step_conn, observer, solution):
    with observer.cursor() as cur:  # a sequence counts the runs: nextval() is not undone by a rollback
        cur.execute("CREATE SEQUENCE step_runs")
    try:
        with must_raise(load.StepTimedOut, "a 5 s step with a budget of 300 ms must be cancelled"):
            solution.run_with_budget(step_conn, "SELECT nextval('step_runs'), pg_sleep(5)", budget_ms=300,
                                     step="slow report")
        seen = server_side(observer, step_conn)
        assert seen is not None, (
            "the connection's server process is gone after your fix raised StepTimedOut: do not close the caller's "
            "connection; let PostgreSQL cancel the statement (statement_timeout) and roll back")
        state, query = seen
        assert state == "idle", (
            f"the server should have cancelled the statement and the step rolled back (state 'idle'); it shows "
            f"{state!r} running {query!r}: a timer in Python does not stop the server, let PostgreSQL cancel the "
            "statement (statement_timeout)" if state == "active" else
            f"the server cancelled the statement, but the connection's backend is {state!r}: roll back")
        with observer.cursor() as cur:
            cur.execute("SELECT last_value FROM step_runs")
            runs = cur.fetchone()[0]
        assert runs == 1, (
            f"the too-slow step ran {runs} times on the server: once cancelled, roll back and raise StepTimedOut at "
            "once; running it again only repeats the wait (the caller decides: smaller batches or a larger budget)")
    finally:  # whatever the fix left running, stop it
        with observer.cursor() as cur:
            cur.execute("SELECT pg_cancel_backend(%s)", (step_conn.info.backend_pid,))


def test_right_network_timeout_the_budget_ends_with_the_step(step_conn, solution):
    within_budget(solution, step_conn, "SELECT pg_sleep(0.05)", budget_ms=800, step="fits", takes="0.05 s")
    ended_cleanly(step_conn, "a step that fit its budget")
    with must_raise(load.StepTimedOut, "a 2 s step with a budget of 200 ms must be cancelled"):
        solution.run_with_budget(step_conn, "SELECT pg_sleep(2)", budget_ms=200, step="too slow")
    ended_cleanly(step_conn, "a step that was cancelled")


def test_right_network_timeout_a_larger_budget_overrides_the_connections_timeout(db, solution):
    """The budget IS the step's statement_timeout: a connection default of 500 ms does not cut a 2000 ms step."""
    conn = db.connect(options="-c statement_timeout=500")
    try:
        rows = within_budget(solution, conn, "SELECT pg_sleep(1), 'done'", budget_ms=2000, step="nightly rollup",
                             takes="1 s (on a connection whose own statement_timeout is 500 ms)")
        assert rows == [("", "done")], (
            f"a 1 s step with a budget of 2000 ms should finish and return [('', 'done')]; got {rows!r}")
    except psycopg2.errors.QueryCanceled as err:
        pytest.fail(f"a 1 s step with a budget of 2000 ms was cancelled by the connection's own statement_timeout "
                    f"(500 ms): {' '.join(str(err).split())}. The budget is the step's statement_timeout: set it to "
                    "budget_ms for this step (SET LOCAL statement_timeout), it then replaces the connection's value "
                    "for the step, larger or smaller", pytrace=False)
    finally:
        conn.close()


def test_right_network_timeout_a_step_commits_and_returns_its_rows(db, step_conn, solution):
    assert solution.run_with_budget(step_conn, "CREATE TABLE step_log (n int, what text)", budget_ms=1000,
                                    step="create") == [], "a statement without a result (CREATE TABLE) returns []"
    rows = solution.run_with_budget(step_conn, "INSERT INTO step_log VALUES (%s, %s) RETURNING n, what",
                                    (7, "loaded"), budget_ms=1000, step="insert")
    assert rows == [(7, "loaded")], (
        f"run_with_budget(conn, sql, params, ...) should run sql with params and return its rows as a list of "
        f"tuples: expected [(7, 'loaded')], got {rows!r}")
    other = db.connect()
    try:
        with other.cursor() as cur:
            cur.execute("SELECT n, what FROM step_log")
            seen = cur.fetchall()
    except psycopg2.errors.UndefinedTable:
        seen = "no table step_log at all"
    finally:
        other.close()
    assert seen == [(7, "loaded")], (
        f"another connection should see the step's work once run_with_budget returned (commit it); it sees {seen!r}")


def test_right_network_timeout_other_errors_are_not_timeouts(db, step_conn, solution):
    with must_raise(psycopg2.errors.DivisionByZero, "a step that fails for another reason is not a timeout: let "
                                                    "its error through unchanged"):
        solution.run_with_budget(step_conn, "SELECT 1 / 0", budget_ms=1000, step="divide")
    ended_cleanly(step_conn, "a step that failed")
    holder = db.connect()  # another session holds a lock the step needs; the step gives up after its lock_timeout
    try:
        with holder.cursor() as cur:
            cur.execute("CREATE TABLE held (n int)")
            holder.commit()
            cur.execute("LOCK TABLE held IN ACCESS EXCLUSIVE MODE")
        with must_raise(psycopg2.errors.LockNotAvailable,
                        "a step that gives up waiting for a lock (lock_timeout, SQLSTATE 55P03) is not a statement "
                        "timeout, though LockNotAvailable is a psycopg2.OperationalError like QueryCanceled: catch "
                        "only psycopg2.errors.QueryCanceled and let this error through unchanged"):
            solution.run_with_budget(step_conn, "SET LOCAL lock_timeout = '50ms'; LOCK TABLE held",
                                     budget_ms=1000, step="lock")
    finally:
        holder.close()
    ended_cleanly(step_conn, "a step that failed on a lock_timeout")
    rows = solution.run_with_budget(step_conn, "SELECT 2", budget_ms=1000, step="after the error")
    assert rows == [(2,)], f"the connection should still be usable after a failed step; got {rows!r}"
