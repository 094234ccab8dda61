"""The pipelines' local PostgreSQL: started on first use, data kept, managed by `python -m failurelab db`.

Every server here lives in a folder of its own (FAILURELAB_LOCALDB), never the
repository's, where the throwaway server lives too: as root the server runs as
an unprivileged account, which cannot enter pytest's tmp_path (mode 0700).
"""
import errno
import os
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg2
import pytest

from failurelab import localdb, pgserver, sampledata
from sessions.session1 import config

ROOT = Path(__file__).resolve().parents[2]


def postmasters(where: Path) -> list[str]:
    """Command lines of processes still serving `where` (Linux: /proc; elsewhere this finds none)."""
    found = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            text = cmdline.read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue  # it ended meanwhile
        if f"{where}/data" in text:
            found.append(text)
    return found


def new_folder() -> Path:
    if pgserver.find_bindir() is None:
        pytest.skip("needs local PostgreSQL server binaries")
    return Path(tempfile.mkdtemp(prefix="failurelab-localdb-test-", dir=pgserver.base_dirs()[0]))  # chowned as root


def remove(where: Path) -> None:
    localdb.destroy(where)
    shutil.rmtree(where, ignore_errors=True)  # made by new_folder(): gone unless a test failed before destroying it
    assert postmasters(where) == [], "a local server outlived its test"


@pytest.fixture(scope="module")
def shared_folder():
    """One local server folder for this module's pipeline runs (started by the first of them)."""
    where = new_folder()
    yield where
    remove(where)


@pytest.fixture
def no_settings(tmp_path, monkeypatch):
    """A process environment without DB_*, in a working directory without .env."""
    for key in [k for k in os.environ if k.startswith("DB_")]:
        monkeypatch.delenv(key)
    monkeypatch.chdir(tmp_path)
    return {**os.environ, "PYTHONPATH": str(ROOT)}


def run(*args: str, env: dict, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], env=env, cwd=cwd, capture_output=True, text=True, timeout=120)


def test_the_db_command_creates_stops_keeps_the_data_moves_off_a_taken_port_and_destroys(no_settings, tmp_path):
    where = new_folder()
    env = {**no_settings, localdb.ENV_VAR: str(where)}
    db = lambda *args: run("failurelab", "db", *args, env=env, cwd=tmp_path)  # noqa: E731
    try:
        never = db("status")
        assert never.returncode == 3 and never.stdout.startswith(f"no local PostgreSQL in {where} yet")
        started = db("start")
        assert started.returncode == 0, started.stderr
        assert f"using the local PostgreSQL in {where}, 127.0.0.1:" in started.stdout
        assert "(created, started now; python -m failurelab db status)" in started.stdout
        password = (where / "password").read_text()
        assert (where / "password").stat().st_mode & 0o777 == 0o600
        made = db("psql", "-v", "ON_ERROR_STOP=1", "-c", "CREATE TABLE kept AS SELECT 42 AS answer")
        assert made.returncode == 0, made.stderr
        stopped = db("stop")
        assert stopped.stdout == f"stopped; its data stays in {where}\n" and postmasters(where) == []
        status = db("status")
        assert status.returncode == 3 and "stopped, its data kept" in status.stdout
        port = localdb.state(where)["port"]
        with socket.socket() as squatter:  # another program took its port meanwhile
            # SO_REUSEADDR: the stopped server's closed connections may still hold the port in TIME_WAIT
            squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                squatter.bind(("127.0.0.1", port))
                squatter.listen()
            except OSError as err:  # another process (a parallel test's server) really took it: the same scene
                if err.errno != errno.EADDRINUSE:
                    raise
            again = db("start")
        assert again.returncode == 0, again.stderr
        moved = localdb.state(where)["port"]
        assert moved != port and f"(started now; port {port} was taken, so now on {moved};" in again.stdout
        answer = db("psql", "-At", "-c", "SELECT answer FROM kept")
        assert (answer.returncode, answer.stdout) == (0, "42\n"), answer.stderr
        status = db("status")
        assert status.returncode == 0 and f"running on 127.0.0.1:{moved}" in status.stdout
        refused = db("destroy")
        assert refused.returncode == 1 and "--yes" in refused.stdout and where.exists()
        destroyed = db("destroy", "--yes")
        assert destroyed.stdout == f"deleted {where}\n" and not where.exists() and postmasters(where) == []
        said = [r.stdout + r.stderr for r in (started, made, stopped, status, again, answer, refused, destroyed)]
        assert not any(password in text for text in said), "the password was printed"
    finally:
        remove(where)


