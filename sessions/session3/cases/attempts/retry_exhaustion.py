"""Attempts at retry_exhaustion (spoilers): what students hand in, and the verdict due."""
import random
import secrets
import time
from time import monotonic, sleep

import tenacity

from failurelab.attempts import right, wrong
from sessions.session3.retry import RetryExhausted, RetryPolicy, is_transient


def _longest(policy, attempt):
    return min(policy.cap_s, policy.base_s * 2 ** (attempt - 1))


@right("random.random() scaled to the bound, time.perf_counter, a while loop")
class RandomRandom:
    def call_with_retry(fn, *, policy=RetryPolicy(), what="call", classify=is_transient):
        started, attempt = time.perf_counter(), 0
        while True:
            attempt += 1
            try:
                return fn()
            except Exception as err:
                if not classify(err):
                    raise
                spent = time.perf_counter() - started
                wait = random.random() * _longest(policy, attempt)
                if attempt >= policy.attempts or spent + wait > policy.max_total_s:
                    raise RetryExhausted(what, attempt, spent, err) from err
                time.sleep(wait)


@right("secrets.SystemRandom; gives up as soon as even the longest possible wait would not fit")
class ConservativeBudget:
    def call_with_retry(fn, *, policy=RetryPolicy(), what="call", classify=is_transient):
        rng = secrets.SystemRandom()
        start = time.monotonic()
        for attempt in range(1, policy.attempts + 1):
            try:
                return fn()
            except Exception as err:
                if not classify(err):
                    raise
                elapsed = time.monotonic() - start
                longest = _longest(policy, attempt)
                if attempt == policy.attempts or elapsed + longest > policy.max_total_s:
                    raise RetryExhausted(what, attempt, elapsed, err) from err
                time.sleep(rng.uniform(0, longest))
        raise AssertionError("unreachable")


class _Loop:
    """The reference's loop with the wait chosen by ``wait(policy, attempt)``."""

    @staticmethod
    def run(fn, policy, what, classify, wait):
        start = time.monotonic()
        for attempt in range(1, policy.attempts + 1):
            try:
                return fn()
            except Exception as err:
                if not classify(err):
                    raise
                elapsed = time.monotonic() - start
                delay = wait(policy, attempt)
                if attempt == policy.attempts or elapsed + delay > policy.max_total_s:
                    raise RetryExhausted(what, attempt, elapsed, err) from err
                time.sleep(delay)


@wrong("no jitter: every client waits 0.2, 0.4, 0.8 s ... and they all come back at the same moments",
       caught_by="full_jitter")
class NoJitter:
    def call_with_retry(fn, *, policy=RetryPolicy(), what="call", classify=is_transient):
        return _Loop.run(fn, policy, what, classify, _longest)


@wrong("equal jitter (half the bound plus a random half): never waits less than half, not full jitter",
       caught_by="full_jitter")
class EqualJitter:
    def call_with_retry(fn, *, policy=RetryPolicy(), what="call", classify=is_transient):
        return _Loop.run(fn, policy, what, classify,
                         lambda p, n: _longest(p, n) / 2 + random.uniform(0, _longest(p, n) / 2))


@wrong("jitter without the cap: the fourth wait may reach 1.6 s with cap_s=1.0", caught_by="full_jitter")
class JitterWithoutCap:
    def call_with_retry(fn, *, policy=RetryPolicy(), what="call", classify=is_transient):
        return _Loop.run(fn, policy, what, classify, lambda p, n: random.uniform(0, p.base_s * 2 ** (n - 1)))


@wrong("the exponent is off by one: the first wait is at most 0.1 s, half of base_s", caught_by="full_jitter")
class ExponentOffByOne:
    def call_with_retry(fn, *, policy=RetryPolicy(), what="call", classify=is_transient):
        return _Loop.run(fn, policy, what, classify,
                         lambda p, n: random.uniform(0, min(p.cap_s, p.base_s * 2 ** (n - 2))))


@wrong("retries every exception and ignores classify: a duplicate key is tried 5 times", caught_by="permanent_error")
class RetriesEveryError:
    def call_with_retry(fn, *, policy=RetryPolicy(), what="call", classify=is_transient):
        return _Loop.run(fn, policy, what, lambda err: True, RetryPolicy.backoff)


@wrong("asks is_transient instead of the classify it was given", caught_by="permanent_error")
class IgnoresTheClassifyArgument:
    def call_with_retry(fn, *, policy=RetryPolicy(), what="call", classify=is_transient):
        return _Loop.run(fn, policy, what, is_transient, RetryPolicy.backoff)


@wrong("bounded by attempts only: max_total_s is never looked at", caught_by="total_time")
class NoTimeBudget:
    def call_with_retry(fn, *, policy=RetryPolicy(), what="call", classify=is_transient):
        start = time.monotonic()
        for attempt in range(1, policy.attempts + 1):
            try:
                return fn()
            except Exception as err:
                if not classify(err):
                    raise
                if attempt == policy.attempts:
                    raise RetryExhausted(what, attempt, time.monotonic() - start, err) from err
                time.sleep(policy.backoff(attempt))


