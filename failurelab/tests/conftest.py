"""Shared by the tests of the database modes: a separate pytest run, a server set up like the compose one."""
import os
import textwrap
from pathlib import Path

import pytest

from failurelab import composelike
from failurelab.database import PROVIDER

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
    """A separate pytest run with the course's database plugin and no .env (DB_* and CI unset)."""
    for key in [k for k in os.environ if k.startswith("DB_") or k == "CI"]:
        monkeypatch.delenv(key)
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    pytester.makepyfile(test_inner=DB_TEST)

    def run(*args):
        return pytester.runpytest_subprocess("-p", "failurelab.database", "-p", "no:randomly", "-rs", *args)
    return run


@pytest.fixture
def bindir(pytestconfig):
    """Local (or pip's) server binaries; found in both modes."""
    found = pytestconfig.stash[PROVIDER].bindir
    if found is None:
        pytest.skip("needs PostgreSQL server binaries")
    return found


def _compose_like(bindir, createdb=True):
    server, retail = composelike.start(bindir, createdb=createdb)
    try:
        yield server, retail
    finally:
        server.stop()


@pytest.fixture
def compose_like(bindir):
    """(server, Database of role retail on retail_db): scram, not a superuser, CREATEDB; ours alone."""
    yield from _compose_like(bindir)


@pytest.fixture
def compose_like_without_createdb(bindir):
    yield from _compose_like(bindir, createdb=False)
