"""Session 1, step 0: the database settings, checked before any work is done.

Settings come from the environment, then from a ``.env`` file in the working
directory (the environment wins). Every missing variable is named in ONE error
at start-up, not discovered one by one when the job is half done. The password
is never part of a repr, a log line or an error message. The CLIs call
``load_config_or_local()``: with none of the five set anywhere, as on a fresh
clone, they use the course's local server instead, and say so.
"""
from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
from dotenv import dotenv_values

REQUIRED = ("DB_HOST", "DB_PORT", "DB_NAME", "DB_USER", "DB_PASSWORD")
CONNECT_TIMEOUT_S = 5          # how long to wait for the server to answer at all
STATEMENT_TIMEOUT_MS = 300_000  # the longest any single statement may run (the full COPY takes ~2 s)


class ConfigError(Exception):
    """The job cannot start: its settings are missing or wrong."""


class DatabaseAuthFailed(ConfigError):
    """The server is there, but refused these credentials."""


@dataclass(frozen=True)
class Settings:
    host: str
    port: int
    dbname: str
    user: str
    password: str = field(repr=False)  # never in repr(), logs or tracebacks of this object
    connect_timeout: int = CONNECT_TIMEOUT_S
    statement_timeout_ms: int = STATEMENT_TIMEOUT_MS

    @property
    def where(self) -> str:
        return f"{self.user}@{self.host}:{self.port}/{self.dbname}"

    def connect(self, **overrides) -> "psycopg2.extensions.connection":
        return connect(self, **overrides)


def load_config(env: Mapping[str, str] | None = None, dotenv: str | os.PathLike | None = ".env") -> Settings:
    """Read and check the DB_* settings; raise one ConfigError naming every problem."""
    if env is None:
        values = {k: v for k, v in dotenv_values(Path(dotenv)).items() if v is not None} if dotenv else {}
        values.update(os.environ)
    else:
        values = dict(env)
    missing = [name for name in REQUIRED if not (values.get(name) or "").strip()]
    if missing:
        raise ConfigError(f"missing required settings: {', '.join(missing)}; set them in the environment "
                          "or in .env (see .env.example)")
    port = values["DB_PORT"].strip()
    if not port.isdigit() or not 0 < int(port) < 65536:
        raise ConfigError(f"DB_PORT must be a TCP port number (1-65535), got {port!r}")
    timeout = (values.get("DB_STATEMENT_TIMEOUT_MS") or "").strip() or str(STATEMENT_TIMEOUT_MS)  # blank: default
    if not timeout.isdigit():
        raise ConfigError(f"DB_STATEMENT_TIMEOUT_MS must be milliseconds (a whole number), got {timeout!r}")
    return Settings(values["DB_HOST"].strip(), int(port), values["DB_NAME"].strip(), values["DB_USER"].strip(),
                    values["DB_PASSWORD"], statement_timeout_ms=int(timeout))


def load_config_or_local(dotenv: str | os.PathLike | None = ".env") -> Settings:
    """The CLIs' settings: load_config()'s, or, when none of REQUIRED is set anywhere, the local server's.

    Any of the five, in the environment or in .env (even empty), means a server was chosen: then
    load_config() alone decides, and a partial set is still one error naming what is missing. With none
    at all, as on a fresh clone, the job uses the course's own persistent PostgreSQL (failurelab.localdb,
    started on first use) and says so on stderr: a default that announces itself, unlike
    os.getenv("DB_NAME", "retail_dev"). DB_STATEMENT_TIMEOUT_MS, which names no server, still applies.
    """
    from_file = dotenv_values(Path(dotenv)) if dotenv else {}
    if any(name in os.environ or name in from_file for name in REQUIRED):
        return load_config(dotenv=dotenv)
    from failurelab import localdb  # only a run without settings needs it

    try:
        local, line = localdb.ensure()
    except localdb.LocalDbError as err:
        raise ConfigError(f"no DB_* settings, and {err}") from None
    print(line, file=sys.stderr, flush=True)
    timeout = os.environ.get("DB_STATEMENT_TIMEOUT_MS", from_file.get("DB_STATEMENT_TIMEOUT_MS"))
    return load_config({**local, **({"DB_STATEMENT_TIMEOUT_MS": timeout} if timeout is not None else {})})


