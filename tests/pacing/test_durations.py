"""The duration model: quantiles from exact durations and censored polls; the service clock."""

from __future__ import annotations

import math
import random
from statistics import NormalDist

import pytest

from asyncclassify._pacing.durations import DurationModel, JobTimes
from asyncclassify._pacing.service_clock import ServiceClock

MEDIAN = 10.0
SIGMA = 0.4
WINDOW = 60.0


def _lognormal_quantile(q: float, median: float = MEDIAN, sigma: float = SIGMA) -> float:
    return median * math.exp(sigma * NormalDist().inv_cdf(q))


def _pull_batches(
    model: DurationModel,
    rng: random.Random,
    jobs: int,
    *,
    start: float = 0.0,
    rate: float = 8.0,
    median: float = MEDIAN,
    poll_at: float | None = None,
) -> float:
    """Submit `jobs` jobs at `rate` per second; each is polled once at `poll_at` (its true
    duration when None) and again when done. Returns the time after the last."""
    now = start
    for _ in range(jobs):
        duration = median * math.exp(SIGMA * rng.gauss(0, 1))
        job = JobTimes(now)
        model.track(job)
        first = duration if poll_at is None else poll_at
        if first < duration:
            job.survived = first
        job.finished(done_age=max(first, duration) + 0.5, duration=duration)
        model.changed()
        now += 1 / rate
    return now


def test_quantiles_match_the_durations_seen() -> None:
    model = DurationModel(guess=1.0, window=WINDOW)
    end = _pull_batches(model, random.Random(1), 2_000)
    # The recent jobs weigh most (a few hundred of them): the far tail is the noisiest.
    for q, tolerance in ((0.5, 0.05), (0.9, 0.06), (0.98, 0.12)):
        assert model.quantile(q, end) == pytest.approx(_lognormal_quantile(q), rel=tolerance)
    assert model.sigma == pytest.approx(SIGMA, rel=0.1)


def test_a_job_that_lasted_long_is_expected_to_last_longer_still() -> None:
    model = DurationModel(guess=1.0, window=WINDOW)
    end = _pull_batches(model, random.Random(2), 2_000)
    first = model.quantile(0.9, end)
    later = model.conditional_quantile(0.9, survived=first, now=end)
    assert later > first
    # Of the jobs that lasted `first`, nine in ten finish by `later`.
    rest = 1 - NormalDist().cdf(math.log(first / MEDIAN) / SIGMA)
    done_by_later = 1 - (1 - NormalDist().cdf(math.log(later / MEDIAN) / SIGMA)) / rest
    assert done_by_later == pytest.approx(0.9, abs=0.1)
    assert model.probability_done(later, first, end) == pytest.approx(0.9, abs=0.05)


def test_jobs_still_running_are_counted_not_ignored() -> None:
    # Half the jobs have finished, the slow half is still running (censored at 10 s): the
    # median is not that of the fast half alone.
    model = DurationModel(guess=1.0, window=WINDOW)
    rng = random.Random(3)
    for i in range(400):
        duration = MEDIAN * math.exp(SIGMA * rng.gauss(0, 1))
        job = JobTimes(i * 0.1)
        model.track(job)
        if duration <= MEDIAN:
            job.finished(done_age=duration, duration=duration)
        else:
            job.survived = MEDIAN
    model.changed()
    assert model.median(40.0) >= 0.95 * MEDIAN


def test_a_small_sample_gives_cautious_quantiles() -> None:
    model = DurationModel(guess=1.0, window=WINDOW)
    _pull_batches(model, random.Random(4), 3, rate=1.0)
    assert model.warm(3.0)
    assert model.quantile(0.98, 3.0) > _lognormal_quantile(0.98)


def test_it_follows_jobs_that_become_twice_as_slow_within_a_window() -> None:
    model = DurationModel(guess=1.0, window=WINDOW)
    rng = random.Random(5)
    end = _pull_batches(model, rng, 800)
    assert model.median(end) == pytest.approx(MEDIAN, rel=0.08)
    end = _pull_batches(model, rng, 480, start=end, median=2 * MEDIAN)  # one window of slow jobs
    assert model.median(end) == pytest.approx(2 * MEDIAN, rel=0.12)


def test_a_pause_in_submissions_forgets_nothing() -> None:
    model = DurationModel(guess=1.0, window=WINDOW)
    end = _pull_batches(model, random.Random(6), 500)
    before = model.quantile(0.9, end)
    assert model.quantile(0.9, end + 3_600) == pytest.approx(before, rel=0.02)
    assert model.events > 100


def test_until_a_job_finishes_the_guess_stands() -> None:
    model = DurationModel(guess=2.5, window=WINDOW)
    assert not model.warm(0.0)
    assert model.median(0.0) == pytest.approx(2.5)


def test_an_exact_duration_stays_within_what_the_polls_bracket() -> None:
    job = JobTimes(submitted_at=100.0, survived=4.0)
    job.finished(done_age=9.0, duration=2.0)  # the service's clock says 2 s: too early
    assert job.duration == 4.0
    job = JobTimes(submitted_at=100.0, survived=4.0)
    job.finished(done_age=9.0, duration=12.0)  # or too late
    assert job.duration == 9.0


