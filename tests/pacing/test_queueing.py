"""The queue watch: a queue is suspected from a job found waiting, confirmed by waits that grow
with our jobs in flight, and its cap is kept only while its effect shows it costs nothing; the
start line tells when queued jobs start."""

from __future__ import annotations

import math
import random

import pytest

from asyncclassify._pacing.durations import JobTimes
from asyncclassify._pacing.queueing import QueueWatch
from asyncclassify._pacing.start_line import LineAudit, StartLine
from asyncclassify._pacing.throughput import Period

WINDOW = 60.0


def _suspected(watch: QueueWatch, *, in_flight: int = 40, now: float = 1.0) -> None:
    decision = watch.found_queued(now, age=3.0, after=1.0, in_flight=in_flight)
    assert decision is not None
    assert decision.what == "queue suspected"
    assert watch.cap is None  # a suspicion holds nothing back by itself


def _finish(watch: QueueWatch, pairs: list[tuple[int, float]], *, rate: float = 10.0) -> list[str]:
    decisions = []
    for load, sojourn in pairs:
        decision = watch.finished(5.0, load=load, sojourn=sojourn, rate=rate, affordable=80.0)
        if decision is not None:
            decisions.append(decision.what)
    return decisions


def _queue_pairs(
    count: int, *, running: int, per_start: float, run: float
) -> list[tuple[int, float]]:
    """Jobs sent with more and more in flight, behind `running` slots: each one past the
    slots waits `per_start` seconds more."""
    return [
        (load, run + max(0, load - running) * per_start)
        for load in (5 + 3 * index for index in range(count))
    ]


def test_a_suspicion_alone_caps_nothing() -> None:
    watch = QueueWatch(WINDOW)
    _suspected(watch, in_flight=40, now=1.0)
    assert watch.state == "suspected"
    assert watch.cap is None
    assert "nothing is held back" in watch.reason


def test_waits_that_grow_with_our_jobs_in_flight_confirm_a_queue_and_size_the_cap() -> None:
    watch = QueueWatch(WINDOW)
    _suspected(watch)
    # Twenty slots, jobs of 2 s: one start every 0.1 s; past twenty in flight, each job
    # more waits 0.1 s more.
    decisions = _finish(watch, _queue_pairs(120, running=20, per_start=0.1, run=2.0))
    assert decisions == ["queue confirmed"]
    assert watch.state == "confirmed"
    assert watch.cap is not None
    # About twenty run at once: the cap leaves room above them, far below the 360 sent.
    assert 2 * 20 <= watch.cap <= 4 * 20


def test_waits_that_do_not_grow_with_our_jobs_in_flight_rule_the_queue_out() -> None:
    # Start spells that vary from job to job, on a service with no queue: some jobs wait
    # long, whatever the jobs in flight.
    watch = QueueWatch(WINDOW)
    _suspected(watch)
    spells = [0.5, 4.0, 1.0, 2.5, 0.7, 6.0]
    pairs = [(5 + 3 * index, 2.0 + spells[index % 6]) for index in range(120)]
    assert _finish(watch, pairs) == ["queue ruled out"]
    assert watch.cap is None
    # Held off: another job found waiting does not suspect a queue again at once...
    assert watch.found_queued(6.0, 3.0, 1.0, in_flight=300) is None
    assert watch.state == "ruled out"
    # ...but after the hold-off it may.
    later = watch.found_queued(6.0 + 6 * WINDOW, 3.0, 1.0, in_flight=300)
    assert later is not None
    assert later.what == "queue suspected"


def test_no_queue_is_confirmed_while_jobs_finish_as_fast_as_the_budget_allows() -> None:
    # Slower jobs need more in flight for the same budget (Little's law): their times grow
    # with the jobs in flight, yet nothing queues.
    watch = QueueWatch(WINDOW)
    _suspected(watch)
    pairs = _queue_pairs(120, running=20, per_start=0.1, run=2.0)
    assert _finish(watch, pairs, rate=79.0) == []
    assert watch.state == "suspected"


