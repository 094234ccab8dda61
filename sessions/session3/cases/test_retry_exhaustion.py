"""Retries that never end, or end without saying why.

Scenario:
    A batch keeps failing with a transient error: PostgreSQL reports a
    serialization failure (40001) again and again, because another job
    updates the same rows all the time. The naive loader retries in a loop.
Why:
    A retry loop without bounds spins forever and hides the outage; one with a
    fixed count that re-raises the raw error loses the story (how many tries,
    for how long) and, with a fixed pause, makes every client retry at the
    same moment, hammering the server just as it tries to recover.
Fix:
    Retry transient errors only, with exponential backoff and full jitter (a
    random wait of up to 0.2 s, then up to 0.4 s, 0.8 s and so on, capped),
    bounded by attempts AND by total time. When the bounds run out, raise one error naming what failed,
    the attempts, the time and the last cause, chained with raise ... from.
"""
import time

import psycopg2
import pytest
import tenacity

from sessions.session3 import retry

pytestmark = pytest.mark.failure_case("infrastructure", fix=retry.call_with_retry)


def naive_retry(fn, tries=5):
    for attempt in range(tries):
        try:
            return fn()
        except psycopg2.Error:
            if attempt == tries - 1:
                raise  # the raw error: how many tries? for how long? nobody knows
            time.sleep(1)  # the same pause for every client: they all come back together


def test_wrong_retry_exhaustion_reraises_the_raw_error_after_fixed_pauses(serialization_failure, mocker, failure):
    sleep = mocker.patch("time.sleep")
    load_day = mocker.Mock(side_effect=serialization_failure)  # the real 40001, injected on every call
    with failure.expect(psycopg2.errors.SerializationFailure, pgcode="40001",
                        match=r"^could not serialize access due to concurrent update"):
        naive_retry(load_day)
    assert load_day.call_count == 5
    assert [c.args for c in sleep.call_args_list] == [(1,)] * 4  # lockstep, no backoff, no jitter


def test_right_retry_exhaustion_gives_up_within_bounds_naming_attempts_and_cause(serialization_failure, mocker,
                                                                               solution):
    sleep = mocker.patch("time.sleep")
    mocker.patch("random.uniform", side_effect=lambda low, high: high)  # the longest wait jitter may pick
    load_day = mocker.Mock(side_effect=serialization_failure)
    with pytest.raises(retry.RetryExhausted) as raised:
        solution.call_with_retry(load_day, policy=retry.RetryPolicy(attempts=5, base_s=0.2, cap_s=1.0),
                                 what="load day:2010-12-01")
    assert raised.match(r"^load day:2010-12-01: gave up after 5 attempts in \d+\.\d s; last error: "
                        r"SerializationFailure \[SQLSTATE 40001\]: could not serialize access due to concurrent "
                        r"update$")
    assert raised.value.__cause__ is serialization_failure and raised.value.attempts == 5
    assert [c.args[0] for c in sleep.call_args_list] == [0.2, 0.4, 0.8, 1.0]  # doubling, capped


def test_right_retry_exhaustion_total_time_bounds_it_too(serialization_failure, mocker, solution):
    clock = [1000.0]  # a fake clock that the (patched) sleeps advance, so the waits count as time spent
    sleep = mocker.patch("time.sleep", side_effect=lambda s: clock.__setitem__(0, clock[0] + s))
    mocker.patch("time.monotonic", side_effect=lambda: clock[0])
    mocker.patch("random.uniform", side_effect=lambda low, high: high)
    load_day = mocker.Mock(side_effect=serialization_failure)
    with pytest.raises(retry.RetryExhausted, match=r"gave up after 3 attempts in 0\.6 s"):
        solution.call_with_retry(load_day, policy=retry.RetryPolicy(attempts=10, base_s=0.2, max_total_s=1.0))
    # waited 0.2 + 0.4 s; the next wait (0.8 s) would end at 1.4 s, past the 1.0 s budget: give up now
    assert [c.args[0] for c in sleep.call_args_list] == [0.2, 0.4]


def test_right_retry_exhaustion_a_transient_error_that_clears_succeeds(serialization_failure, mocker, solution):
    sleep = mocker.patch("time.sleep")
    load_day = mocker.Mock(side_effect=[serialization_failure, serialization_failure, "loaded"])
    assert solution.call_with_retry(load_day) == "loaded"
    assert load_day.call_count == 3 and sleep.call_count == 2


def test_right_retry_exhaustion_tenacity_is_the_production_equivalent(serialization_failure, mocker, solution):
    sleep = mocker.patch("time.sleep")
    load_day = mocker.Mock(side_effect=serialization_failure)
    with pytest.raises(tenacity.RetryError) as raised:
        retry.tenacity_policy(retry.RetryPolicy(attempts=5))(load_day)
    assert raised.value.last_attempt.exception() is serialization_failure
    assert load_day.call_count == 5 and sleep.call_count == 4
    sleep.reset_mock()
    by_hand = mocker.Mock(side_effect=serialization_failure)
    with pytest.raises(retry.RetryExhausted, match=r"gave up after 5 attempts"):
        solution.call_with_retry(by_hand, policy=retry.RetryPolicy(attempts=5))
    assert by_hand.call_count == 5 and sleep.call_count == 4  # the same bounds, by hand
