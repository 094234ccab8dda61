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
"""
import time

import psycopg2
import pytest

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


def test_right_network_timeout_both_timeouts_are_set_on_purpose(db_env, solution):
    settings = config.load_config({**db_env, "DB_STATEMENT_TIMEOUT_MS": "90000"})
    params = solution.connection_params(settings)
    assert params["connect_timeout"] == config.CONNECT_TIMEOUT_S
    conn = psycopg2.connect(**params)
    try:
        with conn.cursor() as cur:
            cur.execute("SHOW statement_timeout")
            assert cur.fetchone()[0] == "90s"  # the server really applies it
    finally:
        conn.close()


def test_right_network_timeout_batches_fit_the_budget_and_one_big_step_fails_clearly(conn, solution):
    start = time.perf_counter()
    for batch in range(4):  # the same 0.4 s of work, in four batches of 0.1 s
        solution.run_with_budget(conn, "SELECT pg_sleep(0.1)", budget_ms=300, step=f"load batch {batch + 1}/4")
    assert time.perf_counter() - start >= 0.4
    with pytest.raises(load.StepTimedOut, match=r"^step 'load all at once' ran past its budget of 300 ms"):
        solution.run_with_budget(conn, "SELECT pg_sleep(0.4)", budget_ms=300, step="load all at once")
    assert solution.run_with_budget(conn, "SELECT 1", budget_ms=300, step="after") == [(1,)]  # still usable
