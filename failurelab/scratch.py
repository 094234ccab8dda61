"""A database of its own for a script (the benchmarks), the way the tests get theirs.

``scratch_database()`` works like the tests' ``db`` fixture outside pytest: a
fresh database on the server DB_* names (environment or .env), else on a
throwaway server from local binaries, dropped (and the server stopped) at the end.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from failurelab import pgserver
from failurelab.database import NO_SERVER, Database, existing_server, existing_server_settings, fresh_database

ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def scratch_database() -> Iterator[Database]:
    settings = existing_server_settings(ROOT)
    server = None
    if settings:
        admin = existing_server(settings)
    else:
        bindir = pgserver.find_bindir()
        if bindir is None:
            raise SystemExit(NO_SERVER)
        server = pgserver.ThrowawayServer(bindir).start()
        admin = Database(server.host, server.port, "postgres", server.user, server.password)
    try:
        with fresh_database(admin, prefix="bench") as fresh:
            yield fresh
    finally:
        if server is not None:
            server.stop()
