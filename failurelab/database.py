"""PostgreSQL for the tests: one server per run, one fresh database per test.

The server is chosen once per run, in this order, and named in pytest's header:

a. ``DB_HOST`` is set (environment or ``.env``): use that server, e.g. the
   docker compose service or a CI service container;
b. PostgreSQL server binaries are on this machine: start a throwaway server;
c. neither: database tests skip with one actionable line, or fail when
   ``CI=true`` or ``--require-db`` says a database is required.

Each test gets its own database, made from ``template0`` by pytest-postgresql's
``DatabaseJanitor`` and dropped afterwards, so tests can run in any order and in
parallel (pytest-xdist: one server per worker).
"""
from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import psycopg2
import pytest
from dotenv import dotenv_values
from pytest_postgresql.janitor import DatabaseJanitor

from failurelab import pgserver

SETUP_DOC = "docs/setup.md"
NO_SERVER = (
    "no PostgreSQL: install the server binaries (Debian/Ubuntu: apt install postgresql; "
    "macOS: brew install postgresql@16) or run `docker compose up -d` with a .env "
    f"copied from .env.example; see {SETUP_DOC}"
)


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


def _truthy(value: str | None) -> bool:
    return (value or "").strip().lower() in {"1", "true", "yes", "on"}


def existing_server_settings(rootdir: Path) -> dict[str, str] | None:
    """DB_* settings from the environment, else from .env; None without DB_HOST."""
    settings = {k: v for k, v in dotenv_values(rootdir / ".env").items() if v is not None}
    settings.update({k: v for k, v in os.environ.items() if k.startswith("DB_")})
    return settings if settings.get("DB_HOST") else None


def existing_server(settings: dict[str, str]) -> Database:
    """The Database that DB_* settings name (the one the tests create theirs from)."""
    return Database(settings["DB_HOST"], int(settings.get("DB_PORT", 5432)), settings.get("DB_NAME", "postgres"),
                    settings.get("DB_USER", "postgres"), settings.get("DB_PASSWORD", ""))


class Provider:
    """Decides the mode at configure time, starts the throwaway server on first use."""

    def __init__(self, config: pytest.Config):
        self.required = config.getoption("require_db") or _truthy(os.environ.get("CI"))
        self.existing = existing_server_settings(config.rootpath)
        self.bindir = None if self.existing else pgserver.find_bindir(config.getini("postgresql_exec"))
        self.server: pgserver.ThrowawayServer | None = None
        if self.bindir:
            self.server = pgserver.ThrowawayServer(self.bindir)

    def header(self, workers: int | None) -> str:
        if self.existing:
            s = self.existing
            return f"postgresql: existing server {s.get('DB_USER', 'postgres')}@{s['DB_HOST']}:{s.get('DB_PORT', '5432')} (DB_HOST)"
        if self.server:
            where = "one per worker" if workers else f"on {self.server.host}:{self.server.port}"
            return (f"postgresql: throwaway server {pgserver.server_version(self.bindir)} {where} "
                    f"(local binaries in {self.bindir})")
        return f"postgresql: none, database tests {'FAIL (a database is required)' if self.required else 'skip'} — {NO_SERVER}"

    def admin(self) -> Database:
        """Superuser settings of the server, starting it if needed."""
        if self.existing:
            return existing_server(self.existing)
        if self.server is None:
            if self.required:
                pytest.fail(f"a database is required here (CI=true or --require-db) but there is {NO_SERVER}", pytrace=False)
            pytest.skip(NO_SERVER)
        if self.server.workdir is None:
            self.server.start()
        s = self.server
        return Database(s.host, s.port, "postgres", s.user, s.password)

    def close(self) -> None:
        if self.server is not None:
            self.server.stop()


PROVIDER = pytest.StashKey[Provider]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--require-db", action="store_true", default=False,
                     help="fail database tests instead of skipping them when no PostgreSQL is available (implied by CI=true)")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[PROVIDER] = Provider(config)
    config.addinivalue_line("markers", "database: the test uses a real PostgreSQL database (added automatically). "
                            "Example: pytest -m 'not database'")


def pytest_unconfigure(config: pytest.Config) -> None:
    if PROVIDER in config.stash:
        config.stash[PROVIDER].close()


def pytest_report_header(config: pytest.Config) -> str:
    return config.stash[PROVIDER].header(config.getoption("numprocesses", None))


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "pg_server" in getattr(item, "fixturenames", ()):
            item.add_marker("database")


@pytest.fixture(scope="session")
def pg_server(pytestconfig: pytest.Config) -> Database:
    """The server's superuser settings (skips, or fails in CI, when there is none)."""
    return pytestconfig.stash[PROVIDER].admin()


@contextmanager
def fresh_database(admin: Database, prefix: str = "lab") -> Iterator[Database]:
    """A new empty database on ``admin``'s server, dropped afterwards (pytest-postgresql's janitor)."""
    fresh = Database(admin.host, admin.port, f"{prefix}_{uuid.uuid4().hex[:16]}", admin.user, admin.password)
    with DatabaseJanitor(user=fresh.user, password=fresh.password, host=fresh.host, port=fresh.port,
                         dbname=fresh.dbname, template_dbname="template0", maintenance_dbname=admin.dbname):
        yield fresh


@pytest.fixture
def db(pg_server: Database) -> Database:
    """A fresh, empty database of this test's own, dropped afterwards."""
    with fresh_database(pg_server) as fresh:
        yield fresh


@pytest.fixture
def conn(db: Database):
    """A psycopg2 connection to this test's database (not autocommit)."""
    connection = db.connect()
    yield connection
    connection.close()


@pytest.fixture
def db_env(db: Database, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """Point the pipelines' DB_* environment variables at this test's database."""
    for key, value in db.env().items():
        monkeypatch.setenv(key, value)
    return db.env()


@pytest.fixture
def closed_port():
    """A TCP port on 127.0.0.1 where nothing listens: connecting is refused for real.

    The socket stays bound (but never listens) for the whole test, so no other
    process can take the port meanwhile.
    """
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock.getsockname()[1]
