"""The throwaway server starts, fails clearly, and never outlives its run."""
import socket
import subprocess
import sys

import pytest

from failurelab import pgserver
from failurelab.database import PROVIDER


@pytest.fixture
def bindir(pytestconfig):
    found = pytestconfig.stash[PROVIDER].bindir
    if found is None:
        pytest.skip("needs local PostgreSQL server binaries (not an existing server)")
    return found


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
