"""Wrong database credentials.

Scenario:
    The server is up, but the job logs in with the wrong password: a rotated
    secret, a .env from another environment, a typo.
Why:
    PostgreSQL refuses the login and psycopg2 raises OperationalError "password
    authentication failed for user". Retrying cannot help: it is permanent.
    PostgreSQL itself never locks a role after failed logins (it has no such
    setting); what can is whatever checks the password for it (LDAP or Active
    Directory, PAM, a cloud provider's IAM login), an extension such as
    credcheck, or fail2ban-style tooling that bans the client's address after
    failures in the server log. On plain PostgreSQL each retry costs its
    wait, one FATAL line in the server log (read by monitoring as password
    guessing) and buries the real message.
    Secrets leak on the way: a "helpful" log line with the DSN writes the
    password into logs, CI output and tickets, and a password with an "@"
    pasted into a postgresql:// URL is cut at the "@": libpq then names the
    rest of the password, in its own error message, as a host it could not
    find. With the throwaway password "rotated@Summer2026", shown on purpose
    (every other password is redacted as ***, in this output too): could not
    translate host name "Summer2026@<DB_HOST>" to address.
Fix:
    Catch the refused login and raise a helpful error that names the user,
    host:port and database and which settings to check, but never the password.
    Hand the settings to the driver as keyword arguments, never as a URL built
    from them, and keep the password out of repr() of the settings too. Do not
    retry it.
Hints:
    - Read the driver's message: a closed port, a missing database and a wrong
      password all arrive as OperationalError.
    - List every place the password could end up: a URL, a "key=value" string,
      a print, a log line, an f-string in your error.
    - `raise NewError(...) from err` keeps the driver's words in the
      traceback; keyword arguments keep the password out of every string.
"""
import dataclasses
import logging
import re
import traceback

import psycopg2
import pytest
from psycopg2 import OperationalError  # psycopg2 attaches no SQLSTATE to a failed connect: pgcode is None

from failurelab.expect import must_raise, shows_behind
from sessions.session1 import config

pytestmark = pytest.mark.failure_case("configuration", fix=config.connect)

WRONG = "rotated@Summer2026"  # real passwords contain "@", ":" or "/"
LEAKED = WRONG.split("@", 1)[1]
SECRET = "Zq8v@Wk3 jR9/p'Lx"  # "@", a blank, "/" and a quote: a URL or a DSN string built by hand breaks on it
PIECES = [SECRET[i:i + 4] for i in range(len(SECRET) - 3)]  # no 4 characters of it may show either


def test_wrong_wrong_credentials_the_server_refuses_the_login(db_env, failure):
    where = dict(host=db_env["DB_HOST"], port=db_env["DB_PORT"], dbname=db_env["DB_NAME"], user=db_env["DB_USER"])
    with failure.expect(OperationalError, match=rf'password authentication failed for user "{db_env["DB_USER"]}"'):
        psycopg2.connect(**where, password=WRONG)
    for _ in range(5):  # a retry loop's worth of refused logins ...
        with pytest.raises(OperationalError, match="password authentication failed"):
            psycopg2.connect(**where, password=WRONG)
    psycopg2.connect(**where, password=db_env["DB_PASSWORD"]).close()  # ... and PostgreSQL locked nothing


def test_wrong_wrong_credentials_a_password_in_a_url_leaks_into_the_driver_error(db_env, failure):
    dsn = f"postgresql://{db_env['DB_USER']}:{WRONG}@{db_env['DB_HOST']}:{db_env['DB_PORT']}/{db_env['DB_NAME']}"
    leaked = re.escape(f'"{LEAKED}@{db_env["DB_HOST"]}"')  # libpq took the text after the first "@" as the host
    with failure.expect(OperationalError, match=rf"^could not translate host name {leaked} to address"):
        psycopg2.connect(dsn)
    # -s redacts what looks like a password in every message; the case text shows this one, on purpose
    assert f'could not translate host name "{LEAKED}@<DB_HOST>"' in " ".join(__doc__.split())


def chain(err: BaseException) -> list[BaseException]:
    """The error and every error behind it (__cause__ and __context__)."""
    seen, todo = [], [err]
    while todo:
        e = todo.pop()
        if e is not None and all(e is not s for s in seen):
            seen.append(e)
            todo += [e.__cause__, e.__context__]
    return seen


def leaks(secret_parts, *texts) -> list[str]:
    return sorted({part for part in secret_parts for text in texts if part in text})


@pytest.fixture
def logins(monkeypatch):
    """Counts the logins the fix tries (every psycopg2.connect goes through psycopg2._connect)."""
    tried = []
    real = psycopg2._connect

    def counting(*args, **kwargs):
        tried.append(args)
        return real(*args, **kwargs)
    monkeypatch.setattr(psycopg2, "_connect", counting)
    return tried


