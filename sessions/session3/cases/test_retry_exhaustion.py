"""Retries that never end, or end without saying why.

Scenario:
    A batch runs at REPEATABLE READ (it needs one snapshot for the whole day)
    and keeps failing with a transient error: PostgreSQL reports a
    serialization failure (40001) again and again, because another job
    updates the same rows all the time. The naive loader retries in a loop.
    (At READ COMMITTED, PostgreSQL's default and this pipeline's level, the
    update would wait for the other job and then apply: no 40001.)
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
Hints:
    - Ask the classify you are given, not your own idea of transient, and
      re-raise a permanent error as it is.
    - Two bounds: attempts and seconds since the first call. Decide about the
      next wait before you sleep: a wait that would end past the budget is
      the moment to give up.
    - Full jitter is random.uniform(0, the capped exponential bound), not the
      bound itself nor half of it plus noise; and the final error is
      RetryExhausted(...) raised from the last one.
"""
import time

import psycopg2
import pytest
import tenacity

from failurelab.expect import must_raise
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


class FakeClock:
    """A clock injection: time passes only when the code sleeps (or a call takes `call_s`), and nobody waits.

    time.sleep, time.monotonic, time.perf_counter and time.time all read and advance the same fake time, also
    where the fix imported them by name (from time import sleep, monotonic).
    """

    def __init__(self, mocker, solution, call_s: float = 0.0):
        self.now, self.call_s, self.sleeps, self.call_starts = 1000.0, call_s, [], []
        fakes = {"sleep": self.sleep, **{name: lambda: self.now for name in ("monotonic", "perf_counter", "time")},
                 **{f"{name}_ns": lambda: int(self.now * 1e9) for name in ("monotonic", "perf_counter", "time")}}
        originals = {getattr(time, name): fake for name, fake in fakes.items()}
        for name, fake in fakes.items():
            mocker.patch(f"time.{name}", side_effect=fake)
        for fn in vars(solution).values():  # `from time import sleep` in the fix's module: patch its names too
            names = getattr(fn, "__globals__", {})
            mocker.patch.dict(names, {k: fake for k, v in list(names.items())
                                      for original, fake in originals.items() if v is original})

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += max(seconds, 0)

    def failing(self, error):
        """A callable that takes call_s of fake time and then fails with `error`, every time."""
        def call():
            self.call_starts.append(self.now)
            self.now += self.call_s
            raise error
        return call


def bound(n: int, policy: retry.RetryPolicy) -> float:
    """The longest wait full jitter may pick after the n-th failed call."""
    return min(policy.cap_s, policy.base_s * 2 ** (n - 1))


def test_right_retry_exhaustion_gives_up_within_bounds_naming_attempts_and_cause(serialization_failure, mocker,
                                                                               solution):
    clock = FakeClock(mocker, solution)
    load_day = mocker.Mock(side_effect=serialization_failure)  # the real 40001, on every call
    policy = retry.RetryPolicy(attempts=5, base_s=0.2, cap_s=1.0)
    with must_raise(retry.RetryExhausted, "a 40001 on all 5 attempts: call_with_retry must give up with "
                    "RetryExhausted(what, attempts, elapsed, last error)",
                    match=r"^load day:2010-12-01: gave up after 5 attempts in \d+\.\d s; last error: "
                          r"SerializationFailure \[SQLSTATE 40001\]: could not serialize access due to concurrent "
                          r"update$") as raised:
        solution.call_with_retry(load_day, policy=policy, what="load day:2010-12-01")
    assert load_day.call_count == 5, f"attempts=5 means 5 calls in all; yours called it {load_day.call_count} times"
    assert raised.value.__cause__ is serialization_failure, (
        f"RetryExhausted must be chained to the last error (raise RetryExhausted(...) from err); its __cause__ is "
        f"{raised.value.__cause__!r}")
    assert raised.value.attempts == 5, f"RetryExhausted.attempts should be 5, it is {raised.value.attempts}"
    assert len(clock.sleeps) == 4, (
        f"5 calls need 4 waits between them (none before the first, none after the last); yours slept "
        f"{len(clock.sleeps)} times: {clock.sleeps}")
    too_long = [(n, s) for n, s in enumerate(clock.sleeps, 1) if not 0 <= s <= bound(n, policy)]
    assert not too_long, (
        f"the wait after failure n must lie in [0, min(cap_s, base_s * 2**(n-1))] = [0, 0.2], [0, 0.4], [0, 0.8], "
        f"[0, 1.0]; yours (n, seconds): {too_long}")
    waited = sum(clock.sleeps)
    assert abs(raised.value.elapsed_s - waited) < 0.01, (
        f"RetryExhausted's elapsed time should be the time since the first call (time.monotonic), here the "
        f"{waited:.3f} s spent waiting; yours says {raised.value.elapsed_s}")


