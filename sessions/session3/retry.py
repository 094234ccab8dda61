"""Session 3, step 1: retry what is worth retrying, and only that, for a bounded time.

A retry is right for errors that are likely to go away by themselves (the server
restarted, a connection dropped, PostgreSQL chose this transaction as the victim
of a deadlock) and wrong for errors that will come back identically (a wrong
password, a syntax error, a duplicate key): retrying those only wastes time and
hides the real message. So errors are *classified* first, by exception class and
SQLSTATE; only transient ones are retried, with exponential backoff and full
jitter, for at most ``attempts`` tries AND at most ``max_total_s`` seconds.

Written by hand because it is the lesson; ``tenacity_policy`` below is the
same policy in the library production code would use: with the same random
numbers it makes the same calls and the same waits, and gives up at the same
point (tests/test_retry_tenacity.py). That takes ``stop_before_delay``, which
counts the next wait against the budget, as this loop does; ``stop_after_delay``
only looks at the time already spent, so it can sleep past the budget and
then call once more.
"""
from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import psycopg2
import tenacity

log = logging.getLogger("session3.retry")
T = TypeVar("T")

# SQLSTATEs worth a retry: the same statement can succeed a moment later.
TRANSIENT_SQLSTATES = {
    # 40001: another transaction won; redo ours. Only at REPEATABLE READ or SERIALIZABLE (and for a query a
    # hot standby cancels in a conflict with recovery): this pipeline runs at READ COMMITTED, where a
    # concurrent update waits for the other and then applies to the row's new version instead.
    "40001": "serialization_failure",
    "40P01": "deadlock_detected",       # PostgreSQL aborted us to break a deadlock
    "57P01": "admin_shutdown",          # the server is restarting (or our backend was terminated)
    "57P02": "crash_shutdown",
    "57P03": "cannot_connect_now",      # the server is starting up
    "53300": "too_many_connections",
    "08000": "connection_exception", "08001": "sqlclient_unable_to_establish_sqlconnection",
    "08003": "connection_does_not_exist", "08006": "connection_failure",
}
# Deliberately NOT transient: 57014 query_canceled (a statement_timeout). The same
# query on the same data will time out again and retrying multiplies the load;
# fix the query or raise the timeout instead.

# A failed *connection* has no SQLSTATE in psycopg2 (pgcode is None), whatever the
# cause. The server's message is then all there is: these causes are permanent.
PERMANENT_CONNECT_MESSAGES = ("password authentication failed", "no password supplied",
                              "does not exist", "no pg_hba.conf entry", "permission denied",
                              "invalid port number", "could not translate host name")


def one_line(err: BaseException) -> str:
    """'UniqueViolation [SQLSTATE 23505]: duplicate key value ...': class, SQLSTATE, first line."""
    code = getattr(err, "pgcode", None)
    first = (str(err).strip().splitlines() or [""])[0]
    return f"{type(err).__name__}" + (f" [SQLSTATE {code}]" if code else "") + f": {first}"


class RetryExhausted(Exception):
    """A transient error kept coming back until the attempts or the time ran out."""

    def __init__(self, what: str, attempts: int, elapsed_s: float, last: BaseException):
        self.attempts, self.elapsed_s, self.last = attempts, elapsed_s, last
        super().__init__(f"{what}: gave up after {attempts} attempts in {elapsed_s:.1f} s; "
                         f"last error: {one_line(last)}")


def is_transient(exc: BaseException) -> bool:
    """True when the same call may well succeed if tried again a little later."""
    code = getattr(exc, "pgcode", None)
    if code is not None:
        return code in TRANSIENT_SQLSTATES or code.startswith("08")
    if isinstance(exc, psycopg2.OperationalError):  # no SQLSTATE: a connection-level failure
        message = str(exc).lower()
        return not any(m in message for m in PERMANENT_CONNECT_MESSAGES)
    if isinstance(exc, psycopg2.InterfaceError):    # "connection already closed": reconnecting helps
        return True
    return isinstance(exc, (ConnectionError, TimeoutError))


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int = 5          # at most this many calls in all
    base_s: float = 0.2        # the first wait is up to this long ...
    cap_s: float = 5.0         # ... doubling each time up to this cap
    max_total_s: float = 30.0  # and never retry past this much time since the first call

    def __post_init__(self):
        if self.attempts < 1 or min(self.base_s, self.cap_s, self.max_total_s) < 0:
            raise ValueError(f"a retry policy needs attempts >= 1 and no negative times: {self}")

    def backoff(self, attempt: int) -> float:
        """Full jitter: a random wait in [0, min(cap, base * 2**(attempt-1))].

        Without jitter, every client that failed together retries together and
        knocks the recovering server over again (the thundering herd).
        """
        return random.uniform(0, min(self.cap_s, self.base_s * 2 ** (attempt - 1)))


def call_with_retry(fn: Callable[[], T], *, policy: RetryPolicy = RetryPolicy(), what: str = "call",
                    classify: Callable[[BaseException], bool] = is_transient) -> T:
    """Call ``fn`` until it succeeds; retry transient errors only, within the policy's bounds.

    A permanent error is re-raised at once, unchanged. When the bounds run out,
    ``RetryExhausted`` names the attempts and the last error, chained to it.
    """
    start = time.monotonic()
    for attempt in range(1, policy.attempts + 1):
        try:
            return fn()
        except Exception as err:
            if not classify(err):
                raise  # permanent: the next try would fail the same way
            elapsed = time.monotonic() - start
            delay = policy.backoff(attempt)
            # >= as tenacity's stop_before_delay: a wait that would end at (or past) the budget is not taken
            if attempt == policy.attempts or elapsed + delay >= policy.max_total_s:
                raise RetryExhausted(what, attempt, elapsed, err) from err
            log.warning(f"{what}: transient {type(err).__name__}, try {attempt + 1}/{policy.attempts} in {delay:.2f} s",
                        extra={"event": "retry", "what": what, "attempt": attempt, "delay_s": round(delay, 3),
                               "error": type(err).__name__, **({"batch_id": what} if what.startswith("day:") else {})})
            time.sleep(delay)
    raise AssertionError("unreachable: the loop returns or raises")


def tenacity_policy(policy: RetryPolicy = RetryPolicy()) -> tenacity.Retrying:
    """The same policy with tenacity, the library a production pipeline would use.

    ``Retrying(...)(fn)`` calls ``fn`` with it; ``reraise=False`` wraps the last
    error in ``tenacity.RetryError`` (its ``last_attempt`` holds the cause).
    tenacity computes the wait before it asks the stop, so ``stop_before_delay``
    sees the wait it would take (``seconds_since_start + upcoming_sleep >=
    max_delay``); ``wait_random_exponential`` is full jitter,
    ``random.uniform(0, min(max, multiplier * 2 ** (attempt - 1)))``, one random
    number per failure like ``RetryPolicy.backoff``.
    """
    return tenacity.Retrying(
        retry=tenacity.retry_if_exception(is_transient),
        # stop_before_delay (not stop_after_delay): give up instead of a wait that would end at or past the
        # budget; stop_after_delay(30) can sleep past 30 s and then call once more
        stop=tenacity.stop_after_attempt(policy.attempts) | tenacity.stop_before_delay(policy.max_total_s),
        wait=tenacity.wait_random_exponential(multiplier=policy.base_s, max=policy.cap_s),
        sleep=lambda seconds: time.sleep(seconds),  # looked up at call time, so tests can patch time.sleep
        reraise=False)
