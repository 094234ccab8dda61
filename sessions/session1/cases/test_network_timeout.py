"""Network timeout.

Scenario:
    A step of the job takes longer than the database allows: a slow query, a
    lock held by someone else, a server under load. The connection has a
    statement_timeout (a DBA's default, a pooler's setting), so PostgreSQL
    cancels the statement half way.
Why:
    PostgreSQL raises QueryCanceled (SQLSTATE 57014) "canceling statement due to
    statement timeout" and aborts the transaction. Without any timeout the same
    step would hang the job forever instead; with one nobody chose, it fails at
    a limit nobody knows. connect_timeout (reaching the server) and
    statement_timeout (one statement) are different limits for different faults.
Fix:
    Set both timeouts on purpose: connect_timeout for reaching the server and a
    statement_timeout per step, sized to the work. Split slow work into batches
    that each fit the budget, and turn a cancel into an error naming the step
    and its budget.
Hints:
    - Which of the two limits is a keyword of psycopg2.connect(), and which
      is a server setting passed with options="-c ..."?
    - A plain SET lasts as long as the session. Which form of it ends with
      the transaction, whatever way the transaction ends?
    - Once the server has cancelled a statement, the transaction is aborted:
      what must happen before the connection can run anything again?
"""
import dataclasses
import time

import psycopg2
import pytest
from psycopg2.extensions import TRANSACTION_STATUS_IDLE

from failurelab.expect import must_raise
from sessions.session1 import config, load

pytestmark = pytest.mark.failure_case("infrastructure", fix=[config.connection_params, load.run_with_budget])


def test_wrong_network_timeout_a_slow_statement_is_cancelled_by_the_server(db, failure):
    conn = db.connect(options="-c statement_timeout=200")  # a default the job never chose
    try:
        with failure.expect(psycopg2.errors.QueryCanceled, pgcode="57014",
                            match=r"^canceling statement due to statement timeout"):
            conn.cursor().execute("SELECT pg_sleep(1)")  # the slow step: 1 s of real work on the server
    finally:
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


def server_side(observer, conn) -> tuple[str, str]:
    """(state, query) of conn's backend, as pg_stat_activity shows it now."""
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
    try:
        with must_raise(load.StepTimedOut, "a 5 s step with a budget of 300 ms must be cancelled"):
            solution.run_with_budget(step_conn, "SELECT pg_sleep(5)", budget_ms=300, step="slow report")
        state, query = server_side(observer, step_conn)
        assert state != "active", (
            f"the server is still running {query!r} after your fix raised StepTimedOut: a timer in Python does not "
            "stop the server; let PostgreSQL cancel the statement (statement_timeout)")
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