def test_right_retry_exhaustion_waits_back_off_exponentially_with_full_jitter(serialization_failure, mocker,
                                                                            solution):
    clock = FakeClock(mocker, solution)
    policy, runs = retry.RetryPolicy(attempts=5, base_s=0.2, cap_s=1.0), 200
    waits = []  # per run, the 4 waits: 200 clients that failed at the same moment
    for _ in range(runs):
        clock.sleeps = []
        with must_raise(retry.RetryExhausted, "a 40001 on every attempt: call_with_retry must give up"):
            solution.call_with_retry(clock.failing(serialization_failure), policy=policy)
        waits.append(clock.sleeps)
    assert all(len(w) == 4 for w in waits), (
        f"5 attempts need 4 waits; yours slept {sorted({len(w) for w in waits})} times")
    for n in range(1, 5):
        nth, most = [w[n - 1] for w in waits], bound(n, policy)
        low, high, mean = min(nth), max(nth), sum(nth) / runs
        assert 0 <= low and high <= most, (
            f"wait {n} must lie in [0, min(cap_s, base_s * 2**{n - 1})] = [0, {most}]; over {runs} runs yours "
            f"ranged from {low:.3f} to {high:.3f} s")
        assert len(set(nth)) > runs // 2, (
            f"wait {n} should be random (full jitter), so that clients that failed together do not retry together;"
            f" over {runs} runs yours took only {len(set(nth))} different value(s): {sorted(set(nth))[:5]}")
        assert low < 0.25 * most and high > 0.75 * most and 0.35 * most < mean < 0.65 * most, (
            f"wait {n} should be spread uniformly over the whole of [0, {most}] (full jitter: "
            f"random.uniform(0, min(cap_s, base_s * 2**(attempt-1)))); over {runs} runs yours had min {low:.3f}, "
            f"max {high:.3f}, mean {mean:.3f} (expected about 0, {most}, {most / 2:.2f})")


def test_right_retry_exhaustion_total_time_bounds_it_too(serialization_failure, mocker, solution):
    clock = FakeClock(mocker, solution, call_s=0.05)  # each call takes 50 ms of (fake) time, the waits come on top
    policy = retry.RetryPolicy(attempts=50, base_s=0.2, cap_s=1.0, max_total_s=3.0)
    for _ in range(100):  # 100 runs: the waits are random, the bounds must hold for every one
        clock.sleeps, clock.call_starts = [], []
        with must_raise(retry.RetryExhausted, "a 40001 on every call: call_with_retry must give up when "
                                              "max_total_s runs out") as raised:
            solution.call_with_retry(clock.failing(serialization_failure), policy=policy, what="load")
        calls, first = len(clock.call_starts), clock.call_starts[0]
        assert calls < policy.attempts, (
            f"with max_total_s=3.0 and waits of at most 1 s the time must run out long before 50 attempts; yours "
            f"made {calls} calls over {clock.now - first:.2f} s")
        spent = clock.now - first
        assert spent <= policy.max_total_s + clock.call_s + 1e-6, (
            f"call_with_retry must give up instead of a wait that would end past max_total_s=3.0 s since the first "
            f"call; yours gave up {spent:.3f} s after the first call (waits {clock.sleeps})")
        late = clock.call_starts[-1] - first
        assert late <= policy.max_total_s + 1e-6, (
            f"no attempt may start more than max_total_s=3.0 s after the first call (calls take time too: measure "
            f"from the first call with time.monotonic, and give up instead of a wait that would end past the "
            f"budget); your last attempt started {late:.3f} s after the first (waits {clock.sleeps})")
        elapsed = clock.now - first
        assert elapsed + bound(calls, policy) > policy.max_total_s, (
            f"gave up too early: after {calls} calls and {elapsed:.2f} s any wait up to {bound(calls, policy)} s "
            f"still fitted in max_total_s=3.0; give up only instead of a wait that would end past the budget")
        assert len(clock.sleeps) == calls - 1 and raised.value.attempts == calls, (
            f"{calls} calls: {calls - 1} waits between them and RetryExhausted.attempts == {calls}; yours waited "
            f"{len(clock.sleeps)} times and reported {raised.value.attempts} attempts")
        assert abs(raised.value.elapsed_s - elapsed) < 0.01, (
            f"RetryExhausted's elapsed time should be the time since the first call ({elapsed:.2f} s, calls "
            f"included); yours says {raised.value.elapsed_s}")


