"""The existing-server mode (DB_HOST) against a server set up like the compose one.

A server that cannot serve ends the run's database tests at once, each with one
line naming the server and the cause, and the password is in no output.
"""
import textwrap
import time

import pytest

PROBLEMS = {
    "a wrong password": ({"DB_PASSWORD": "not-the-password-0b1c"},
                         'password authentication failed for user "retail": check DB_USER and DB_PASSWORD'),
    "a closed port": ({}, "connection refused: nothing listens there (is the server running? check DB_HOST and DB_PORT)"),
}


def point_at(monkeypatch, database, **overrides):
    for key, value in {**database.env(), **overrides}.items():
        monkeypatch.setenv(key, value)


def one_line_for_each_database_test(result, where, cause, passwords):
    output = result.stdout.str() + result.stderr.str()
    for password in passwords:
        assert password not in output
    assert "Traceback" not in output and "During handling" not in output and "conninfo" not in output
    lines = [line for line in output.splitlines() if cause in line]
    assert lines and all(f"PostgreSQL at {where}: {cause}" in line for line in lines), output


@pytest.mark.parametrize("problem", PROBLEMS)
def test_a_server_that_cannot_serve_fails_each_database_test_at_once_with_one_line(
        inner, monkeypatch, compose_like, closed_port, problem):
    server, retail = compose_like
    overrides, cause = PROBLEMS[problem]
    port = closed_port if problem == "a closed port" else retail.port
    point_at(monkeypatch, retail, DB_PORT=str(port), **overrides)
    monkeypatch.setenv("CI", "true")
    started = time.monotonic()
    result = inner("-l")
    assert time.monotonic() - started < 30  # the janitor's retries took 62 s per test
    result.assert_outcomes(passed=1, errors=1)
    one_line_for_each_database_test(result, f"retail@127.0.0.1:{port}", cause,
                                    [retail.password, *overrides.values()])


def test_without_ci_the_same_problem_skips_with_the_same_line(inner, monkeypatch, compose_like):
    server, retail = compose_like
    point_at(monkeypatch, retail, DB_PASSWORD="not-the-password-0b1c")
    result = inner()
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines([f"SKIPPED*PostgreSQL at retail@127.0.0.1:{retail.port}: password authentication failed*"])


def test_a_role_without_createdb_is_told_so_in_one_line(inner, monkeypatch, compose_like_without_createdb):
    server, retail = compose_like_without_createdb
    point_at(monkeypatch, retail)
    monkeypatch.setenv("CI", "true")
    result = inner()
    result.assert_outcomes(passed=1, errors=1)
    one_line_for_each_database_test(result, f"retail@127.0.0.1:{retail.port}",
                                    'role "retail" may not create databases: DB_USER needs CREATEDB', [retail.password])


def test_a_failing_connection_in_a_test_shows_no_password_even_with_l(inner, pytester, monkeypatch, compose_like):
    server, retail = compose_like
    point_at(monkeypatch, retail)
    pytester.makepyfile(test_leak=textwrap.dedent("""
        import psycopg2

        def test_connects_to_a_database_that_is_not_there(db):
            params = db.params(dbname="not_there")
            print("connecting with", params)
            psycopg2.connect(**params)
    """))
    result = inner("-l", "test_leak.py")
    result.assert_outcomes(failed=1)
    output = result.stdout.str() + result.stderr.str()
    result.stdout.fnmatch_lines(['*FATAL:  database "not_there" does not exist*'])
    assert "kwargs" in output and "********" in output  # psycopg2's frame and its locals are shown, redacted
    assert retail.password not in output
