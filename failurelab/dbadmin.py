"""The tests' databases on a server: checked first, made, dropped, and reaped.

One ``RunDatabases`` per pytest process. ``open()`` is the preflight: one
connection with a short timeout, and a check that the role may create
databases; its failure is one line naming the server and the cause, never the
password. That connection stays open for the whole run, named
``failurelab-run-<token>`` in ``pg_stat_activity``: it is how another run tells
that this one is alive. Databases are named ``lab_<token>_<random>``, so the
reaper drops those whose run has no such connection any more (a killed run).

Drops must work for a role that is not a superuser: a plain ``DROP DATABASE``
makes autovacuum workers in the database exit by itself, where ``WITH (FORCE)``
or ``pg_terminate_backend`` on them is refused ("permission denied to terminate
process"). So only client sessions of our own role are terminated.
"""
from __future__ import annotations

import secrets
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import psycopg2
from psycopg2 import errors, sql

CONNECT_TIMEOUT_S = 5
RUN_APP = "failurelab-run-"
REDACTED = "********"


@dataclass(frozen=True)
class Database:
    """How to reach one database. The password is kept out of repr()."""

    host: str
    port: int
    dbname: str
    user: str
    password: str = field(repr=False)

    def params(self, **overrides) -> dict:
        return {"host": self.host, "port": self.port, "dbname": self.dbname,
                "user": self.user, "password": self.password, **overrides}

    def connect(self, **overrides) -> "psycopg2.extensions.connection":
        return psycopg2.connect(**self.params(**overrides))

    def env(self) -> dict[str, str]:
        """The DB_* variables the course's pipelines read."""
        return {"DB_HOST": self.host, "DB_PORT": str(self.port), "DB_NAME": self.dbname,
                "DB_USER": self.user, "DB_PASSWORD": self.password}


class ServerProblem(Exception):
    """The server cannot give us databases; the message is one line, without the password."""


def cause(admin: Database, err: Exception) -> str:
    """One line naming the server and why it failed (never the password)."""
    text = str(err).strip()
    if "password authentication failed" in text:
        why = f'password authentication failed for user "{admin.user}": check DB_USER and DB_PASSWORD'
    elif "Connection refused" in text:
        why = "connection refused: nothing listens there (is the server running? check DB_HOST and DB_PORT)"
    elif "timeout expired" in text:
        why = f"no answer within {CONNECT_TIMEOUT_S} s (check DB_HOST and DB_PORT)"
    elif f'database "{admin.dbname}" does not exist' in text:
        why = f'database "{admin.dbname}" does not exist: check DB_NAME'
    else:
        why = " / ".join(line.strip() for line in text.splitlines() if line.strip())
    if admin.password:
        why = why.replace(admin.password, REDACTED)
    return f"PostgreSQL at {admin.user}@{admin.host}:{admin.port}: {why}"


class RunDatabases:
    """This process's databases on one server, behind one long-lived admin connection."""

    def __init__(self, admin: Database):
        self.admin = admin
        self.token = secrets.token_hex(4)
        self.conn = None

    def open(self) -> "RunDatabases":
        try:
            self.conn = self.admin.connect(connect_timeout=CONNECT_TIMEOUT_S, application_name=RUN_APP + self.token)
        except psycopg2.Error as err:
            raise ServerProblem(cause(self.admin, err)) from None
        self.conn.autocommit = True
        with self.conn.cursor() as cur:
            cur.execute("SELECT rolcreatedb OR rolsuper FROM pg_roles WHERE rolname = current_user")
            if not cur.fetchone()[0]:
                self.close()
                raise ServerProblem(cause(self.admin, Exception(
                    f'role "{self.admin.user}" may not create databases: DB_USER needs CREATEDB '
                    f"(as a superuser: ALTER ROLE {self.admin.user} CREATEDB)")))
        self.reaped = self.reap()
        return self

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None

    def _execute(self, query, args=()) -> list[tuple]:
        try:
            with self.conn.cursor() as cur:
                cur.execute(query, args)
                return cur.fetchall() if cur.description else []
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as err:  # the server went away
            raise ServerProblem(cause(self.admin, err)) from None

    def create(self, prefix: str = "lab") -> Database:
        name = f"{prefix}_{self.token}_{uuid.uuid4().hex[:12]}"
        self._execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
        a = self.admin
        return Database(a.host, a.port, name, a.user, a.password)

    def drop(self, name: str) -> None:
        """Drop a database: our role's sessions in it are ended; autovacuum ends by itself."""
        for attempt in range(5):
            self._execute("""
                SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                WHERE datname = %s AND pid <> pg_backend_pid() AND backend_type = 'client backend'
                  AND (usename = current_user OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user))""",
                          (name,))
            try:
                # waits up to 5 s for the ended sessions to go, and tells autovacuum workers to exit
                self._execute(sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name)))
                return
            except errors.ObjectInUse as err:  # 55006: someone else's session is still in it
                if attempt == 4:
                    raise ServerProblem(cause(self.admin, err)) from None
                time.sleep(0.5)

    @contextmanager
    def fresh(self, prefix: str = "lab") -> Iterator[Database]:
        database = self.create(prefix)
        try:
            yield database
        finally:
            self.drop(database.dbname)

    def reap(self) -> list[str]:
        """Drop our role's test databases whose run is gone (killed runs skip every cleanup)."""
        gone = self._execute(r"""
            SELECT d.datname FROM pg_database d
            WHERE pg_get_userbyid(d.datdba) = current_user AND (
              (d.datname ~ '^(lab|bench)_[0-9a-f]{8}_[0-9a-f]{12}$' AND NOT EXISTS (
                 SELECT 1 FROM pg_stat_activity a WHERE a.application_name = %s || split_part(d.datname, '_', 2)))
              -- named by the code before run tokens: gone when nobody is in it
              OR (d.datname ~ '^lab_[0-9a-f]{16}$' AND NOT EXISTS (
                 SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)))""", (RUN_APP,))
        for (name,) in gone:
            self.drop(name)
        return [name for (name,) in gone]