def test_a_session_cli_runs_with_no_settings_on_the_local_server_started_on_first_use(no_settings, shared_folder,
                                                                                      tmp_path):
    env = {**no_settings, localdb.ENV_VAR: str(shared_folder)}
    source = sampledata.write_csv(sampledata.generate(300), tmp_path / "retail.csv")
    ingest = run("sessions.session1.ingest", str(source), env=env, cwd=tmp_path)
    assert ingest.returncode == 0, ingest.stderr
    assert ingest.stdout.startswith("retail.csv") and "read 300, loaded " in ingest.stdout
    using = [line for line in ingest.stderr.splitlines() if line.startswith("using the local PostgreSQL in ")]
    assert len(using) == 1 and str(shared_folder) in using[0], ingest.stderr
    transform = run("sessions.session2.transform", env=env, cwd=tmp_path)  # finds it running: no start
    assert transform.returncode == 0, transform.stderr
    assert transform.stderr.startswith(f"using the local PostgreSQL in {shared_folder}") and \
        "started now" not in transform.stderr
    settings = localdb.settings(shared_folder)
    with psycopg2.connect(host=settings["DB_HOST"], port=settings["DB_PORT"], dbname="retail_db",
                          user=settings["DB_USER"], password=settings["DB_PASSWORD"]) as conn, conn.cursor() as cur:
        cur.execute("SELECT (SELECT count(*) FROM bronze.raw_transactions) + "
                    "(SELECT count(*) FROM bronze.rejected_rows)")
        assert cur.fetchone()[0] == 300
    conn.close()


def test_load_config_or_local_uses_the_local_server_only_when_no_connection_setting_is_set(
        no_settings, shared_folder, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(localdb.ENV_VAR, str(shared_folder))
    monkeypatch.setenv("DB_STATEMENT_TIMEOUT_MS", "4321")  # names no server: still applies
    settings = config.load_config_or_local()
    assert (settings.host, settings.dbname, settings.user, settings.statement_timeout_ms) == (
        "127.0.0.1", "retail_db", "lab", 4321)
    assert capsys.readouterr().err.startswith(f"using the local PostgreSQL in {shared_folder}, 127.0.0.1:")
    conn = settings.connect()
    conn.close()


def test_db_settings_in_the_environment_or_in_dotenv_win_and_a_partial_set_is_still_an_error(
        db_env, tmp_path, monkeypatch, capsys):
    never = tmp_path / "never"  # were the local server used, it would be made here
    monkeypatch.setenv(localdb.ENV_VAR, str(never))
    monkeypatch.chdir(tmp_path)
    assert config.load_config_or_local().dbname == db_env["DB_NAME"]
    for key in db_env:
        monkeypatch.delenv(key)
    (tmp_path / ".env").write_text("".join(f"{k}={v}\n" for k, v in db_env.items()))
    assert config.load_config_or_local().dbname == db_env["DB_NAME"]
    (tmp_path / ".env").write_text("DB_USER=\n")  # named, even empty: a server was meant, and it is incomplete
    with pytest.raises(config.ConfigError, match=r"^missing required settings: DB_HOST, DB_PORT, DB_NAME, DB_USER, "
                                                 r"DB_PASSWORD; set them in the environment or in \.env"):
        config.load_config_or_local()
    (tmp_path / ".env").unlink()
    monkeypatch.setenv("DB_HOST", db_env["DB_HOST"])
    with pytest.raises(config.ConfigError,
                       match=r"^missing required settings: DB_PORT, DB_NAME, DB_USER, DB_PASSWORD;"):
        config.load_config_or_local()
    assert not never.exists() and capsys.readouterr().err == ""


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0,
                    reason="only root runs the server as another account")
def test_as_root_a_folder_the_server_account_cannot_reach_is_refused_with_what_to_do(no_settings, tmp_path,
                                                                                    monkeypatch):
    if pgserver.find_bindir() is None:
        pytest.skip("needs local PostgreSQL server binaries")
    monkeypatch.setenv(localdb.ENV_VAR, str(tmp_path / "pgdata"))  # pytest's tmp_path: mode 0700, root's
    with pytest.raises(config.ConfigError, match=r"^no DB_\* settings, and could not create the local PostgreSQL in "
                                                 r".*Permission denied.*; the server runs as '\w+', which cannot "
                                                 r"reach this folder: set FAILURELAB_LOCALDB to a folder it can"):
        config.load_config_or_local()
    assert postmasters(tmp_path / "pgdata") == []
