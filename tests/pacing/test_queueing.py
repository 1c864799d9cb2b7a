"""The queue watch: a job found queued caps the jobs in flight; start probes steer the cap;
the start line tells when queued jobs start."""

from __future__ import annotations

import pytest

from asyncclassify._pacing.durations import JobTimes
from asyncclassify._pacing.queueing import QueueWatch, StartLine

WINDOW = 60.0


def test_no_cap_until_a_job_is_found_queued() -> None:
    watch = QueueWatch(WINDOW)
    for _ in range(50):
        watch.observed(queued=False, in_flight=200, ahead=0)
    assert watch.cap is None


def test_the_first_job_found_queued_caps_at_twice_what_runs_ahead_of_it() -> None:
    watch = QueueWatch(WINDOW)
    watch.observed(queued=True, in_flight=120, ahead=21)
    assert watch.cap == pytest.approx(2 * 21 + 2)
    other = QueueWatch(WINDOW)
    other.observed(queued=True, in_flight=30, ahead=21)
    assert other.cap == 30  # never more than were in flight


def test_start_probes_steer_the_cap_towards_half_of_them_queued() -> None:
    watch = QueueWatch(WINDOW)
    watch.observed(queued=True, in_flight=100, ahead=40)
    cap = watch.cap
    assert cap is not None
    for _ in range(10):
        watch.observed(queued=True, in_flight=int(watch.cap or 0), ahead=0)
    lowered = watch.cap
    assert lowered is not None
    assert lowered < cap
    for _ in range(20):
        watch.observed(queued=False, in_flight=int(watch.cap or 0), ahead=0)
    assert watch.cap is not None
    assert watch.cap > lowered


def test_probes_say_nothing_about_a_cap_that_does_not_bind() -> None:
    watch = QueueWatch(WINDOW)
    watch.observed(queued=True, in_flight=100, ahead=20)
    cap = watch.cap
    assert cap is not None
    watch.observed(queued=False, in_flight=10, ahead=0)  # far below it
    watch.observed(queued=True, in_flight=200, ahead=0)  # above it: the backlog sent before
    assert watch.cap == cap


def test_queued_after_rests_on_the_least_typical_duration_of_recent_windows() -> None:
    # A queue makes every duration longer; judging "queued" by the typical duration now
    # would let the queue grow with it.
    watch = QueueWatch(WINDOW)
    watch.started_age = 0.5
    watch.typical_seen(10.0, now=5.0)
    watch.typical_seen(30.0, now=65.0)
    assert watch.queued_after(30.0) == pytest.approx(10.0)
    watch.typical_seen(30.0, now=6 * WINDOW + 5)  # the 10 s window is forgotten by now
    assert watch.queued_after(30.0) == pytest.approx(30.0)


def _times(submitted_at: float) -> JobTimes:
    return JobTimes(submitted_at)


def test_queued_jobs_start_in_order_one_per_finish_after_the_anchor() -> None:
    line = StartLine()
    first = _times(0.0)
    first.waiting_at = 5.0  # found waiting at 5 s
    line.seen(10, first, rate=20.0)
    assert line.start_of(10, first, 20.0) == 5.0
    # Twenty positions later, at twenty starts a second: a second later, never before it
    # was submitted.
    assert line.start_of(30, _times(1.0), 20.0) == pytest.approx(6.0)
    assert line.start_of(30, _times(7.5), 20.0) == 7.5
    # Jobs ahead of the anchor started earlier, as far back as their own submits.
    assert line.start_of(0, _times(0.0), 20.0) == pytest.approx(4.5)
    assert line.start_of(0, _times(4.9), 20.0) == 4.9


def test_a_poll_that_contradicts_the_line_moves_it_and_one_that_agrees_keeps_it() -> None:
    line = StartLine()
    line.seen(0, _times(0.0), rate=10.0)
    assert line.start_of(20, _times(0.0), 10.0) == pytest.approx(2.0)
    # Found waiting at 3 s where the line says it started at 2 s: the line moves later.
    waiting = _times(0.0)
    waiting.waiting_at = 3.0
    line.seen(20, waiting, rate=10.0)
    assert line.start_of(30, _times(0.0), 10.0) == pytest.approx(4.0)
    # Found started by 3.5 s where the line says 5 s: it moves earlier.
    started = _times(0.0)
    started.started_by = 3.5
    line.seen(40, started, rate=10.0)
    assert line.start_of(40, _times(0.0), 10.0) == pytest.approx(3.5)
    assert line.start_of(50, _times(0.0), 10.0) == pytest.approx(4.5)
    # A poll that agrees with it leaves it where it is.
    line.seen(45, _times(0.0), rate=10.0)
    assert line.start_of(50, _times(0.0), 10.0) == pytest.approx(4.5)


def test_a_job_seen_started_started_no_later_than_that() -> None:
    line = StartLine()
    line.seen(0, _times(0.0), rate=1.0)
    job = _times(0.0)
    job.started_by = 2.0
    assert line.start_of(100, job, 1.0) == 2.0  # the line would say 100 s
