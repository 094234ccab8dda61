"""Your fix for retry_exhaustion: bounded retries with backoff and jitter, and an error that tells the story.

Run: pytest --student sessions/session3 -k retry_exhaustion -s
"""
from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from sessions.session3.retry import RetryPolicy, is_transient

T = TypeVar("T")


def call_with_retry(fn: Callable[[], T], *, policy: RetryPolicy = RetryPolicy(), what: str = "call",
                    classify: Callable[[BaseException], bool] = is_transient) -> T:
    # TODO(retry_exhaustion): call fn() and return what it returns. On an exception that the
    # classify you are given calls permanent, re-raise it at once, unchanged. On one it calls
    # transient (any exception, not only psycopg2's), wait with time.sleep and try again, at most
    # policy.attempts calls in all, no wait after the last. The wait after the n-th failure is
    # full jitter: uniformly random over [0, min(cap_s, base_s * 2**(n-1))] (random.uniform, or
    # policy.backoff(n)). Give up instead of a wait that would end past policy.max_total_s since
    # the first call (time.monotonic; the calls' own time counts too). To give up, raise
    # sessions.session3.retry.RetryExhausted(what, calls made, seconds since the first call, err) from err.
    raise NotImplementedError("TODO(retry_exhaustion): write call_with_retry")