@wrong("checks the budget only after sleeping: the last wait runs past max_total_s", caught_by="total_time")
class ChecksTheBudgetAfterSleeping:
    def call_with_retry(fn, *, policy=RetryPolicy(), what="call", classify=is_transient):
        start = time.monotonic()
        for attempt in range(1, policy.attempts + 1):
            try:
                return fn()
            except Exception as err:
                if not classify(err):
                    raise
                if attempt == policy.attempts:
                    raise RetryExhausted(what, attempt, time.monotonic() - start, err) from err
                time.sleep(policy.backoff(attempt))
                if time.monotonic() - start > policy.max_total_s:
                    raise RetryExhausted(what, attempt, time.monotonic() - start, err) from err


@wrong("counts only the time spent waiting against max_total_s, not the time the calls take",
       caught_by="total_time")
class CountsOnlyTheWaits:
    def call_with_retry(fn, *, policy=RetryPolicy(), what="call", classify=is_transient):
        waited = 0.0
        for attempt in range(1, policy.attempts + 1):
            try:
                return fn()
            except Exception as err:
                if not classify(err):
                    raise
                delay = policy.backoff(attempt)
                if attempt == policy.attempts or waited + delay > policy.max_total_s:
                    raise RetryExhausted(what, attempt, waited, err) from err
                time.sleep(delay)
                waited += delay


@wrong("re-raises the raw last error: how many tries, for how long? nobody knows",
       caught_by="gives_up_within_bounds")
class ReraisesTheRawError:
    def call_with_retry(fn, *, policy=RetryPolicy(), what="call", classify=is_transient):
        start = time.monotonic()
        for attempt in range(1, policy.attempts + 1):
            try:
                return fn()
            except Exception as err:
                if not classify(err):
                    raise
                delay = policy.backoff(attempt)
                if attempt == policy.attempts or time.monotonic() - start + delay > policy.max_total_s:
                    raise
                time.sleep(delay)


@wrong("RetryExhausted raised without 'from err': the traceback loses the cause", caught_by="gives_up_within_bounds")
class NotChained:
    def call_with_retry(fn, *, policy=RetryPolicy(), what="call", classify=is_transient):
        start, last = time.monotonic(), None
        for attempt in range(1, policy.attempts + 1):
            try:
                return fn()
            except Exception as err:
                if not classify(err):
                    raise
                last = err
                delay = policy.backoff(attempt)
                if attempt == policy.attempts or time.monotonic() - start + delay > policy.max_total_s:
                    break
                time.sleep(delay)
        raise RetryExhausted(what, attempt, time.monotonic() - start, last)


@wrong("sleeps after the last failed attempt too: one wait for nothing before giving up",
       caught_by="gives_up_within_bounds")
class SleepsAfterTheLastAttempt:
    def call_with_retry(fn, *, policy=RetryPolicy(), what="call", classify=is_transient):
        start = time.monotonic()
        for attempt in range(1, policy.attempts + 1):
            try:
                return fn()
            except Exception as err:
                if not classify(err):
                    raise
                delay = policy.backoff(attempt)
                if time.monotonic() - start + delay > policy.max_total_s:
                    raise RetryExhausted(what, attempt, time.monotonic() - start, err) from err
                time.sleep(delay)
                if attempt == policy.attempts:
                    raise RetryExhausted(what, attempt, time.monotonic() - start, err) from err


@right("imports sleep and monotonic by name (from time import ...), recursion instead of a loop")
class ImportsByNameAndRecurses:
    def call_with_retry(fn, *, policy=RetryPolicy(), what="call", classify=is_transient):
        def attempt(n, start):
            try:
                return fn()
            except Exception as err:
                if not classify(err):
                    raise
                elapsed = monotonic() - start
                delay = random.uniform(0, min(policy.cap_s, policy.base_s * 2 ** (n - 1)))
                if n >= policy.attempts or elapsed + delay > policy.max_total_s:
                    raise RetryExhausted(what, n, elapsed, err) from err
                sleep(delay)
                return attempt(n + 1, start)
        return attempt(1, monotonic())


@right("tenacity: stop_after_attempt | stop_before_delay, wait_random_exponential; RetryError made RetryExhausted")
class WithTenacity:
    def call_with_retry(fn, *, policy=RetryPolicy(), what="call", classify=is_transient):
        start = time.monotonic()
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(classify),
            stop=tenacity.stop_after_attempt(policy.attempts) | tenacity.stop_before_delay(policy.max_total_s),
            wait=tenacity.wait_random_exponential(multiplier=policy.base_s, max=policy.cap_s))
        try:
            return retrying(fn)
        except tenacity.RetryError as gave_up:
            last = gave_up.last_attempt.exception()
            raise RetryExhausted(what, gave_up.last_attempt.attempt_number, time.monotonic() - start, last) from last


@wrong("tenacity with stop_after_delay: it looks at the clock after a wait, so the last wait runs past max_total_s",
       caught_by="total_time")
class TenacityStopAfterDelay:
    def call_with_retry(fn, *, policy=RetryPolicy(), what="call", classify=is_transient):
        start = time.monotonic()
        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(classify),
            stop=tenacity.stop_after_attempt(policy.attempts) | tenacity.stop_after_delay(policy.max_total_s),
            wait=tenacity.wait_random_exponential(multiplier=policy.base_s, max=policy.cap_s))
        try:
            return retrying(fn)
        except tenacity.RetryError as gave_up:
            last = gave_up.last_attempt.exception()
            raise RetryExhausted(what, gave_up.last_attempt.attempt_number, time.monotonic() - start, last) from last
