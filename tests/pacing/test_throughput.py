"""The throughput meter: jobs in flight against jobs finished, period by period, each read
only once every job that could have finished in it is known."""

from __future__ import annotations

import pytest

from asyncclassify._pacing.throughput import Period, ThroughputMeter


def test_a_period_averages_the_jobs_in_flight_over_its_time() -> None:
    meter = ThroughputMeter()
    meter.span = 10.0
    meter.level(0.0, 10)
    meter.level(5.0, 30)
    assert meter.roll(9.0, known_until=9.0) == []  # not over yet
    (period,) = meter.roll(10.0, known_until=10.0)
    assert period.level == pytest.approx(20.0)
    assert (period.start, period.end) == (0.0, 10.0)


def test_jobs_count_where_the_service_says_they_finished_and_periods_wait_for_news() -> None:
    meter = ThroughputMeter()
    meter.span = 10.0
    meter.level(0.0, 5)
    meter.finished(3.0)
    meter.roll(10.0, known_until=4.0)
    # A poll late in the next period finds a job that finished in the first one.
    meter.finished(9.0)
    assert meter.roll(12.0, known_until=9.5) == []  # a job's state at 10 s is not known yet
    (period,) = meter.roll(12.0, known_until=10.0)
    assert period.finished == 2
    assert period.rate == pytest.approx(0.2)


def test_a_period_tells_how_long_a_cap_held_submits_back() -> None:
    meter = ThroughputMeter()
    meter.span = 10.0
    meter.level(0.0, 5)
    meter.hold(2.0, True)
    meter.hold(4.0, True)  # no change
    meter.hold(6.0, False)
    meter.hold(9.0, True)
    meter.roll(10.0, known_until=0.0)
    meter.hold(12.0, False)
    meter.roll(20.0, known_until=0.0)
    first, second = meter.roll(20.0, known_until=20.0)
    assert first.held == pytest.approx(0.5)
    assert second.held == pytest.approx(0.2)


def test_rates_are_compared_beyond_their_noise() -> None:
    best = Period(0.0, 10.0, 100.0, 200, 0.0)
    assert Period(10.0, 20.0, 50.0, 100, 1.0).rate_below(best, 0.9)
    assert not Period(10.0, 20.0, 50.0, 170, 1.0).rate_below(best, 0.9)  # within noise
    few = Period(0.0, 10.0, 10.0, 10, 0.0)
    assert not Period(10.0, 20.0, 5.0, 6, 1.0).rate_below(few, 0.9)  # too few to tell
    assert Period(10.0, 20.0, 50.0, 300, 1.0).rate_above(best, 1.1)
