"""The hand-written retry and tenacity_policy give up at the same point: same calls, same waits.

A fake clock is injected on purpose (time passes only when the code sleeps or a call "takes" time), and the
jitter is seeded: both draw one random.uniform per failure, so the same seed must give the same waits.
"""
import random
import time

import pytest
import tenacity

from sessions.session3 import retry


class Clock:
    """time.monotonic and time.sleep on a fake clock; every call of the retried function takes call_s."""

    def __init__(self, mocker, call_s: float):
        self.now, self.call_s = 1000.0, call_s
        mocker.patch("time.monotonic", side_effect=lambda: self.now)
        mocker.patch("time.sleep", side_effect=self.sleep)

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds

    def trace(self, run):
        """Run `run(fn)` with a function that always fails transiently: (call start times, waits)."""
        self.now, self.sleeps, starts = 1000.0, [], []

        def fn():
            starts.append(self.now - 1000.0)
            self.now += self.call_s
            raise ConnectionResetError(104, "Connection reset by peer")  # transient per is_transient
        with pytest.raises((retry.RetryExhausted, tenacity.RetryError)):
            run(fn)
        return starts, self.sleeps


def by_hand(policy):
    return lambda fn: retry.call_with_retry(fn, policy=policy)


def with_tenacity(policy):
    return lambda fn: retry.tenacity_policy(policy)(fn)


POLICIES = [retry.RetryPolicy(),  # the pipeline's: 5 attempts, 0.2 s doubling to 5 s, 30 s
            retry.RetryPolicy(attempts=50, base_s=0.2, cap_s=1.0, max_total_s=3.0),  # the time runs out first
            retry.RetryPolicy(attempts=8, base_s=0.5, cap_s=4.0, max_total_s=6.0)]


@pytest.mark.parametrize("policy", POLICIES, ids=["default", "time-bound", "capped"])
@pytest.mark.parametrize("call_s", [0.0, 0.05])
def test_with_the_same_random_numbers_both_make_the_same_calls_and_waits(policy, call_s, mocker):
    clock = Clock(mocker, call_s)
    for seed in range(100):
        random.seed(seed)
        hand = clock.trace(by_hand(policy))
        random.seed(seed)
        lib = clock.trace(with_tenacity(policy))
        assert hand == lib, f"seed {seed}: by hand (starts, waits) {hand}, tenacity {lib}"
        assert hand[0][-1] < policy.max_total_s  # neither starts a call at or past the budget


def test_a_wait_that_would_end_exactly_at_the_budget_is_not_taken_by_either(mocker):
    mocker.patch("random.uniform", side_effect=lambda low, high: high)  # no jitter: always the longest wait
    clock = Clock(mocker, 0.0)
    policy = retry.RetryPolicy(attempts=5, base_s=0.5, cap_s=4.0, max_total_s=1.5)
    # failure 1 at 0 s: wait 0.5 s (ends at 0.5 < 1.5); failure 2 at 0.5 s: a 1.0 s wait would end AT 1.5 s
    assert clock.trace(by_hand(policy)) == clock.trace(with_tenacity(policy)) == ([0.0, 0.5], [0.5])


def test_stop_after_delay_would_sleep_past_the_budget_and_call_once_more(mocker):
    mocker.patch("random.uniform", side_effect=lambda low, high: high)
    clock = Clock(mocker, 0.0)
    policy = retry.RetryPolicy(attempts=50, base_s=0.5, cap_s=4.0, max_total_s=3.0)
    after_delay = tenacity.Retrying(retry=tenacity.retry_if_exception(retry.is_transient),
                                    stop=tenacity.stop_after_attempt(policy.attempts)
                                    | tenacity.stop_after_delay(policy.max_total_s),
                                    wait=tenacity.wait_random_exponential(multiplier=policy.base_s,
                                                                          max=policy.cap_s),
                                    sleep=lambda seconds: time.sleep(seconds))
    starts, waits = clock.trace(lambda fn: after_delay(fn))
    assert (starts, waits) == ([0.0, 0.5, 1.5, 3.5], [0.5, 1.0, 2.0])  # the 4th call starts 0.5 s past 3 s
    assert clock.trace(with_tenacity(policy)) == ([0.0, 0.5, 1.5], [0.5, 1.0])  # 1.5 + 2.0 >= 3: gives up
