"""Two guards around a student's fix while a right-hand test runs it.

* ``Delegation``: notices when the fix calls the reference fix it is meant to
  replace (a "fix" that only delegates does not count as fixed).
* ``TimeLimit``: stops a fix that hangs (a lock wait, a sleep, a loop without a
  bound) after a few seconds and says where it was, instead of a run that
  never ends.
"""
from __future__ import annotations

import signal
import sys
import threading
from pathlib import Path
from types import FrameType

import pytest

ROOT = Path(__file__).resolve().parent.parent


def where(frame: FrameType | None, files: set[str]) -> str:
    """'sessions/x/student/y.py:12 in fn' for the innermost frame in ``files`` (else the innermost)."""
    stack = []
    while frame is not None:
        stack.append(frame)
        frame = frame.f_back
    mine = [f for f in stack if f.f_code.co_filename in files] or stack[:1]
    if not mine:
        return "an unknown place"
    f = mine[0]
    path = Path(f.f_code.co_filename)
    base = next((b for b in (Path.cwd(), ROOT) if path.is_relative_to(b)), None)
    shown = path.relative_to(base).as_posix() if base else str(path)
    return f"{shown}:{f.f_lineno} in {f.f_code.co_name}"


class Delegation:
    """Records a call of one of ``references`` made, directly or not, from code in ``files``."""

    TOOL = 3  # a sys.monitoring tool id (0-5); 0, 1, 2 and 5 are the debugger, coverage, profiler, optimizer

    def __init__(self, references, files: set[str]):
        self.codes = {fn.__code__: f"{fn.__module__}.{fn.__qualname__}" for fn in references}
        self.files = files
        self.seen: list[str] = []

    def _check(self, code, frame: FrameType) -> None:
        caller = frame.f_back
        while caller is not None:
            if caller.f_code.co_filename in self.files:
                self.seen.append(f"{self.codes[code]} (called at {where(caller, self.files)})")
                return
            caller = caller.f_back

    def __enter__(self):
        monitoring = getattr(sys, "monitoring", None)
        if monitoring is not None:  # Python 3.12+: an event on the reference functions only, no cost elsewhere
            monitoring.use_tool_id(self.TOOL, "failurelab-delegation")
            monitoring.register_callback(self.TOOL, monitoring.events.PY_START,
                                         lambda code, offset: self._check(code, sys._getframe(1)))
            for code in self.codes:
                monitoring.set_local_events(self.TOOL, code, monitoring.events.PY_START)
        else:  # 3.11: a profile hook sees every call; it costs time, only while the test runs
            def profile(frame, event, arg):
                if event == "call" and frame.f_code in self.codes:
                    self._check(frame.f_code, frame)
            sys.setprofile(profile)
        return self

    def __exit__(self, *exc):
        monitoring = getattr(sys, "monitoring", None)
        if monitoring is not None:
            for code in self.codes:
                monitoring.set_local_events(self.TOOL, code, 0)
            monitoring.register_callback(self.TOOL, monitoring.events.PY_START, None)
            monitoring.free_tool_id(self.TOOL)
        else:
            sys.setprofile(None)
        return False

    def message(self) -> str | None:
        if not self.seen:
            return None
        return (f"not fixed yet: your fix calls the reference {self.seen[0]}; "
                "write the fix yourself instead of calling the code it is meant to replace")


class Hung(pytest.fail.Exception):
    """Raised into the test when the time limit passes (a BaseException: `except Exception` cannot swallow it)."""


class TimeLimit:
    """After ``seconds``: cancel the queries running in ``database``, then stop the test with ``Hung``."""

    def __init__(self, seconds: float, files: set[str], database=None):
        self.seconds, self.files, self.database = seconds, files, database
        self.fired: str | None = None
        self._timer = threading.Timer(seconds, self._fire)
        self._timer.daemon = True
        self._lock, self._done = threading.Lock(), False  # never signal once the test is over
        self._main = threading.main_thread()
        self._can_signal = hasattr(signal, "pthread_kill") and threading.current_thread() is self._main

    def _fire(self) -> None:
        with self._lock:
            if not self._done:
                self._stop()

    def _stop(self) -> None:
        frame = sys._current_frames().get(self._main.ident)
        self.fired = (f"your fix did not finish within {self.seconds:g} s and was stopped at "
                      f"{where(frame, self.files)}: a wait without a bound (a lock, a sleep, a retry loop)? "
                      "Give every wait a limit (pg_try_advisory_lock, lock_timeout, a deadline)")
        self._cancel_queries()
        if self._can_signal:
            signal.pthread_kill(self._main.ident, signal.SIGALRM)

    def _cancel_queries(self) -> None:
        """A query blocked in the server holds the test in C code: cancel it so Python can stop the test."""
        if self.database is None:
            return
        try:
            conn = self.database.connect(connect_timeout=5)
            conn.autocommit = True
            with conn.cursor() as cur:
                cur.execute("SELECT pg_cancel_backend(pid) FROM pg_stat_activity "
                            "WHERE datname = current_database() AND pid <> pg_backend_pid()")
            conn.close()
        except Exception:  # the test still fails with the message; the server may be gone
            pass

    def _alarm(self, signum, frame):
        raise Hung(self.fired or "time limit", pytrace=False)

    def __enter__(self):
        if self._can_signal:
            self._previous = signal.signal(signal.SIGALRM, self._alarm)
        self._timer.start()
        return self

    def __exit__(self, *exc):
        self._timer.cancel()
        try:
            with self._lock:
                self._done = True
        finally:  # a signal already sent still finds a handler: Python skips it once this is the default
            if self._can_signal:
                signal.signal(signal.SIGALRM, self._previous)
        return False
