"""The pipelines' own PostgreSQL: persistent, in ``.failurelab/pgdata``, started on first use.

With no DB_* connection setting at all, the sessions' CLIs use it
(``sessions.session1.config.load_config_or_local``): a fresh clone runs a
pipeline with nothing to configure. It is the tests' throwaway server made to
last: the same binaries, initdb and options (``pgserver``: scram-sha-256 on
127.0.0.1 only; as root, run as an unprivileged account), but durable, kept
until ``python -m failurelab db destroy``. ``FAILURELAB_LOCALDB`` names another
folder. In it: ``data/`` (the cluster), ``password`` (generated once, mode 0600,
never printed), ``state.json`` (its port, kept while free, and its binaries).
"""
from __future__ import annotations

import fcntl
import json
import os
import secrets
import shutil
import socket
import subprocess
from contextlib import contextmanager
from pathlib import Path

import psycopg2

from failurelab import pgserver

ENV_VAR = "FAILURELAB_LOCALDB"
DEFAULT = Path(__file__).resolve().parent.parent / ".failurelab" / "pgdata"  # .gitignore has .failurelab/
DBNAME = "retail_db"
# The tests' options with durability back on: this data is meant to outlive a power cut.
SETTINGS = {**pgserver.SERVER_SETTINGS, "fsync": "on", "synchronous_commit": "on", "full_page_writes": "on",
            "log_min_messages": "warning"}
NO_BINARIES = ("no PostgreSQL server binaries found for the local server: install them (Debian/Ubuntu: apt install "
               "postgresql; macOS: brew install postgresql@16), or set DB_* to a server you have (docs/setup.md)")


class LocalDbError(RuntimeError):
    """The local server cannot be created or started; the message says why."""


def folder() -> Path:
    return Path(os.environ.get(ENV_VAR) or DEFAULT).absolute()


def shown(path: Path) -> str:
    """``path`` as the user reads it: relative to the working directory when it is inside it."""
    return str(path.relative_to(Path.cwd())) if path.is_relative_to(Path.cwd()) else str(path)


def state(where: Path) -> dict:
    saved = where / "state.json"
    return json.loads(saved.read_text()) if saved.exists() else {}


def _pg(where: Path, program: str) -> str:
    """A program of the binaries that made the cluster (a cluster needs its own major version)."""
    return os.path.join(state(where).get("bindir", ""), program)


def created(where: Path) -> bool:
    return (where / "data" / "PG_VERSION").exists()


def running(where: Path) -> bool:
    pg_ctl = _pg(where, "pg_ctl")
    return created(where) and os.access(pg_ctl, os.X_OK) and \
        pgserver._run(pg_ctl, "status", "-D", str(where / "data"), check=False).returncode == 0


def settings(where: Path) -> dict[str, str]:
    """The DB_* settings of the local server (the password read from its file)."""
    return {"DB_HOST": "127.0.0.1", "DB_PORT": str(state(where)["port"]), "DB_NAME": DBNAME,
            "DB_USER": pgserver.SUPERUSER, "DB_PASSWORD": (where / "password").read_text()}