def test_the_service_clock_offset_is_learnt_from_whole_second_created_times() -> None:
    clock = ServiceClock()
    rng = random.Random(7)
    offset = 1.37  # the service's clock is ahead of ours
    for _ in range(200):
        ours = 1_700_000_000 + rng.uniform(0, 10_000)
        clock.observe_created(math.floor(ours + offset), ours)
    assert clock.offset() == pytest.approx(offset, abs=0.05)


def test_a_job_whose_start_is_estimated_anew_counts_its_running_time_from_it() -> None:
    job = JobTimes(submitted_at=10.0)
    job.unfinished(13.0)
    assert job.survived == 3.0
    job.move_origin(12.0)  # it waited in a queue until 12 s
    assert job.survived == 1.0
    job.move_origin(14.0)  # not started when last seen
    assert job.survived == 0.0


def test_forgetting_a_queue_s_waits_keeps_the_shortest_jobs_when_few_did_not_wait() -> None:
    model = DurationModel(guess=1.0, window=WINDOW)
    for index in range(60):  # five that did not wait, 55 behind a growing queue
        job = JobTimes(0.0)
        model.track(job)
        duration = 2.0 if index % 12 == 0 else 10.0 + index
        job.finished(done_age=duration, duration=duration)
    model.changed()
    assert model.median(100.0) > 30.0
    model.forget_longer(4.0)
    # Only five are that short: the thirty shortest are kept, and at once (no refresh awaited).
    assert model.refresh_at() is not None
    assert model.median(100.0) < 25.0
    assert model.quantile(0.99, 100.0) <= 40.0


def test_a_finished_job_s_duration_moves_with_its_origin() -> None:
    job = JobTimes(submitted_at=10.0)
    job.move_origin(40.0)  # counted from a queue's estimated start
    job.finished(done_age=2.0, duration=1.5)  # found done at 42 s, finished at 41.5 s
    job.move_origin(job.submitted_at)  # the queue's line is dropped
    assert (job.done_age, job.duration) == (32.0, 31.5)


def _counted_from_a_dropped_line(model: DurationModel) -> None:
    """33 jobs timed from a queue's start line, several of them to nearly nothing (a start
    estimated late), and 500 still running at 47-85 s counted from their submits."""
    rng = random.Random(5)
    for index in range(533):
        submitted = index * 0.1
        job = JobTimes(submitted)
        model.track(job)
        if index < 33:
            job.move_origin(submitted + 50.0)
            duration = 0.0 if index % 3 == 0 else rng.uniform(0.1, 0.4)
            job.finished(done_age=duration + 0.1, duration=duration)
        else:
            job.unfinished(submitted + rng.uniform(47.0, 85.0))
    model.changed()


def test_a_cohort_of_mixed_origins_cannot_fit_a_median_of_years() -> None:
    # Draw 12292 of the family: such a cohort once fitted a median of six years, and the
    # jobs waited 300 s, long after the service had finished them, for polls.
    model = DurationModel(guess=1.0, window=WINDOW)
    _counted_from_a_dropped_line(model)
    assert model.sigma <= 2.0
    assert model.median(60.0) < 1_000.0


def test_counting_from_the_submits_again_puts_every_job_on_one_footing() -> None:
    model = DurationModel(guess=1.0, window=WINDOW)
    _counted_from_a_dropped_line(model)
    model.count_from_submits()
    # Finished jobs now count their 50 s in the queue, like those still running.
    assert 45.0 < model.median(60.0) < 150.0


def test_thousands_of_unfinished_jobs_do_not_crowd_out_what_the_finished_ones_taught() -> None:
    # Draw 12292 once more: 1,200 jobs polled unfinished behind a queue pushed every finished
    # job out of the cohort; the model went cold, its polls to the cold schedule, and the
    # service sat finished for 30 s while 946 jobs waited to be polled.
    model = DurationModel(guess=1.0, window=WINDOW)
    end = _pull_batches(model, random.Random(3), 200)
    learnt = model.median(end)
    assert learnt == pytest.approx(MEDIAN, rel=0.15)
    for index in range(1_500):
        job = JobTimes(end + index * 0.01)
        model.track(job)
        job.unfinished(end + 20.0)
        model.changed()
    later = end + 21.0
    assert model.warm(later)
    # Jobs that have lasted 5-20 s so far: the median is longer, but still of that order.
    assert learnt <= model.median(later) < 3 * MEDIAN


@pytest.mark.parametrize("beyond", [1.01, 1.5, 3.0])
def test_a_job_older_than_every_duration_seen_is_not_due_again_at_once(beyond: float) -> None:
    # Past the sample's last duration the sample says nothing; read as "now", a job that
    # old was polled again at every answer (35 GETs in a second for one job, on a queue).
    model = DurationModel(guess=1.0, window=WINDOW)
    end = _pull_batches(model, random.Random(5), 400)
    longest = max(model.quantile(0.9999, end), MEDIAN * math.exp(4 * SIGMA))
    survived = longest * beyond
    for q in (0.5, 0.8, 0.98):
        due = model.conditional_quantile(q, survived, end)
        # ...nor put off by more than a typical duration (the fit's thin tail alone would).
        assert survived * 1.001 < due <= survived + 1.05 * model.median(end)