def _period(start: float, *, level: float, rate: float, held: float) -> Period:
    return Period(start, start + 10.0, level, round(rate * 10.0), held)


def _confirmed() -> QueueWatch:
    watch = QueueWatch(WINDOW)
    _suspected(watch)
    _finish(watch, _queue_pairs(120, running=20, per_start=0.1, run=2.0))
    assert watch.state == "confirmed"
    return watch


def test_a_binding_cap_is_withdrawn_when_fewer_jobs_in_flight_finish_fewer_jobs() -> None:
    watch = _confirmed()
    periods = [_period(0.0, level=300, rate=10.0, held=0.0)]  # before the cap
    periods.append(_period(10.0, level=40, rate=4.0, held=1.0))
    decision = watch.review(periods)
    assert decision is not None
    assert decision.what == "cap withdrawn"
    assert "fewer jobs in flight finished fewer jobs" in decision.reason
    assert watch.cap is None
    assert watch.state == "ruled out"


def test_periods_too_sparse_to_judge_alone_are_judged_together() -> None:
    # A cap that leaves the service idle finishes few jobs in each period: left out for
    # finishing few, the periods that show the cost would never be judged.
    watch = _confirmed()
    periods = [_period(0.0, level=300, rate=10.0, held=0.0)]
    decision = None
    for index in range(1, 5):
        periods.append(Period(10.0 * index, 10.0 * (index + 1), 40.0, 8, 1.0))  # 0.8/s
        decision = watch.review(periods)
        if decision is not None:
            break
    assert decision is not None
    assert decision.what == "cap withdrawn"
    assert watch.cap is None


def test_a_confirmed_queue_says_how_fast_it_starts_our_jobs() -> None:
    watch = _confirmed()  # one start every 0.1 s
    assert watch.start_rate == pytest.approx(10.0, rel=0.2)


def test_a_binding_cap_is_raised_now_and_then_and_kept_higher_only_if_more_finish() -> None:
    watch = _confirmed()
    cap = watch.cap
    assert cap is not None
    periods = [_period(0.0, level=300, rate=10.0, held=0.0)]
    for index in range(1, 4):  # the rate holds under the cap
        periods.append(_period(10.0 * index, level=cap, rate=10.0, held=1.0))
        assert watch.review(periods) is None
    assert watch.cap == cap
    periods.append(_period(40.0, level=cap, rate=10.0, held=1.0))
    trial = watch.review(periods)
    assert trial is not None
    assert trial.what == "cap on trial"  # a raise, said with its reason
    assert watch.cap == pytest.approx(1.5 * cap)
    periods.append(_period(50.0, level=1.5 * cap, rate=10.0, held=1.0))
    assert watch.review(periods) is None
    periods.append(_period(60.0, level=1.5 * cap, rate=10.5, held=1.0))
    decision = watch.review(periods)
    assert decision is not None
    assert decision.what == "cap kept"
    assert watch.cap == cap  # no more finished under it: back where it was
    for index in range(7, 9):
        periods.append(_period(10.0 * index, level=cap, rate=10.0, held=1.0))
        watch.review(periods)
    assert watch.cap == pytest.approx(1.5 * cap)
    periods.append(_period(90.0, level=1.5 * cap, rate=14.0, held=1.0))
    watch.review(periods)
    periods.append(_period(100.0, level=1.5 * cap, rate=15.0, held=1.0))
    decision = watch.review(periods)
    assert decision is not None
    assert decision.what == "cap raised"
    assert watch.cap == pytest.approx(1.5 * cap)


def test_a_cap_that_does_not_hold_work_back_is_not_judged() -> None:
    watch = _confirmed()
    cap = watch.cap
    periods = [_period(0.0, level=300, rate=10.0, held=0.0)]
    periods.append(_period(10.0, level=15, rate=2.0, held=0.0))  # the input ran out
    assert watch.review(periods) is None
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