@contextmanager
def _locked(where: Path):
    """One creator/starter at a time: two pipelines started together must not both run initdb."""
    where.mkdir(parents=True, exist_ok=True)
    with open(where / "lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def _failed(what: str, where: Path, why: list[str], err: Exception, hint: str = "") -> LocalDbError:
    """One line: what failed, where, and the last words of the program (or its log) that said why."""
    why = " / ".join(why or [str(err)])
    return LocalDbError(f"could not {what} the local PostgreSQL in {shown(where)}: {why}{hint}")


def _create(where: Path) -> None:
    bindir = pgserver.find_bindir()
    if bindir is None:
        raise LocalDbError(NO_BINARIES)
    shutil.rmtree(where / "data", ignore_errors=True)  # what a failed first try left
    password = secrets.token_urlsafe(18)
    with os.fdopen(os.open(where / "password", os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600), "w") as out:
        out.write(password)
    os.chmod(where / "password", 0o600)  # also when an earlier try left the file
    server = pgserver.ThrowawayServer(bindir, password=password, workdir=where, settings=SETTINGS)
    try:
        server._initdb()  # the tests' initdb: scram-sha-256, the lab superuser; as root, chowns `where` first
        pgserver._run(os.path.join(bindir, "initdb"), "--sync-only", "-D", str(where / "data"))  # it used --no-sync
    except PermissionError as err:  # the server's account cannot run the binaries (e.g. a venv in a 0700 dir)
        raise _failed("create", where, [], err) from None
    except subprocess.CalledProcessError as err:
        account = pgserver._run_as()
        hint = (f"; the server runs as '{account.pw_name}', which cannot reach this folder: set {ENV_VAR} to a "
                f"folder it can reach, e.g. {ENV_VAR}=/var/tmp/failurelab-pgdata") \
            if account and "Permission denied" in (err.stderr or "") else ""
        raise _failed("create", where, (err.stderr or "").strip().splitlines()[-1:], err, hint) from None
    (where / "state.json").write_text(json.dumps({"bindir": bindir, "port": None}))


def _start(where: Path) -> str:
    """Start it on its port, or on a free one when that is taken; what happened, in a few words."""
    bindir, wanted = state(where)["bindir"], state(where)["port"]
    if not os.access(_pg(where, "pg_ctl"), os.X_OK):
        raise LocalDbError(f"the local PostgreSQL in {shown(where)} was made by the binaries in {bindir}, which are "
                           "gone: python -m failurelab db destroy --yes, and the next run makes a new one")
    server = pgserver.ThrowawayServer(bindir, password="", workdir=where, settings=SETTINGS)
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", wanted or 0))
            server.port = probe.getsockname()[1]  # its own port while free, else a free one
        except OSError:
            pass  # taken: keep the free one ThrowawayServer chose
    for attempt in range(3):
        try:
            server._pg_ctl_start()
            break
        except subprocess.CalledProcessError as err:
            if attempt == 2 or "could not create any TCP/IP sockets" not in " ".join(server._log_tail()):
                raise _failed("start", where, server._log_tail(), err) from None
            server.port = pgserver.free_port()  # taken since it was chosen
    (where / "state.json").write_text(json.dumps({"bindir": bindir, "port": server.port}))
    return f"started now; port {wanted} was taken, so now on {server.port}" if wanted not in (None, server.port) \
        else "started now"


def ensure() -> tuple[dict[str, str], str]:
    """Start the local server if it is not running, creating it and retail_db on first use.

    Returns its DB_* settings and the one line the CLIs print (without the password).
    """
    where, news = folder(), []
    with _locked(where):
        if not created(where):
            _create(where)
            news.append("created")
        if not running(where):
            news.append(_start(where))
        env = settings(where)
        conn = psycopg2.connect(host=env["DB_HOST"], port=env["DB_PORT"], dbname="postgres", user=env["DB_USER"],
                                password=env["DB_PASSWORD"], connect_timeout=5)
        try:
            conn.autocommit = True  # CREATE DATABASE cannot run inside a transaction block
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", (DBNAME,))
                if cur.fetchone() is None:
                    cur.execute(f"CREATE DATABASE {DBNAME}")
        finally:
            conn.close()
    return env, (f"using the local PostgreSQL in {shown(where)}, 127.0.0.1:{env['DB_PORT']}/{DBNAME} "
                 f"({', '.join(news) + '; ' if news else ''}python -m failurelab db status)")


def describe(where: Path) -> str:
    """What `db status` prints: where it is, whether it runs, how to reach it (never the password)."""
    if not created(where):
        return (f"no local PostgreSQL in {shown(where)} yet: a pipeline run without DB_* settings, or "
                "python -m failurelab db start, creates it")
    if not running(where):
        return f"local PostgreSQL in {shown(where)}: stopped, its data kept (python -m failurelab db start)"
    bindir = state(where)["bindir"]
    return (f"local PostgreSQL in {shown(where)}: running on 127.0.0.1:{state(where)['port']}, PostgreSQL "
            f"{pgserver.server_version(bindir)} from {bindir}\n  database {DBNAME}, user {pgserver.SUPERUSER}, "
            f"password in {shown(where / 'password')}\n  python -m failurelab db psql | stop | destroy --yes")


def psql(where: Path, args: list[str]) -> subprocess.CompletedProcess:
    """psql (the server's own, else the PATH's) on retail_db; the password in PGPASSWORD, never in its arguments."""
    env = settings(where)
    binary = _pg(where, "psql") if os.access(_pg(where, "psql"), os.X_OK) else shutil.which("psql")
    if binary is None:
        raise LocalDbError(f"no psql in {state(where)['bindir']} nor on the PATH")
    return subprocess.run([binary, "-h", env["DB_HOST"], "-p", env["DB_PORT"], "-U", env["DB_USER"], "-d", DBNAME,
                           *args], env={**os.environ, "PGPASSWORD": env["DB_PASSWORD"]})


def stop(where: Path) -> bool:
    """Stop it (fast: sessions end, the data is checkpointed and kept); False when it was not running."""
    if not running(where):
        return False
    pgserver._run(_pg(where, "pg_ctl"), "stop", "-m", "fast", "-w", "-D", str(where / "data"))
    return True


def destroy(where: Path) -> bool:
    """Stop it and delete the folder with its data; False when there was none."""
    if not where.exists():
        return False
    stop(where)
    shutil.rmtree(where)
    return True
