"""Test databases on a server where we are not a superuser: dropped despite autovacuum, reaped after a killed run."""
import time

import psycopg2
import pytest
from psycopg2 import sql

from failurelab import composelike
from failurelab.dbadmin import RUN_APP, RunDatabases, ServerProblem

# autovacuum wakes every second and, throttled to a crawl, stays in the database it works on
SLOW_AUTOVACUUM = {"autovacuum_naptime": "1", "autovacuum_vacuum_cost_delay": "100", "autovacuum_vacuum_cost_limit": "1"}


@pytest.fixture
def slow_autovacuum_server(bindir):
    server, retail = composelike.start(bindir, **SLOW_AUTOVACUUM)
    yield server, retail
    server.stop()


def superuser_query(server, query, args=()):
    conn = psycopg2.connect(host=server.host, port=server.port, dbname="postgres", user=server.user,
                                          password=server.password)
    try:
        with conn.cursor() as cur:
            cur.execute(query, args)
            return cur.fetchall()
    finally:
        conn.close()


def databases_of(server):
    return {name for (name,) in superuser_query(server, "SELECT datname FROM pg_database")}


def test_a_database_is_dropped_while_autovacuum_works_in_it(slow_autovacuum_server):
    server, retail = slow_autovacuum_server
    databases = RunDatabases(retail).open()
    try:
        fresh = databases.create()
        conn = fresh.connect()
        with conn, conn.cursor() as cur:
            cur.execute("CREATE TABLE t AS SELECT g FROM generate_series(1, 20000) g; DELETE FROM t")
        conn.close()
        deadline = time.monotonic() + 60
        while not superuser_query(server, "SELECT 1 FROM pg_stat_activity WHERE backend_type = 'autovacuum worker' "
                                          "AND datname = %s", (fresh.dbname,)):
            assert time.monotonic() < deadline, "autovacuum never started in the test database"
            time.sleep(0.2)
        databases.drop(fresh.dbname)  # pg_terminate_backend on the worker: "permission denied to terminate process"
    finally:
        databases.close()
    assert fresh.dbname not in databases_of(server)


def test_the_databases_of_a_run_that_is_gone_are_reaped_and_a_live_runs_kept(compose_like):
    server, retail = compose_like
    alive = RunDatabases(retail).open()
    kept = alive.create()
    dead = ["lab_deadbeef_0123456789ab", "lab_0123456789abcdef"]  # a killed run's; one named by the old code
    conn = retail.connect()
    conn.autocommit = True
    with conn.cursor() as cur:
        for name in dead:
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    conn.close()
    try:
        next_run = RunDatabases(retail).open()  # the preflight reaps
        next_run.close()
        assert sorted(next_run.reaped) == sorted(dead)
        remaining = databases_of(server)
        assert kept.dbname in remaining and not set(dead) & remaining
        assert superuser_query(server, "SELECT 1 FROM pg_stat_activity WHERE application_name = %s",
                               (RUN_APP + alive.token,))
    finally:
        alive.drop(kept.dbname)
        alive.close()


def test_a_server_that_goes_away_is_one_line_at_once_not_a_minute_of_retries(compose_like):
    server, retail = compose_like
    databases = RunDatabases(retail).open()
    server.stop()
    started = time.monotonic()
    with pytest.raises(ServerProblem, match=rf"^PostgreSQL at retail@127\.0\.0\.1:{retail.port}: server closed the "
                                            r"connection unexpectedly") as raised:
        databases.create()
    assert time.monotonic() - started < 5 and "\n" not in str(raised.value) and retail.password not in str(raised.value)
    databases.close()