def test_jobs_sent_with_as_many_in_flight_do_not_look_like_a_queue_by_their_spread() -> None:
    # Most jobs go out with the jobs in flight at one level (the budget's target), and their
    # times spread widely, whatever the load: the slowest of that crowd must not be read as
    # "sent with more in flight" (sorting on the times too confirmed 61% of such services).
    confirmed = 0
    for seed in range(20):
        rng = random.Random(seed)
        watch = QueueWatch(WINDOW)
        _suspected(watch)
        pairs = [
            (rng.randint(5, 60) if rng.random() < 0.4 else 100, 2.0 * math.exp(rng.gauss(0, 1)))
            for _ in range(300)
        ]
        confirmed += "queue confirmed" in _finish(watch, pairs)
    assert confirmed <= 3


def test_a_line_whose_starts_polls_do_not_find_finished_is_judged_short() -> None:
    audit = LineAudit()
    # The line says 10 of our jobs start a second, found finished a second after they start:
    # the first span lasts that second and 20 starts.
    assert audit.judge(0.0, results=100, rate=10.0, lag=1.0, in_flight=500) is None
    assert audit.due_at == pytest.approx(3.0)
    assert audit.judge(2.0, results=101, rate=10.0, lag=1.0, in_flight=500) is None  # early
    verdict = audit.judge(3.0, results=103, rate=10.0, lag=1.0, in_flight=500)
    assert verdict == (3, pytest.approx(20.0), pytest.approx(3.0))
    # The next span follows on, lag and all behind it.
    assert audit.due_at == pytest.approx(5.0)
    assert audit.judge(5.0, results=106, rate=10.0, lag=1.0, in_flight=500) == (
        3,
        pytest.approx(20.0),
        pytest.approx(2.0),
    )


def test_a_line_borne_out_by_the_results_is_kept_span_after_span() -> None:
    audit = LineAudit()
    assert audit.judge(0.0, results=0, rate=10.0, lag=4.0, in_flight=500) is None
    assert audit.judge(6.0, results=20, rate=10.0, lag=4.0, in_flight=500) is None
    # The spans that follow need no lag: the jobs found now started a lag ago.
    assert audit.due_at == pytest.approx(8.0)
    assert audit.judge(8.0, results=32, rate=10.0, lag=4.0, in_flight=500) is None
    assert audit.judge(10.0, results=36, rate=10.0, lag=4.0, in_flight=500) is not None


def test_at_the_end_of_a_run_the_jobs_left_are_all_a_line_can_ask_for() -> None:
    audit = LineAudit()
    assert audit.judge(0.0, results=0, rate=10.0, lag=1.0, in_flight=3) is None
    assert audit.judge(3.0, results=1, rate=10.0, lag=1.0, in_flight=3) is None
    assert audit.judge(5.0, results=1, rate=10.0, lag=1.0, in_flight=3) is not None
    audit.stop()  # (the line gone: a span begins afresh, with its lag)
    assert audit.judge(100.0, results=1, rate=10.0, lag=1.0, in_flight=500) is None
    assert audit.due_at == pytest.approx(103.0)


def test_a_span_that_ends_with_the_budget_busy_is_not_judged_and_the_next_needs_no_lag() -> None:
    audit = LineAudit()
    assert audit.judge(0.0, results=0, rate=10.0, lag=4.0, in_flight=500) is None
    assert audit.due_at == pytest.approx(6.0)
    audit.roll(6.0, results=0, rate=10.0)  # (nothing found: the budget held the polls back)
    assert audit.due_at == pytest.approx(8.0)
    assert audit.judge(8.0, results=1, rate=10.0, lag=4.0, in_flight=500) == (
        1,
        pytest.approx(20.0),
        pytest.approx(2.0),
    )
