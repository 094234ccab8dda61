"""Your fix for database_down: PostgreSQL is not there (yet). Try again, within reason.

Run: pytest --student sessions/session1 -k database_down -s

connect_with_retry(settings, attempts=4, first_delay=0.5) returns the
connection of config.connect(settings) (it applies both timeouts, and turns a
wrong password into DatabaseAuthFailed), trying at most ``attempts`` times:

* Retried: psycopg2.OperationalError from a server that is not there or not
  ready (e.g. "Connection refused", "the database system is starting up").
  Between attempts wait with time.sleep: first_delay, then twice as long each
  time (0.5 s, 1 s, 2 s for the defaults; jitter on top, up to 10 %, is
  fine). No wait after the last attempt.
* Not retried, raised at once (no wait):
  - DatabaseAuthFailed (a wrong password stays wrong; retries only add failed logins);
  - an OperationalError saying "does not exist" or "no pg_hba.conf entry": the
    server is up and answered. Raise ConfigError (not DatabaseUnavailable)
    naming host:port, the server's answer and what to check, e.g. "PostgreSQL
    at 127.0.0.1:5432 is up but refused the connection (<cause>); check DB_NAME
    and DB_USER";
  - any other error (not an OperationalError): a bug, let it through unchanged.
* After the last attempt: raise DatabaseUnavailable from the last error,
  naming host:port, the number of attempts ("after 4 attempts"), the driver's
  cause (e.g. "Connection refused") and what to check: pg_isready and
  DB_HOST/DB_PORT. E.g. "cannot reach PostgreSQL at 127.0.0.1:5432 after 4
  attempts (<cause>); check the server is running (pg_isready -h 127.0.0.1 -p
  5432) and that DB_HOST/DB_PORT point at it".
* attempts < 1 is a ValueError. The password appears in no message, print or
  log line.
"""
from __future__ import annotations

import time

import psycopg2

from sessions.session1.config import ConfigError, DatabaseAuthFailed, DatabaseUnavailable, Settings, connect


def connect_with_retry(settings: Settings, attempts: int = 4,
                       first_delay: float = 0.5) -> "psycopg2.extensions.connection":
    # TODO(database_down): call connect(settings) up to `attempts` times. On
    # psycopg2.OperationalError wait with time.sleep(first_delay), then twice as
    # long each time (not after the last attempt); re-raise DatabaseAuthFailed at
    # once (a wrong password is not transient). An error saying 'does not exist'
    # or 'no pg_hba.conf entry' comes from a server that is up: raise
    # ConfigError("PostgreSQL at host:port is up but refused the connection
    # (<cause>); check DB_NAME and DB_USER") at once, no retry. After the last
    # attempt raise DatabaseUnavailable naming host:port, the attempts, the
    # cause, and what to check (pg_isready, DB_HOST/DB_PORT).
    raise NotImplementedError("TODO(database_down): write connect_with_retry")
