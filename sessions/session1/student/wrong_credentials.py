"""Your fix for wrong_credentials: say what to check, never the secret.

Run: pytest --student sessions/session1 -k wrong_credentials -s
"""
from __future__ import annotations

import psycopg2

from sessions.session1.config import DatabaseAuthFailed, Settings, connection_params


def connect(settings: Settings, **overrides) -> "psycopg2.extensions.connection":
    # TODO(wrong_credentials): psycopg2.connect(**connection_params(settings),
    # **overrides): keyword arguments, never a postgresql:// URL built from the
    # settings (an "@" in the password breaks it). On an OperationalError whose
    # message says "password authentication failed", raise DatabaseAuthFailed(
    # "PostgreSQL at host:port refused user 'u' (password authentication failed)
    # for database 'd'; check DB_USER and DB_PASSWORD in the environment or
    # .env") from the error. Never put settings.password into the message.
    raise NotImplementedError("TODO(wrong_credentials): write connect")