def test_right_retry_exhaustion_a_transient_error_that_clears_succeeds(serialization_failure, mocker, solution):
    clock = FakeClock(mocker, solution)
    load_day = mocker.Mock(side_effect=[serialization_failure, serialization_failure, "loaded"])
    result = solution.call_with_retry(load_day)
    assert result == "loaded", f"call_with_retry should return what fn returned ('loaded'); it returned {result!r}"
    assert load_day.call_count == 3 and len(clock.sleeps) == 2, (
        f"two failures, then success: 3 calls and 2 waits; yours made {load_day.call_count} calls and "
        f"{len(clock.sleeps)} waits")
    first_time = mocker.Mock(return_value=42)
    assert solution.call_with_retry(first_time) == 42 and first_time.call_count == 1 and len(clock.sleeps) == 2, (
        "a call that succeeds at once is called once, returned, and never waited for")
    once = mocker.Mock(side_effect=serialization_failure)
    with must_raise(retry.RetryExhausted, "attempts=1 allows one call and no retry: give up after it",
                    match=r"gave up after 1 attempts"):
        solution.call_with_retry(once, policy=retry.RetryPolicy(attempts=1))
    assert once.call_count == 1 and len(clock.sleeps) == 2, (
        f"attempts=1: one call, no wait; yours made {once.call_count} calls and {len(clock.sleeps) - 2} waits")


def test_right_retry_exhaustion_a_permanent_error_is_raised_at_once_unchanged(serialization_failure, conn, mocker,
                                                                            solution):
    clock = FakeClock(mocker, solution)
    with conn.cursor() as cur:
        cur.execute("CREATE TABLE day (id int PRIMARY KEY); INSERT INTO day VALUES (1)")
    conn.commit()

    def insert_again():
        try:
            with conn.cursor() as cur:
                cur.execute("INSERT INTO day VALUES (1)")  # a real 23505, the same on every try
        finally:
            conn.rollback()
    duplicate = mocker.Mock(side_effect=insert_again)
    with must_raise(psycopg2.errors.UniqueViolation, "a duplicate key (23505) is permanent per is_transient: "
                                                     "re-raise it at once, unchanged") as raised:
        solution.call_with_retry(duplicate)
    assert duplicate.call_count == 1 and clock.sleeps == [], (
        f"a permanent error must not be retried: 1 call, no wait; yours made {duplicate.call_count} calls and "
        f"waited {clock.sleeps}")
    assert raised.value.pgcode == "23505", f"the original error, unchanged; yours raised {raised.value!r}"

    judged = []
    never = mocker.Mock(side_effect=serialization_failure)
    with must_raise(psycopg2.errors.SerializationFailure, "the classify you are given says this error is "
                    "permanent: re-raise it at once, unchanged (use classify, not is_transient)") as raised:
        solution.call_with_retry(never, classify=lambda err: judged.append(err) or False)
    assert raised.value is serialization_failure and never.call_count == 1 and clock.sleeps == [], (
        f"classify said permanent: the same error object, after 1 call and no wait; yours made {never.call_count} "
        f"calls and waited {clock.sleeps}")
    assert judged and all(err is serialization_failure for err in judged), (
        f"call_with_retry should ask the classify it is given about the error; it asked about {judged}")

    flaky = mocker.Mock(side_effect=TimeoutError("the feed did not answer"))
    with must_raise(retry.RetryExhausted, "the classify you are given says TimeoutError is transient: retry it "
                                          "(any exception, not only psycopg2 errors), then give up"):
        solution.call_with_retry(flaky, policy=retry.RetryPolicy(attempts=3), classify=lambda err: True)
    assert flaky.call_count == 3, f"classify says transient: 3 attempts; yours made {flaky.call_count}"


def test_right_retry_exhaustion_tenacity_is_the_production_equivalent(serialization_failure, mocker, solution):
    clock = FakeClock(mocker, solution)
    load_day = mocker.Mock(side_effect=serialization_failure)
    with pytest.raises(tenacity.RetryError) as raised:
        retry.tenacity_policy(retry.RetryPolicy(attempts=5))(load_day)
    assert raised.value.last_attempt.exception() is serialization_failure, "tenacity keeps the last error"
    assert load_day.call_count == 5 and len(clock.sleeps) == 4, "tenacity: 5 attempts, 4 waits"
    clock.sleeps = []
    by_hand = mocker.Mock(side_effect=serialization_failure)
    with must_raise(retry.RetryExhausted, "5 transient failures: give up", match=r"gave up after 5 attempts"):
        solution.call_with_retry(by_hand, policy=retry.RetryPolicy(attempts=5))
    assert by_hand.call_count == 5 and len(clock.sleeps) == 4, (
        f"the same bounds by hand: 5 calls, 4 waits; yours made {by_hand.call_count} calls and "
        f"{len(clock.sleeps)} waits")
