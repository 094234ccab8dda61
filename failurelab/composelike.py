"""A server set up like docker-compose.yml's service, started from local binaries.

Like the compose service: scram-sha-256 password authentication, the database
``retail_db``, and the role ``retail`` that may create databases but is not a
superuser. The tests of the existing-server mode point ``DB_HOST`` at one, and
``.ci/run`` runs the whole suite against one:

    eval "$(python -m failurelab.composelike start --owner $$)"   # exports DB_* and COMPOSELIKE_DIR
    python -m failurelab.composelike leftovers                     # fails if a test database is left on it
    python -m failurelab.composelike stop "$COMPOSELIKE_DIR"

The server is a throwaway one: the reaper removes it once ``--owner`` is gone.
"""
from __future__ import annotations

import argparse
import os
import secrets
import shlex
from pathlib import Path

import psycopg2
from psycopg2 import sql

from failurelab import pgserver
from failurelab.dbadmin import Database

ROLE = "retail"
DBNAME = "retail_db"


def start(bindir: str, *, createdb: bool = True, **settings: str) -> tuple[pgserver.ThrowawayServer, Database]:
    """The server and how DB_* reach it as the compose role (CREATEDB unless told otherwise)."""
    server = pgserver.ThrowawayServer(bindir, settings={**pgserver.SERVER_SETTINGS, **settings}).start()
    password = secrets.token_urlsafe(18)
    try:
        conn = psycopg2.connect(host=server.host, port=server.port, dbname="postgres", user=server.user,
                                password=server.password)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(sql.SQL("CREATE ROLE {} LOGIN NOSUPERUSER NOCREATEROLE {} PASSWORD %s").format(
                sql.Identifier(ROLE), sql.SQL("CREATEDB" if createdb else "NOCREATEDB")), (password,))
            cur.execute(sql.SQL("CREATE DATABASE {} OWNER {}").format(sql.Identifier(DBNAME), sql.Identifier(ROLE)))
        conn.close()
    except BaseException:
        server.stop()
        raise
    return server, Database(server.host, server.port, DBNAME, ROLE, password)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m failurelab.composelike", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    begin = sub.add_parser("start", help="start one; print `export` lines for a shell's eval")
    begin.add_argument("--owner", type=int, default=os.getppid(), help="the process whose end lets the reaper remove it")
    end = sub.add_parser("stop", help="stop one and remove its folder")
    end.add_argument("workdir", type=Path)
    sub.add_parser("leftovers", help="exit 1 if the server DB_* names holds test databases (lab_*, bench_*)")
    args = parser.parse_args(argv)
    if args.command == "leftovers":
        conn = psycopg2.connect(host=os.environ["DB_HOST"], port=os.environ["DB_PORT"], dbname=os.environ["DB_NAME"],
                                user=os.environ["DB_USER"], password=os.environ["DB_PASSWORD"])
        with conn.cursor() as cur:
            cur.execute(r"SELECT datname FROM pg_database WHERE datname ~ '^(lab|bench)_' ORDER BY 1")
            left = [name for (name,) in cur.fetchall()]
        conn.close()
        if left:
            raise SystemExit(f"test databases left on the server: {', '.join(left)}")
        return
    if args.command == "stop":
        pid, bindir = (args.workdir / "owner").read_text().split(" ", 1)
        pgserver._stop(bindir, args.workdir)
        return
    bindir = pgserver.find_bindir()
    if bindir is None:
        raise SystemExit("no PostgreSQL binaries: python -m pip install -r requirements-dev.txt")
    server, database = start(bindir)
    (server.workdir / "owner").write_text(f"{args.owner} {bindir}")
    for key, value in {**database.env(), "COMPOSELIKE_DIR": str(server.workdir)}.items():
        print(f"export {key}={shlex.quote(value)}")


if __name__ == "__main__":
    main()