# A connection that goes silent mid-query (the server's host died, a firewall or NAT forgot the flow) sends
# no error: without these the job waits on it for the kernel's default, 7200 s idle + 9 probes x 75 s on
# Linux, over two hours. libpq's keepalives (seconds) make the client's kernel probe an idle connection;
# tcp_user_timeout (milliseconds, libpq >= 12, Linux) drops one whose sent data stays unacknowledged.
KEEPALIVES_IDLE_S = 30      # first probe after 30 s of silence: also keeps NAT/firewall state alive
KEEPALIVES_INTERVAL_S = 10  # then one probe every 10 s ...
KEEPALIVES_COUNT = 3        # ... and 3 unanswered probes mean dead: noticed after about 30 + 3 x 10 = 60 s
TCP_USER_TIMEOUT_MS = 60_000  # the same minute for data sent and never acknowledged; long enough for retransmits


def connection_params(settings: Settings) -> dict:
    """Every limit set on purpose: reaching the server, a silent connection, one statement.

    ``connect_timeout`` bounds the wait for a server that does not answer (seconds);
    keepalives and ``tcp_user_timeout`` notice a connection whose other end went away
    without a word; ``statement_timeout`` bounds any one statement (milliseconds), so a
    stuck query fails with a clear QueryCanceled instead of hanging the job forever.
    """
    return {"host": settings.host, "port": settings.port, "dbname": settings.dbname, "user": settings.user,
            "password": settings.password, "connect_timeout": settings.connect_timeout,
            "keepalives": 1, "keepalives_idle": KEEPALIVES_IDLE_S, "keepalives_interval": KEEPALIVES_INTERVAL_S,
            "keepalives_count": KEEPALIVES_COUNT, "tcp_user_timeout": TCP_USER_TIMEOUT_MS,
            "options": f"-c statement_timeout={settings.statement_timeout_ms}",
            "application_name": "failurelab-session1"}


def connect(settings: Settings, **overrides) -> "psycopg2.extensions.connection":
    """Connect once; a rejected login becomes a helpful error without the password."""
    try:
        return psycopg2.connect(**{**connection_params(settings), **overrides})
    except psycopg2.OperationalError as err:
        if "password authentication failed" in str(err) or "no password supplied" in str(err):
            raise DatabaseAuthFailed(
                f"PostgreSQL at {settings.host}:{settings.port} refused user '{settings.user}' "
                f"(password authentication failed) for database '{settings.dbname}'; check DB_USER and "
                "DB_PASSWORD in the environment or .env") from err
        raise


class DatabaseUnavailable(ConfigError):
    """The server could not be reached, even after retrying."""


# What a running server answers when a setting is wrong: permanent, unlike a refused port.
PERMANENT = ("does not exist", "no pg_hba.conf entry")


def connect_with_retry(settings: Settings, attempts: int = 4,
                       first_delay: float = 0.5) -> "psycopg2.extensions.connection":
    """Retry what may be transient (server starting, restarting), with exponential backoff.

    A refused or timed-out connection is retried ``attempts`` times, waiting
    0.5 s, 1 s, 2 s ... in between. A server that answered and said no (a wrong
    password, a database or user that does not exist) is permanent and is not.
    After the last attempt: one clear error naming host:port and what to check.
    """
    if attempts < 1:
        raise ValueError(f"attempts must be at least 1, got {attempts}")
    for attempt in range(1, attempts + 1):
        try:
            return connect(settings)
        except DatabaseAuthFailed:
            raise  # permanent: retrying only fills the server log and, behind LDAP/PAM or fail2ban, may lock the account
        except psycopg2.OperationalError as err:
            cause = " ".join(str(err).split())  # one line, whatever the driver put in
            if any(answer in cause for answer in PERMANENT):  # the server is up: waiting will not help
                raise ConfigError(f"PostgreSQL at {settings.host}:{settings.port} is up but refused the "
                                  f"connection ({cause}); check DB_NAME and DB_USER") from err
            if attempt == attempts:
                raise DatabaseUnavailable(
                    f"cannot reach PostgreSQL at {settings.host}:{settings.port} after {attempts} attempts "
                    f"({cause}); check the server is running (pg_isready -h {settings.host} "
                    f"-p {settings.port}, docker compose ps) and that DB_HOST/DB_PORT point at it") from err
            time.sleep(first_delay * 2 ** (attempt - 1))  # 0.5 s, 1 s, 2 s: give a restart time to finish