def test_right_wrong_credentials_helpful_error_without_the_password(db_env, capsys, caplog, solution):
    caplog.set_level(logging.DEBUG)
    settings = config.load_config({**db_env, "DB_PASSWORD": SECRET})
    with must_raise(config.DatabaseAuthFailed, "a refused login must become DatabaseAuthFailed") as raised:
        solution.connect(settings)
    message = str(raised.value)
    where = f"{db_env['DB_HOST']}:{db_env['DB_PORT']}"
    for part, what in ((where, "host:port"), (db_env["DB_USER"], "the user"), (db_env["DB_NAME"], "the database"),
                       ("password authentication failed", "what happened"), ("DB_USER", "the settings to check"),
                       ("DB_PASSWORD", "the settings to check")):
        assert part in message, f"the message should name {what} ({part!r}); yours says {message!r}"
    errors = chain(raised.value)
    everything = "".join(traceback.format_exception(raised.value)) + "".join(map(repr, errors))
    everything += "".join(str(e) for e in errors) + repr(settings) + str(settings)
    found = leaks(PIECES, everything)
    assert not found, (f"the password (here {SECRET!r}; parts {found[:3]}) shows in the error, an error behind "
                       "it or the traceback: never put it into a message, and pass it to psycopg2.connect as a "
                       "keyword, not in a URL or DSN")
    out = capsys.readouterr()
    found = leaks(PIECES, out.out, out.err, caplog.text)
    assert not found, (f"the password (here {SECRET!r}; parts {found[:3]}) was printed or logged: never print "
                       "or log it, nor the DSN")
    assert shows_behind(raised.value, OperationalError), (
        "raise DatabaseAuthFailed(...) from the OperationalError, so the traceback also shows the driver's words")


def test_right_wrong_credentials_a_refused_login_is_tried_once(db_env, logins, solution):
    settings = config.load_config({**db_env, "DB_PASSWORD": WRONG})
    with must_raise(config.DatabaseAuthFailed, "a refused login must become DatabaseAuthFailed"):
        solution.connect(settings)
    assert len(logins) == 1, (f"your fix tried to log in {len(logins)} times: a wrong password stays wrong, and "
                              "every retry is a wait and a failed login in the server's log (and, behind LDAP, PAM "
                              "or fail2ban, a step towards a lock-out or a ban); try once")


def test_right_wrong_credentials_other_connection_errors_are_not_a_wrong_password(db_env, closed_port, solution):
    refused = config.load_config({**db_env, "DB_PORT": str(closed_port), "DB_PASSWORD": SECRET})
    with must_raise(OperationalError, "a closed port is not a wrong password: let the driver's "
                                      "OperationalError through unchanged", match="Connection refused"):
        solution.connect(refused)
    no_such_db = config.load_config({**db_env, "DB_NAME": "retail_typo"})
    with must_raise(OperationalError, "a database that does not exist is not a wrong password: let the driver's "
                                      "OperationalError through unchanged",
                    match='database "retail_typo" does not exist'):
        solution.connect(no_such_db)


def test_right_wrong_credentials_the_right_password_connects_with_both_timeouts(db_env, capsys, caplog, solution):
    caplog.set_level(logging.DEBUG)
    settings = dataclasses.replace(config.load_config(db_env), connect_timeout=7, statement_timeout_ms=4321)
    conn = solution.connect(settings)
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT current_database(), current_user, current_setting('statement_timeout')")
            got = cur.fetchone()
        timeout = conn.info.dsn_parameters.get("connect_timeout")
    finally:
        conn.close()
    assert got[:2] == (db_env["DB_NAME"], db_env["DB_USER"]), (
        f"connected as {got[1]!r} to {got[0]!r}; expected {db_env['DB_USER']!r} to {db_env['DB_NAME']!r}")
    assert got[2] == "4321ms", (
        f"the server should run this connection with statement_timeout 4321ms (settings.statement_timeout_ms); "
        f"it has {got[2]!r}: connect with config.connection_params(settings)")
    assert timeout == "7", (f"the connection should have connect_timeout 7 (settings.connect_timeout); it has "
                            f"{timeout!r}: connect with config.connection_params(settings)")
    out = capsys.readouterr()
    assert db_env["DB_PASSWORD"] not in out.out + out.err + caplog.text, (
        "the password was printed or logged while connecting: never print or log it, nor the DSN")


class TaggedConnection(psycopg2.extensions.connection):
    """A connection_factory, as session 3 passes one."""


def test_right_wrong_credentials_overrides_replace_the_settings(db_env, solution):
    settings = dataclasses.replace(config.load_config(db_env), statement_timeout_ms=4321)
    conn = solution.connect(settings, connect_timeout=3, connection_factory=TaggedConnection,
                            application_name="override-check")
    try:
        with conn.cursor() as cur:
            cur.execute("SELECT current_setting('application_name'), current_setting('statement_timeout')")
            got = cur.fetchone()
        timeout = conn.info.dsn_parameters.get("connect_timeout")
    finally:
        conn.close()
    assert isinstance(conn, TaggedConnection), (
        f"connect(settings, connection_factory=...) should pass it on to psycopg2.connect; got a "
        f"{type(conn).__name__}")
    assert (timeout, got[0]) == ("3", "override-check"), (
        "connect(settings, connect_timeout=3, application_name='override-check') should replace those two of "
        f"connection_params(settings): got connect_timeout {timeout!r}, application_name {got[0]!r}")
    assert got[1] == "4321ms", f"the other settings stay: statement_timeout should be 4321ms, got {got[1]!r}"
