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
Hints:
    - Which failures go away by themselves if you wait a moment, and which
      will be exactly the same in a second? The driver's message tells them
      apart.
    - Count attempts, not seconds: the loop ends after `attempts` tries, and
      after the last one there is nothing left to wait for.
    - Each wait is twice the one before it. config.connect already turns a
      wrong password into DatabaseAuthFailed; everything else that is
      transient arrives as psycopg2.OperationalError.
"""
import dataclasses
import logging
import re
import time

import psycopg2
import pytest
from psycopg2 import OperationalError  # psycopg2 attaches no SQLSTATE to a failed connect: pgcode is None

from failurelab.expect import must_raise, shows_behind
from sessions.session1 import config

pytestmark = pytest.mark.failure_case("infrastructure", fix=config.connect_with_retry)

SECRET = "Zq8v-Wk3jR9-pLx"  # the password of the settings: it must not show anywhere
# What a server still starting says (injected on purpose: a server cannot be made to start on cue)
REFUSED = ('connection to server at "127.0.0.1", port 5432 failed: Connection refused\n'
           "\tIs the server running on that host and accepting TCP/IP connections?\n")
STARTING = 'connection to server at "127.0.0.1", port 5432 failed: FATAL:  the database system is starting up\n'
NO_HBA = ('connection to server at "127.0.0.1", port 5432 failed: FATAL:  no pg_hba.conf entry for host "10.0.0.5", '
          'user "retail", database "retail_db", no encryption\n')


def settings_on(db_env, port, **fields):
    return dataclasses.replace(config.load_config({**db_env, "DB_PORT": str(port), "DB_PASSWORD": SECRET}), **fields)


class Logins:
    """Every login the fix tries, on a clock where a patched time.sleep costs no time.

    Each attempt is stamped with the time since the fix was called (real time
    plus the seconds given to time.sleep, which returns at once), so a fix that
    waits with time.sleep, ``from time import sleep`` or anything else is timed
    alike. ``failures`` are raised by the first attempts (a server still
    starting), after which the real driver answers.
    """

    def __init__(self, monkeypatch, failures=(), limit=12):
        self.at: list[float] = []
        self.slept = 0.0
        self.pending = list(failures)
        self.limit = limit
        self._real = psycopg2._connect  # every psycopg2.connect goes through it
        self._start = time.monotonic()
        monkeypatch.setattr(psycopg2, "_connect", self._connect)
        monkeypatch.setattr(time, "sleep", self._sleep)

    def now(self) -> float:
        return time.monotonic() - self._start + self.slept

    def start(self) -> None:
        self.at.clear()
        self._start, self.slept = time.monotonic(), 0.0

    def _sleep(self, seconds):
        if seconds < 0:
            raise ValueError("sleep length must be non-negative")
        self.slept += seconds

    def _connect(self, *args, **kwargs):
        self.at.append(self.now())
        if len(self.at) > self.limit:
            pytest.fail(f"your fix kept trying: more than {self.limit} connection attempts; bound the retries "
                        "by `attempts`", pytrace=False)
        if self.pending:
            raise self.pending.pop(0)
        return self._real(*args, **kwargs)

    def waits(self) -> list[float]:
        return [round(b - a, 2) for a, b in zip(self.at, self.at[1:])]


def waited_as_due(logins: Logins, expected: list[float], finished: float) -> None:
    """The waits between attempts are ``expected`` (a little more is fine), and none after the last one."""
    waits = logins.waits()
    assert len(logins.at) == len(expected) + 1, (
        f"expected {len(expected) + 1} connection attempts, your fix made {len(logins.at)}")
    off = [(w, e) for w, e in zip(waits, expected) if not e - 0.01 <= w <= e + max(0.15, e * 0.15)]
    assert not off, (f"the waits between attempts should double from first_delay: {expected} s; yours were "
                     f"{waits} s")
    after = finished - logins.at[-1]
    assert after < 0.2, f"your fix waited {after:.2f} s after the last attempt: give up at once, waiting helps no one"


def check_no_secret(err, capsys, caplog):
    texts = [str(e) for e in (err, err.__cause__, err.__context__) if e is not None]
    out = capsys.readouterr()
    where = [name for name, text in (("the error", " ".join(texts)), ("the output", out.out + out.err),
                                     ("the log", caplog.text)) if SECRET in text]
    assert not where, f"the password shows in {', '.join(where)}: never put it into a message, a print or a log line"


def test_wrong_database_down_one_attempt_is_refused_at_once(db_env, closed_port, failure):
    with failure.expect(OperationalError, match=rf'port {closed_port} failed: Connection refused'):
        psycopg2.connect(host="127.0.0.1", port=closed_port, dbname=db_env["DB_NAME"], user=db_env["DB_USER"],
                         password=db_env["DB_PASSWORD"])


def test_right_database_down_retries_with_backoff_then_names_host_port_and_checks(db_env, closed_port, monkeypatch,
                                                                                  capsys, caplog, solution):
    caplog.set_level(logging.DEBUG)
    logins = Logins(monkeypatch)
    with must_raise(config.DatabaseUnavailable, "a server that never answers: retry, then give up clearly") as raised:
        solution.connect_with_retry(settings_on(db_env, closed_port))  # the defaults: 4 attempts, 0.5 s first
    waited_as_due(logins, [0.5, 1.0, 2.0], logins.now())
    message = str(raised.value)
    for part, what in ((f"127.0.0.1:{closed_port}", "host:port"), ("Connection refused", "the driver's cause"),
                       ("pg_isready", "what to check (pg_isready)"), ("DB_PORT", "the settings to check")):
        assert part in message, f"the message should name {what} ({part!r}); yours says {message!r}"
    assert re.search(r"\b4 attempts\b", message), f"the message should say '4 attempts'; yours says {message!r}"
    assert shows_behind(raised.value, OperationalError), (
        "raise DatabaseUnavailable(...) from the last OperationalError, so the traceback shows the driver's words")
    check_no_secret(raised.value, capsys, caplog)


def test_right_database_down_attempts_and_first_delay_are_honoured(db_env, closed_port, monkeypatch, solution):
    logins = Logins(monkeypatch)
    with must_raise(config.DatabaseUnavailable, "3 refused attempts: give up with DatabaseUnavailable") as raised:
        solution.connect_with_retry(settings_on(db_env, closed_port), attempts=3, first_delay=0.1)
    waited_as_due(logins, [0.1, 0.2], logins.now())
    assert re.search(r"\b3 attempts\b", str(raised.value)), (
        f"the message should say '3 attempts'; yours says {str(raised.value)!r}")
    logins.start()
    with must_raise(config.DatabaseUnavailable, "attempts=1: one refused attempt, then DatabaseUnavailable"):
        solution.connect_with_retry(settings_on(db_env, closed_port), attempts=1, first_delay=0.1)
    waited_as_due(logins, [], logins.now())
    logins.start()
    with must_raise(ValueError, "attempts=0 cannot connect at all: refuse it with ValueError"):
        solution.connect_with_retry(settings_on(db_env, closed_port), attempts=0)
    assert not logins.at, f"with attempts=0 your fix still made {len(logins.at)} connection attempts"


def test_right_database_down_succeeds_when_the_server_comes_back(db_env, monkeypatch, solution):
    logins = Logins(monkeypatch, failures=[OperationalError(REFUSED), OperationalError(STARTING)])
    settings = dataclasses.replace(config.load_config(db_env), statement_timeout_ms=4321)
    try:
        conn = solution.connect_with_retry(settings, attempts=4, first_delay=0.2)
    except Exception as err:  # noqa: BLE001 - any error here is the fix's verdict, told in words
        first = (str(err).strip().splitlines() or [""])[0]
        pytest.fail("the server refused (Connection refused), then said 'the database system is starting up', then "
                    "came back: both are transient, so retry and return the connection; your fix raised "
                    f"{type(err).__name__}: {first}", pytrace=False)
    finished = logins.now()
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT current_database(), current_setting('statement_timeout')")
            got = cur.fetchone()
    finally:
        conn.close()
    assert got == (db_env["DB_NAME"], "4321ms"), (
        f"the connection should be to {db_env['DB_NAME']!r} with statement_timeout 4321ms (connect with "
        f"config.connect(settings)); got database {got[0]!r}, statement_timeout {got[1]!r}")
    waited_as_due(logins, [0.2, 0.4], finished)


def test_right_database_down_does_not_retry_a_wrong_password(db_env, monkeypatch, solution):
    logins = Logins(monkeypatch)
    with must_raise(config.DatabaseAuthFailed, "a wrong password is permanent: raise DatabaseAuthFailed at once"):
        solution.connect_with_retry(config.load_config({**db_env, "DB_PASSWORD": "not-the-password"}))
    assert len(logins.at) == 1 and logins.slept == 0, (
        f"a wrong password must not be retried (it stays wrong): your fix made {len(logins.at)} attempts "
        f"and waited {logins.slept:g} s")


def test_right_database_down_does_not_retry_a_database_that_does_not_exist(db_env, monkeypatch, solution):
    logins = Logins(monkeypatch)
    with must_raise(config.ConfigError, "the server is up and said no: raise ConfigError at once") as raised:
        solution.connect_with_retry(config.load_config({**db_env, "DB_NAME": "retail_typo"}))
    assert len(logins.at) == 1 and logins.slept == 0, (
        f"the server is up and said no: 3.5 s of retries change nothing; your fix made {len(logins.at)} attempts "
        f"and waited {logins.slept:g} s")
    err = raised.value
    assert not isinstance(err, (config.DatabaseUnavailable, config.DatabaseAuthFailed)), (
        f"the server was reached and the password was right: raise ConfigError, not {type(err).__name__}")
    message = str(err)
    for part, what in ((f"{db_env['DB_HOST']}:{db_env['DB_PORT']}", "host:port"),
                       ('database "retail_typo" does not exist', "the server's answer"), ("DB_NAME", "what to check")):
        assert part in message, f"the message should name {what} ({part!r}); yours says {message!r}"
    logins = Logins(monkeypatch, failures=[OperationalError(NO_HBA)])
    with must_raise(config.ConfigError, "pg_hba.conf refuses this host/user/database: raise ConfigError at once"):
        solution.connect_with_retry(config.load_config(db_env))
    assert len(logins.at) == 1 and logins.slept == 0, (
        f"'no pg_hba.conf entry' is an answer from a server that is up: your fix made {len(logins.at)} attempts "
        f"and waited {logins.slept:g} s")


def test_right_database_down_retries_only_connection_errors(db_env, monkeypatch, solution):
    bug = psycopg2.ProgrammingError('invalid dsn: invalid connection option "keepalive"')
    logins = Logins(monkeypatch, failures=[bug])
    returned = None
    try:
        with must_raise(psycopg2.ProgrammingError, "only an OperationalError can be transient: let any other error "
                                                   "through at once, unchanged (not retried)") as raised:
            returned = solution.connect_with_retry(config.load_config(db_env))
    finally:
        if returned is not None:
            returned.close()
    assert raised.value is bug, f"let the error through unchanged; yours raised {raised.value!r}"
    assert len(logins.at) == 1 and logins.slept == 0, (
        f"a programming error is not transient: your fix made {len(logins.at)} attempts and waited "
        f"{logins.slept:g} s")
