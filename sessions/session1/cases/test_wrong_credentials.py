"""Wrong database credentials.

Scenario:
    The server is up, but the job logs in with the wrong password: a rotated
    secret, a .env from another environment, a typo.
Why:
    PostgreSQL refuses the login and psycopg2 raises OperationalError "password
    authentication failed for user". Retrying cannot help (it is permanent,
    and repeated failures may lock the account). Secrets leak on the way: a
    "helpful" log line with the DSN writes the password into logs, CI output
    and tickets, and a password with an "@" pasted into a postgresql:// URL is
    cut at the "@": libpq then names the rest of the password, in its own error
    message, as a host it could not find.
Fix:
    Catch the refused login and raise a helpful error that names the user,
    host:port and database and which settings to check, but never the password.
    Hand the settings to the driver as keyword arguments, never as a URL built
    from them, and keep the password out of repr() of the settings too. Do not
    retry it.
"""
import re
import traceback

import psycopg2
import pytest
from psycopg2 import OperationalError  # psycopg2 attaches no SQLSTATE to a failed connect: pgcode is None

from sessions.session1 import config

pytestmark = pytest.mark.failure_case("configuration", fix=config.connect)

WRONG = "rotated@Summer2026"  # real passwords contain "@", ":" or "/"
LEAKED = WRONG.split("@", 1)[1]


def test_wrong_wrong_credentials_the_server_refuses_the_login(db_env, failure):
    with failure.expect(OperationalError, match=rf'password authentication failed for user "{db_env["DB_USER"]}"'):
        psycopg2.connect(host=db_env["DB_HOST"], port=db_env["DB_PORT"], dbname=db_env["DB_NAME"],
                         user=db_env["DB_USER"], password=WRONG)


def test_wrong_wrong_credentials_a_password_in_a_url_leaks_into_the_driver_error(db_env, failure):
    dsn = f"postgresql://{db_env['DB_USER']}:{WRONG}@{db_env['DB_HOST']}:{db_env['DB_PORT']}/{db_env['DB_NAME']}"
    leaked = re.escape(f'"{LEAKED}@{db_env["DB_HOST"]}"')  # libpq took the text after the first "@" as the host
    with failure.expect(OperationalError, match=rf"^could not translate host name {leaked} to address"):
        psycopg2.connect(dsn)


def test_right_wrong_credentials_helpful_error_without_the_password(db_env, solution):
    settings = config.load_config({**db_env, "DB_PASSWORD": WRONG})
    with pytest.raises(config.DatabaseAuthFailed) as raised:
        solution.connect(settings)
    message = str(raised.value)
    assert message == (f"PostgreSQL at {db_env['DB_HOST']}:{db_env['DB_PORT']} refused user '{db_env['DB_USER']}' "
                       f"(password authentication failed) for database '{db_env['DB_NAME']}'; check DB_USER and "
                       "DB_PASSWORD in the environment or .env")
    everything = "".join(traceback.format_exception(raised.value)) + repr(settings) + str(settings)
    assert LEAKED not in everything  # no part of it in the error, its cause, the traceback, or the settings


def test_right_wrong_credentials_the_right_password_connects(db_env, solution):
    conn = solution.connect(config.load_config(db_env))
    conn.close()
