"""The run's lock: taken before the input is read, on a named connection with keepalives at both ends."""
import re
import shutil
import socket
import subprocess
import time
from pathlib import Path

import pytest

from failurelab import sampledata
from sessions.session1 import reader
from sessions.session3 import lock, pipeline
from sessions.session3.sample import few_days

HOLDER = """SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a USING (pid)
             WHERE l.locktype = 'advisory' AND l.granted AND l.objid = %s AND a.datname = current_database()"""


def lock_holder_name(db) -> list[str]:
    conn = db.connect()
    try:
        with conn.cursor() as cur:
            cur.execute(HOLDER, (lock.LOCK_KEY,))
            return [row[0] for row in cur.fetchall()]
    finally:
        conn.close()


def test_a_second_run_exits_before_reading_its_input_naming_the_holder(db_env, settings, tmp_path, mocker, capsys):
    source = sampledata.write_csv(few_days(), tmp_path / "days.csv")
    holder = lock.connect(settings)
    try:
        lock.acquire_lock(holder)
        pid = holder.get_backend_pid()
        read = mocker.spy(reader, "read_source")
        started = time.monotonic()
        assert pipeline.main([str(source)]) == 3
        took = time.monotonic() - started
        err = capsys.readouterr().err
    finally:
        holder.close()
    assert read.call_count == 0, "the second run read its input before it tried the lock"
    assert re.search(rf"held by backend pid {pid} \(failurelab-session3, connected since", err)
    assert took < 2.0  # connect, try the lock, exit (noisy machine: the real-data read alone takes 3-4 s)


def test_pg_stat_activity_names_the_running_pipeline_failurelab_session3(db, settings, batches):
    seen = []
    pipeline.run_batches(settings, batches[:1], progress=lambda line: seen.extend(lock_holder_name(db)))
    assert seen == ["failurelab-session3"]  # not session 1's name: the holder is this pipeline


def server_side_keepalive_s(server_port: int, client_port: int) -> float | None:
    """The keepalive timer of the server's end of one TCP connection, as `ss` shows it (None: not seen)."""
    flt = f"( sport = :{server_port} and dport = :{client_port} )"
    out = subprocess.run(["ss", "-tno", "state", "established", flt], capture_output=True, text=True, check=True).stdout
    found = re.search(r"timer:\(keepalive,(?:(\d+)min)?(?:(\d+(?:\.\d+)?)sec)?(?:(\d+)ms)?", out)
    if not found:
        return None
    minutes, seconds, ms = (float(g or 0) for g in found.groups())
    return minutes * 60 + seconds + ms / 1000


def test_the_lock_connection_asks_client_and_server_for_keepalives(settings, db):
    conn = lock.connect(settings)
    try:
        params = conn.get_dsn_parameters()
        with conn.cursor() as cur:
            cur.execute("SELECT current_setting('tcp_keepalives_idle'), current_setting('tcp_keepalives_interval'),"
                        " current_setting('tcp_keepalives_count'), current_setting('application_name')")
            server = cur.fetchone()
        conn.commit()
        assert {k: params[k] for k in lock.CLIENT_KEEPALIVES} == {k: str(v) for k, v in lock.CLIENT_KEEPALIVES.items()}
        if settings.host.startswith("/"):
            pytest.skip("a Unix-domain socket has no TCP keepalives")
        assert server == ("30", "10", "3", "failurelab-session3")
        if shutil.which("ss") is None or settings.host not in ("127.0.0.1", "localhost"):
            return  # the server's socket can be looked at only on this machine
        with socket.socket(fileno=conn.fileno()) as sock:
            client_port = sock.getsockname()[1]
            sock.detach()  # the socket stays libpq's
        plain = db.connect()  # what every other connection gets: the OS's timings (Linux: 7200 s)
        with socket.socket(fileno=plain.fileno()) as sock:
            plain_port = sock.getsockname()[1]
            sock.detach()
        timers = {}
        for _ in range(20):  # the timer shows once the connection is idle
            timers = {"lock": server_side_keepalive_s(settings.port, client_port),
                      "plain": server_side_keepalive_s(settings.port, plain_port)}
            if None not in timers.values():
                break
            time.sleep(0.05)
        plain.close()
        if timers == {"lock": None, "plain": None}:
            pytest.skip("the server's sockets are not on this machine (e.g. a server in a container)")
        assert timers["lock"] is not None and timers["lock"] <= 30, timers
        assert timers["plain"] is not None and timers["plain"] > 60, timers
        os_default = Path("/proc/sys/net/ipv4/tcp_keepalive_time")
        if os_default.exists():  # the OS's own: 7200 s unless someone changed it
            assert abs(timers["plain"] - int(os_default.read_text())) <= 60, timers  # ss rounds to minutes
    finally:
        conn.close()
