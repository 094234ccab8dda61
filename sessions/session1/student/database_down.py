"""Your fix for database_down: PostgreSQL is not there (yet). Try again, within reason.

Run: pytest --student sessions/session1 -k database_down -s
"""
from __future__ import annotations

import time

import psycopg2

from sessions.session1.config import ConfigError, DatabaseAuthFailed, DatabaseUnavailable, Settings, connect


def connect_with_retry(settings: Settings, attempts: int = 4,
                       first_delay: float = 0.5) -> "psycopg2.extensions.connection":
    # TODO(database_down): call connect(settings) up to `attempts` times. On
    # psycopg2.OperationalError wait with time.sleep(first_delay), then twice as
    # long each time; re-raise DatabaseAuthFailed at once (a wrong password is
    # not transient). An error saying 'does not exist' comes from a server that
    # is up: raise ConfigError("PostgreSQL at host:port is up but refused the
    # connection (<cause>); check DB_NAME and DB_USER") at once, no retry. After
    # the last attempt raise DatabaseUnavailable naming host:port, the cause,
    # and what to check (pg_isready, DB_HOST/DB_PORT).
    raise NotImplementedError("TODO(database_down): write connect_with_retry")
