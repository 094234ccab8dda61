"""Real network faults for network_timeout, made locally without root.

A *silent server* is a real listening TCP socket on 127.0.0.1 that never calls
accept(): the kernel completes the TCP handshake (the connection waits in the
listen backlog), so libpq's connect() succeeds at the TCP level and then waits
for an answer to its first packet that never comes. That is what a server
behind a dead VPN, a hung host or a black-holing firewall looks like to the job.

A *stalling proxy* relays a real connection to PostgreSQL until it is told to
stall: then it stops reading and writing, while its kernel goes on answering
TCP (ACKs, keepalive probes). That is a peer that is alive but stuck; a peer
that is gone (packets dropped) needs root to make (iptables), so it is not here.
"""
from __future__ import annotations

import select
import socket
import threading
from pathlib import Path


class SilentServer:
    """A port that accepts TCP connections and never says a word."""

    def __init__(self) -> None:
        self._sock = socket.create_server(("127.0.0.1", 0), backlog=16)  # loopback only
        self.host, self.port = self._sock.getsockname()
        self._timer: threading.Timer | None = None

    def close_after(self, seconds: float) -> None:
        """Stop a client that waits without a limit: closing the listener resets the connections in its backlog."""
        self._timer = threading.Timer(seconds, self.close)
        self._timer.daemon = True
        self._timer.start()

    def close(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
        self._sock.close()  # idempotent


class StallingProxy:
    """127.0.0.1:port -> target, one connection, relayed until stall() (then nothing moves, nothing closes)."""

    def __init__(self, host: str, port: int) -> None:
        self._target = (host, port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.host, self.port = self._listener.getsockname()
        self._stalled, self._stopped = threading.Event(), threading.Event()
        self._thread = threading.Thread(target=self._relay, daemon=True)
        self._thread.start()

    def stall(self) -> None:
        self._stalled.set()

    def resume(self) -> None:
        self._stalled.clear()

    def _relay(self) -> None:
        self._listener.settimeout(10)
        try:
            client, _ = self._listener.accept()
        except OSError:
            return
        with client, socket.create_connection(self._target, timeout=10) as server:
            other = {client: server, server: client}
            while not self._stopped.is_set():
                if self._stalled.is_set():
                    self._stopped.wait(0.02)
                    continue
                ready, _, _ = select.select(list(other), [], [], 0.02)
                for sock in ready:
                    data = sock.recv(65536)
                    if not data:
                        return
                    other[sock].sendall(data)

    def close(self) -> None:
        self._stopped.set()
        self._listener.close()
        self._thread.join(5)


def tcp_options(conn) -> dict[str, int]:
    """The keepalive and user-timeout options the kernel holds for conn's socket (what it will really do)."""
    sock = socket.socket(fileno=conn.fileno())  # the connection's own socket; detach() below leaves it open
    try:
        return {"keepalives": sock.getsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE),
                "keepalives_idle": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE),
                "keepalives_interval": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPINTVL),
                "keepalives_count": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_KEEPCNT),
                "tcp_user_timeout": sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT)}
    finally:
        sock.detach()


def can_read_tcp_options() -> bool:
    """Linux has all five options (TCP_USER_TIMEOUT is Linux-only); elsewhere the checks are skipped."""
    return all(hasattr(socket, name) for name in ("TCP_KEEPIDLE", "TCP_KEEPINTVL", "TCP_KEEPCNT", "TCP_USER_TIMEOUT"))


def system_keepalive_idle() -> int | None:
    """The kernel's default idle time before the first keepalive (Linux: 7200 s unless changed)."""
    path = Path("/proc/sys/net/ipv4/tcp_keepalive_time")
    return int(path.read_text()) if path.exists() else None
