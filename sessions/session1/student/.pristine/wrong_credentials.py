"""Your fix for wrong_credentials: say what to check, never the secret.

Run: pytest --student sessions/session1 -k wrong_credentials -s

connect(settings, **overrides) opens ONE connection and returns it:

* It connects with the keyword arguments of
  config.connection_params(settings) (host, port, dbname, user, password and
  both timeouts: connect_timeout, and statement_timeout via options), with
  ``overrides`` (e.g. connect_timeout=3, application_name=...,
  connection_factory=...) replacing or adding to them. Keyword arguments:
  never a postgresql:// URL or a "key=value" string built from the settings
  (an "@", a blank or a quote in the password breaks them, and the driver's
  error then quotes part of the password).
* An OperationalError whose message says "password authentication failed"
  becomes sessions.session1.config.DatabaseAuthFailed, raised FROM that error
  (``raise ... from err``: the traceback shows the driver's words too), whose
  message names host:port, the user, the database, "password authentication
  failed" and the settings to check, DB_USER and DB_PASSWORD, e.g.
  "PostgreSQL at 127.0.0.1:5432 refused user 'retail' (password authentication
  failed) for database 'retail_db'; check DB_USER and DB_PASSWORD in the
  environment or .env".
* Any other OperationalError (a closed port: "Connection refused", a database
  that does not exist) is NOT a wrong password: let it through unchanged.
* The login is tried once: a wrong password stays wrong. (PostgreSQL itself
  locks no account, but every retry is a failed login in its log, and LDAP,
  PAM or fail2ban behind it may lock the account or ban the address.)
* No 4 characters in a row of the password (no piece of it 4 characters
  long, let alone all of it) appear anywhere: not in the DatabaseAuthFailed,
  any error behind it or the traceback, not in repr() or str() of the
  settings, not printed, not logged. That is the rule checked: pieces shorter
  than 4 characters are not looked for.
"""
from __future__ import annotations

import psycopg2

from sessions.session1.config import DatabaseAuthFailed, Settings, connection_params


def connect(settings: Settings, **overrides) -> "psycopg2.extensions.connection":
    # TODO(wrong_credentials): psycopg2.connect(**{**connection_params(settings),
    # **overrides}): keyword arguments, overrides win. On an OperationalError
    # whose message says "password authentication failed", raise
    # DatabaseAuthFailed("PostgreSQL at host:port refused user 'u' (password
    # authentication failed) for database 'd'; check DB_USER and DB_PASSWORD in
    # the environment or .env") from the error; let any other error through.
    # Never put settings.password into a message, a print or a log line.
    raise NotImplementedError("TODO(wrong_credentials): write connect")
