"""The three ways to get a database, seen from a run of pytest of its own."""
import os
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DB_TEST = textwrap.dedent("""
    def test_uses_a_database(conn):
        with conn.cursor() as cur:
            cur.execute("CREATE TABLE t (x int)")

    def test_without_a_database():
        pass
""")


@pytest.fixture
def inner(pytester, monkeypatch):
    """A separate pytest run with the course's database plugin and no .env."""
    for key in [k for k in os.environ if k.startswith("DB_") or k == "CI"]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makepyfile(test_inner=DB_TEST)

    def run(*args):
        return pytester.runpytest_subprocess("-p", "failurelab.database", "-p", "no:randomly", "-rs", *args)
    return run


def test_without_any_server_database_tests_skip_with_one_actionable_line(inner, monkeypatch):
    monkeypatch.setenv("FAILURELAB_PG_BINDIR", "/nonexistent")
    result = inner()
    result.assert_outcomes(passed=1, skipped=1)
    result.stdout.fnmatch_lines(["postgresql: none, database tests skip*apt install postgresql*docker compose up -d*",
                                 "SKIPPED*no PostgreSQL: install the server binaries*docs/setup.md"])


def test_in_ci_a_missing_server_fails_instead_of_skipping(inner, monkeypatch):
    monkeypatch.setenv("FAILURELAB_PG_BINDIR", "/nonexistent")
    monkeypatch.setenv("CI", "true")
    result = inner()
    result.assert_outcomes(passed=1, errors=1)
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*a database is required here (CI=true or --require-db)*"])


def test_an_existing_server_is_used_and_left_as_it_was(inner, monkeypatch, pg_server):
    def databases():
        with pg_server.connect() as conn, conn.cursor() as cur:
            cur.execute("SELECT datname FROM pg_database")
            return {name for (name,) in cur.fetchall()}
    before = databases()
    for key, value in pg_server.env().items():
        monkeypatch.setenv(key, value)
    result = inner()
    result.assert_outcomes(passed=2)
    result.stdout.fnmatch_lines([f"postgresql: existing server {pg_server.user}@{pg_server.host}:{pg_server.port} (DB_HOST)"])
    assert pg_server.password not in result.stdout.str() + result.stderr.str()
    assert databases() == before
