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
    # TODO(retry_exhaustion): call fn(); on an error that classify() calls permanent, re-raise it
    # at once. On a transient one, wait policy.backoff(attempt) with time.sleep (full jitter:
    # random.uniform(0, min(cap, base * 2**(attempt-1)))) and try again, at most policy.attempts
    # calls; give up instead of a wait that would end past policy.max_total_s since the first
    # call (time.monotonic). Then raise
    # sessions.session3.retry.RetryExhausted(what, attempts, elapsed, err) from err.
    raise NotImplementedError("TODO(retry_exhaustion): write call_with_retry")
