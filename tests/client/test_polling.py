"""The poll schedule learns job durations: first polls succeed at the target rate (pure unit)."""

from __future__ import annotations

import itertools
import math
import random
import statistics

import pytest

from asyncclassify.polling import EAGER_QUANTILE, THRIFTY_QUANTILE, PollSchedule

MEDIAN = 2.0
SIGMA = 0.4
"""Job durations are log-normal: median 2 s, a realistic spread."""


def _quantile(q: float) -> float:
    return MEDIAN * math.exp(SIGMA * statistics.NormalDist().inv_cdf(q))


def _simulate(
    schedule: PollSchedule, rng: random.Random, jobs: int, thrifty_share: float
) -> dict[bool, list[tuple[float, bool]]]:
    """Run `jobs` jobs one at a time; (first-poll delay, done) per regime."""
    seen: dict[bool, list[tuple[float, bool]]] = {True: [], False: []}
    for _ in range(jobs):
        thrifty = rng.random() < thrifty_share
        delay = schedule.first_delay(thrifty)
        done = rng.lognormvariate(math.log(MEDIAN), SIGMA) <= delay
        schedule.observe_first_poll(thrifty, done)
        seen[thrifty].append((delay, done))
        assert schedule.first_delay(False) <= schedule.first_delay(True) + 1e-9
        schedule.observe_first_poll(False, None)
        schedule.observe_first_poll(True, None)
    return seen


@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize(
    ("thrifty_share", "regimes"),
    [(1.0, [True]), (0.0, [False]), (0.5, [True, False])],
    ids=["budget-bound", "plentiful", "mixed"],
)
def test_first_poll_success_rate_approaches_the_quantile(
    seed: int, thrifty_share: float, regimes: list[bool]
) -> None:
    rng = random.Random(seed)
    seen = _simulate(PollSchedule(initial=0.05), rng, 4_000, thrifty_share)
    for thrifty in regimes:
        quantile = THRIFTY_QUANTILE if thrifty else EAGER_QUANTILE
        late = seen[thrifty][-1_000:]
        success = sum(done for _, done in late) / len(late)
        assert success == pytest.approx(quantile, abs=0.035)
        delay = statistics.median(delay for delay, _ in late)
        assert delay == pytest.approx(_quantile(quantile), rel=0.15)


@pytest.mark.parametrize(("initial", "jobs"), [(0.02, 150), (1.0, 150), (8.0, 150), (25.0, 400)])
def test_converges_from_a_poor_first_guess(initial: float, jobs: int) -> None:
    # From below it takes a few dozen jobs; from far above (each early success only nudges
    # a high quantile down a little) a few hundred.
    rng = random.Random(11)
    schedule = PollSchedule(initial=initial)
    seen = _simulate(schedule, rng, jobs, thrifty_share=1.0)
    settled = statistics.median(delay for delay, _ in seen[True][jobs - 90 :])
    assert settled == pytest.approx(_quantile(THRIFTY_QUANTILE), rel=0.35)


def test_many_first_polls_at_once_do_not_wind_the_delay_up() -> None:
    # 50 jobs first-polled together, none done: one at a time, that many "not done yet"
    # answers would multiply the delay by hundreds; together they are worth a few steps.
    schedule = PollSchedule(initial=1.0, maximum=1e6)
    for _ in range(50):
        schedule.first_delay(True)
    for _ in range(50):
        schedule.observe_first_poll(True, False)
    burst = schedule.first_delay(True)
    schedule.observe_first_poll(True, None)
    one_by_one = PollSchedule(initial=1.0, maximum=1e6)
    for _ in range(50):
        one_by_one.first_delay(True)
        one_by_one.observe_first_poll(True, False)
    assert 1.0 < burst < 4.0
    assert one_by_one.first_delay(True) > 100 * burst


def test_concurrent_jobs_still_converge() -> None:
    rng = random.Random(5)
    schedule = PollSchedule(initial=0.1)
    late: list[bool] = []
    for round_number in range(300):
        delays = [schedule.first_delay(True) for _ in range(20)]
        for delay in delays:
            done = rng.lognormvariate(math.log(MEDIAN), SIGMA) <= delay
            schedule.observe_first_poll(True, done)
            if round_number >= 200:
                late.append(done)
    assert sum(late) / len(late) == pytest.approx(THRIFTY_QUANTILE, abs=0.04)


def test_delays_stay_within_bounds() -> None:
    schedule = PollSchedule(initial=1.0, minimum=0.05, maximum=3.0)
    for _ in range(500):  # jobs that never finish in time
        schedule.first_delay(True)
        schedule.observe_first_poll(True, False)
    assert schedule.first_delay(True) == pytest.approx(3.0)
    schedule.observe_first_poll(True, None)
    for _ in range(2_000):  # jobs that are always done at once
        for thrifty in (True, False):
            schedule.first_delay(thrifty)
            schedule.observe_first_poll(thrifty, True)
    for thrifty in (True, False):
        assert schedule.first_delay(thrifty) == pytest.approx(0.05)
        schedule.observe_first_poll(thrifty, None)


def test_follow_ups_grow_from_a_fraction_of_the_first_delay() -> None:
    schedule = PollSchedule(initial=2.0, minimum=0.01, maximum=5.0)
    delays = [schedule.follow_up_delay(polls) for polls in range(1, 12)]
    assert delays[0] == pytest.approx(2.0 * 0.15)
    assert all(later >= earlier for earlier, later in itertools.pairwise(delays))
    assert delays[1] == pytest.approx(delays[0] * 1.5)
    assert delays[-1] == pytest.approx(5.0)


def test_the_median_comes_down_from_a_far_too_long_guess_within_a_few_dozen_jobs() -> None:
    # Small steps alone need hundreds of jobs from 50x too long; unlikely runs of successes
    # cut the delay, so a few dozen do.
    rng = random.Random(3)
    schedule = PollSchedule(initial=100.0, maximum=1_000.0)
    seen = _simulate(schedule, rng, 40, thrifty_share=0.0)
    assert seen[False][-1][0] < 1.5 * _quantile(EAGER_QUANTILE)
    # ...and the high quantile, which takes no such cuts, starts from the median's guess.
    assert schedule.estimate() <= 3.0 * schedule.first_delay(False) + 1e-9


def test_the_high_quantile_takes_no_cuts_from_runs_of_successes() -> None:
    schedule = PollSchedule(initial=10.0)
    for _ in range(200):
        delay = schedule.first_delay(True)
        schedule.observe_first_poll(True, True, delay)
    # 200 successes move the log delay down by 0.07 of a step each, about 1.35 in all; three
    # cuts (one per 64 successes) would add 1.2 more.
    assert schedule.estimate() > 10.0 * math.exp(-1.5)
