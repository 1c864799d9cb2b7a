"""The queue watch: a job found queued caps the jobs in flight; start probes steer the cap."""

from __future__ import annotations

import pytest

from asyncclassify.pacing.queueing import QueueWatch

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
