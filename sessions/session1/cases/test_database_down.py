"""Database down.

Scenario:
    The ingest job starts while PostgreSQL is not there: the container is still
    starting, the server restarts after an upgrade, or DB_PORT points at the
    wrong port. Nothing listens on the port, so the operating system refuses
    the connection at once.
Why:
    A bare psycopg2.connect() tries once and raises OperationalError "Connection
    refused". A server that is starting up is a transient failure that would
    have gone away in a second, and a port that is wrong is a permanent one; the
    single attempt treats both the same and the message does not say which
    setting to check.
Fix:
    Retry a bounded number of times with exponential backoff (0.5 s, 1 s, 2 s),
    never when the server answered and refused (a wrong password, a database
    that does not exist), then fail with one clear error naming host:port and
    what to check.
"""
import psycopg2
import pytest
from psycopg2 import OperationalError  # psycopg2 attaches no SQLSTATE to a failed connect: pgcode is None

from sessions.session1 import config

pytestmark = pytest.mark.failure_case("infrastructure", fix=config.connect_with_retry)


def settings_on(db_env, port):
    return config.load_config({**db_env, "DB_PORT": str(port)})


def test_wrong_database_down_one_attempt_is_refused_at_once(db_env, closed_port, failure):
    with failure.expect(OperationalError, match=rf'port {closed_port} failed: Connection refused'):
        psycopg2.connect(host="127.0.0.1", port=closed_port, dbname=db_env["DB_NAME"], user=db_env["DB_USER"],
                         password=db_env["DB_PASSWORD"])


def test_right_database_down_retries_with_backoff_then_names_host_port_and_checks(db_env, closed_port, mocker,
                                                                                  solution):
    sleep = mocker.patch("time.sleep")  # the backoff is asserted, not waited for
    with pytest.raises(config.DatabaseUnavailable) as raised:
        solution.connect_with_retry(settings_on(db_env, closed_port), attempts=4, first_delay=0.5)
    assert [c.args[0] for c in sleep.call_args_list] == [0.5, 1.0, 2.0]
    message = str(raised.value)
    assert f"cannot reach PostgreSQL at 127.0.0.1:{closed_port} after 4 attempts" in message
    assert "Connection refused" in message and "pg_isready" in message
    assert db_env["DB_PASSWORD"] not in message


def test_right_database_down_succeeds_when_the_server_comes_back(db_env, mocker, solution):
    sleep = mocker.patch("time.sleep")
    real_connect = psycopg2.connect
    refused = psycopg2.OperationalError("Connection refused")  # injected on purpose: a server still starting
    mocker.patch("psycopg2.connect", side_effect=_sequence([refused, refused], real_connect))
    conn = solution.connect_with_retry(config.load_config(db_env), attempts=4, first_delay=0.5)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT current_database()")
            assert cur.fetchone()[0] == db_env["DB_NAME"]
    finally:
        conn.close()
    assert [c.args[0] for c in sleep.call_args_list] == [0.5, 1.0]


def test_right_database_down_does_not_retry_a_wrong_password(db_env, mocker, solution):
    sleep = mocker.patch("time.sleep")
    with pytest.raises(config.DatabaseAuthFailed):
        solution.connect_with_retry(config.load_config({**db_env, "DB_PASSWORD": "not-the-password"}))
    sleep.assert_not_called()


def _sequence(failures, then):
    """First raise each of ``failures``, then behave like ``then``."""
    pending = list(failures)

    def connect(**kwargs):
        if pending:
            raise pending.pop(0)
        return then(**kwargs)
    return connect


def test_right_database_down_does_not_retry_a_database_that_does_not_exist(db_env, mocker, solution):
    sleep = mocker.patch("time.sleep")
    with pytest.raises(config.ConfigError) as raised:
        solution.connect_with_retry(config.load_config({**db_env, "DB_NAME": "retail_typo"}))
    sleep.assert_not_called()  # the server is up and said no: 3.5 s of retries would change nothing
    assert not isinstance(raised.value, config.DatabaseUnavailable)  # and it is not "cannot reach"
    assert str(raised.value) == (f"PostgreSQL at {db_env['DB_HOST']}:{db_env['DB_PORT']} is up but refused the "
                                 f"connection (connection to server at \"{db_env['DB_HOST']}\", port "
                                 f"{db_env['DB_PORT']} failed: FATAL: database \"retail_typo\" does not exist); "
                                 "check DB_NAME and DB_USER")
