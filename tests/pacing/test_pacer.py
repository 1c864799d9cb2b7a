"""The pacer's decisions, in virtual time: who goes next, when polls are due, jobs in flight."""

from __future__ import annotations

import itertools

import pytest

from asyncclassify._pacing import Pacer, PacingSettings, PolledJob, Turn
from asyncclassify._pacing.durations import JobTimes
from asyncclassify._pacing.probes import PROBES, START_PROBE_GROWTH, ColdProbes
from asyncclassify._pacing.queueing import QUEUED_AFTER_START
from asyncclassify._pacing.settings import PULL_USE, SCARCE_USE
from asyncclassify._pacing.start_line import MIN_CHECKS

WINDOW = 6.0


def _pacer(**changes: float) -> Pacer:
    settings = {"requests_per_minute": 1000, "window": WINDOW, "first_poll": 1.0}
    settings.update(changes)
    return Pacer(PacingSettings(**settings))  # type: ignore[arg-type]


def _accept(pacer: Pacer, at: float) -> PolledJob:
    """A job submitted at `at` (or as soon after as the budget's pace allows)."""
    turn = Turn("submit", size=1000, admits=True)
    pacer.ask(turn, at)
    sent = pacer.budget.ready_at(at)
    assert turn in pacer.grant(sent)
    return pacer.job_accepted(sent, sent + 0.01)


def _finish(pacer: Pacer, job: PolledJob, at: float, duration: float) -> None:
    """A poll at `at` finds `job` finished after `duration`; its batch gives its results."""
    pacer.job_polled(job, at, at + 0.01, status="succeeded", finished=True,
                     finished_wall=job.times.submitted_at + duration)  # fmt: skip
    pacer.released(1000, 0.1)


def test_urgent_turns_go_before_submits_and_polls() -> None:
    pacer = _pacer()
    submit, urgent = Turn("submit", size=10, admits=True), Turn("urgent")
    pacer.ask(submit, 0.0)
    pacer.ask(urgent, 0.0)
    assert pacer.grant(0.0)[:2] == [urgent, submit]


def test_no_more_jobs_in_flight_than_the_settings_allow() -> None:
    pacer = _pacer(max_jobs_in_flight=3)
    for _ in range(5):
        pacer.ask(Turn("submit", size=10, admits=True), 0.0)
    granted = [turn for step in range(20) for turn in pacer.grant(step * 0.1)]
    assert len(granted) == 3
    assert pacer.in_flight.jobs == 3
    pacer.released(10, 2.0)
    assert len(pacer.grant(2.1)) == 1
    assert pacer.in_flight.peak_jobs == 3


def test_bytes_in_flight_cap_the_jobs_too() -> None:
    pacer = _pacer(max_bytes_in_flight=2500)
    for _ in range(4):
        pacer.ask(Turn("submit", size=1000, admits=True), 0.0)
    assert len([turn for step in range(20) for turn in pacer.grant(step * 0.1)]) == 2


def test_until_a_job_finishes_only_the_oldest_few_are_probed_on_a_ladder() -> None:
    pacer = _pacer()
    jobs = [_accept(pacer, 0.0) for _ in range(20)]
    for job in jobs:
        pacer.ask(Turn("poll", job), 0.0)
    polled: dict[int, list[float]] = {}
    start_probes = 0
    now = 0.0
    while now < 8.0:
        for turn in pacer.grant(now):
            assert turn.job is not None
            if turn.job.start_probe and turn.job.polls == 0:
                start_probes += 1  # a newer job: has it started? (no queue: yes)
            else:
                polled.setdefault(turn.job.position, []).append(now)
            pacer.job_polled(turn.job, now, now + 0.001, status="running", finished=False)
            pacer.ask(Turn("poll", turn.job), now)
        now += 0.01
    assert set(polled) == {job.position for job in jobs[:PROBES]}
    assert start_probes <= len(jobs) - PROBES  # at most once each, one per two start latencies
    for ages in polled.values():
        assert ages[0] >= 0.25  # a quarter of the guess, staggered
        growth = [later / earlier for earlier, later in itertools.pairwise(ages)]
        assert all(1.9 <= g <= 2.1 for g in growth)
    assert sum(len(ages) for ages in polled.values()) <= PROBES * 6


def test_once_durations_are_known_a_poll_is_due_when_its_job_is_likely_done() -> None:
    pacer = _pacer()
    now = 0.0
    for i in range(200):  # jobs of 2 s +- a little, one every 0.05 s
        job = _accept(pacer, now)
        _finish(pacer, job, now + 2.0 + (i % 5) * 0.05, 2.0 + (i % 5) * 0.05)
        now += 0.05
    job = _accept(pacer, now)
    pacer.ask(Turn("poll", job), now)
    due = pacer.next_decision(now)
    assert due is not None
    # Nothing waits to be submitted: polls are eager, before the last of the durations seen.
    assert 1.9 <= due - now <= 2.25
    assert pacer.grant(due - 0.02) == []
    (granted,) = pacer.grant(due)
    assert granted.job is job


def test_next_decision_is_when_something_can_be_granted() -> None:
    pacer = _pacer()
    jobs = [_accept(pacer, 0.0) for _ in range(6)]
    for job in jobs:
        pacer.ask(Turn("poll", job), 0.0)
    now = 0.0
    grants = 0
    for _ in range(50):
        due = pacer.next_decision(now)
        if due is None:
            break
        now = due
        granted = pacer.grant(now)
        assert granted, f"nothing granted at {now}"
        for turn in granted:
            assert turn.job is not None
            grants += 1
            pacer.job_polled(turn.job, now, now + 0.001, status="running", finished=False)
            pacer.ask(Turn("poll", turn.job), now)
    assert grants >= 10


def test_a_429_pauses_every_turn_for_retry_after() -> None:
    pacer = _pacer()
    pacer.ask(Turn("urgent"), 0.0)
    assert len(pacer.grant(0.0)) == 1
    pacer.throttled(0.1, retry_after=2.0, sent_at=0.0)
    pacer.ask(Turn("urgent"), 0.1)
    assert pacer.grant(1.0) == []
    assert pacer.next_decision(1.0) == pytest.approx(2.1)
    assert len(pacer.grant(2.1)) == 1


def test_a_withdrawn_turn_is_never_granted() -> None:
    pacer = _pacer()
    turn = Turn("urgent")
    pacer.ask(turn, 0.0)
    pacer.withdraw(turn)
    assert pacer.grant(0.0) == []


def test_grants_are_counted_by_purpose() -> None:
    pacer = _pacer()
    job = _accept(pacer, 0.0)
    pacer.ask(Turn("poll", job), 0.0)
    pacer.grant(1.0)
    assert pacer.granted == {"submit": 1, "probe": 1}


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="quantiles"):
        PacingSettings(thrifty_quantile=1.0)
    with pytest.raises(ValueError, match="in flight"):
        PacingSettings(max_jobs_in_flight=0)
    with pytest.raises(ValueError, match="first_poll"):
        PacingSettings(first_poll=0)


def test_a_job_found_gone_holds_the_jobs_in_flight_to_what_is_read_before_others_expire() -> None:
    pacer = _pacer()
    clock = 0.0
    for _ in range(200):  # learn durations of about 1 s
        job = _accept(pacer, clock)
        _finish(pacer, job, clock + 1.2, 1.0)
        clock += 0.02
    before = pacer.target_in_flight(clock)
    lost = _accept(pacer, clock)
    pacer.job_lost(lost, clock + 2.0)  # the service forgot it 2 s after it was submitted
    assert pacer.lifetime == pytest.approx(2.0, abs=0.05)
    after = pacer.target_in_flight(clock + 2.0)
    # 1,000 requests per 6 s read about 83 jobs a second; half of 2 s holds about 83.
    assert after <= 84
    assert after < before
    # No other loss for a few windows: the limit fades (a restart is not a retention).
    assert pacer.lifetime_at(clock + 2.0 + 5 * WINDOW) == pytest.approx(2.0 * 2**5, rel=0.03)


def test_what_is_known_of_each_job_stays_small_behind_a_job_that_never_ends() -> None:
    # Every poll of an unfinished job notes how far its state is known; behind the oldest
    # job, still running, those notes must not pile up with every poll of the others.
    pacer = _pacer(requests_per_minute=100_000)
    stuck = _accept(pacer, 0.0)
    jobs = [_accept(pacer, 0.01) for _ in range(20)]
    for step in range(1, 400):
        at = step * 0.1
        for job in jobs:
            pacer.job_polled(job, at, at + 0.01, status="running", finished=False)
        assert pacer.jobs.notes <= 4 * 22  # (7,980 polls so far by the end)
    assert not stuck.finished


def test_polls_waiting_on_news_the_model_has_not_taken_in_are_woken_for_it() -> None:
    # The model takes in news now and then; due times computed before it has may be far too
    # late (a queue's waits forgotten shortens them). With nothing else to wake the pacer,
    # it must wake when the model refreshes, or polls that are due would wait for nothing.
    pacer = _pacer()
    now = 0.0
    for _ in range(6):  # rounds of forty jobs of 20 s
        jobs = [_accept(pacer, now + 0.001 * k) for k in range(40)]
        now += 20.0
        for k, job in enumerate(jobs):
            _finish(pacer, job, now + 0.01 * k, 20.0 + (k % 5) * 0.5)
        now += 1.0
    waiting = _accept(pacer, now)
    pacer.ask(Turn("poll", waiting), now)
    late = _accept(pacer, now)
    _finish(pacer, late, now + 0.5, 0.4)  # news, taken in at the next refresh
    refresh = pacer.model.refresh_at()
    assert refresh is not None
    due = pacer._polls.next_due(now + 0.5, scarce=False)
    assert due is not None
    assert refresh < due  # (the poll is due after the refresh, by the estimate before it)
    wake = pacer.next_decision(now + 0.5)
    assert wake == pytest.approx(refresh)


def test_a_limit_learnt_from_429s_and_its_lifting_are_decisions_with_reasons() -> None:
    pacer = _pacer(requests_per_minute=100)
    shared: list[float] = []  # the service allows 50 a window: another client has the rest
    now = 0.0
    lifted_at = None
    while now < 40 * WINDOW and lifted_at is None:
        now = pacer.budget.ready_at(now)
        pacer.grant(now)
        pacer.budget.spend(now)
        shared = [t for t in shared if t > now - WINDOW]
        if now < 10 * WINDOW and len(shared) >= 50:
            pacer.throttled(now + 0.01, retry_after=shared[0] + WINDOW - now, sent_at=now)
        else:
            shared.append(now)
        if pacer.decisions and pacer.decisions[-1].what == "learnt limit lifted":
            lifted_at = now
    learnt = [d for d in pacer.decisions if d.what == "limit learnt from 429s"]
    # Learnt in a few steps down (an episode lowers it by at most a fifth while we held far
    # less than our limit), each with the level in words; 429s at the same level again, or
    # within a tenth of it, are not news.
    assert 1 <= len(learnt) <= 3, list(pacer.decisions)
    levels = [int(d.reason.split("about ")[1].split()[0]) for d in learnt]
    assert levels == sorted(levels, reverse=True), levels
    assert 40 <= levels[-1] <= 56, learnt[-1].reason  # (about the 50 that fit)
    assert all("not the 100 configured" in d.reason for d in learnt)
    assert learnt[0].at < 3 * WINDOW
    assert learnt[-1].at < 6 * WINDOW, learnt[-1].at
    # The other client left at 10 windows: the probe finds the whole limit again, and says so.
    assert lifted_at is not None
    assert 10 * WINDOW < lifted_at < 20 * WINDOW, lifted_at
    assert pacer.course.startswith("learnt limit lifted")


def _run_jobs_that_start_at_once(pacer: Pacer, seconds: float) -> list[int]:
    """Submits always waiting; every job starts at once and runs 1-3 s (by its position).
    Returns the load (jobs in flight at its submit) of each start-probed job, in order."""
    probed: list[int] = []
    waiting = 0
    now, step = 0.0, 0.005
    while now < seconds:
        if not waiting:  # (work always waits)
            for _ in range(20):
                pacer.ask(Turn("submit", size=1000, admits=True), now)
            waiting = 20
        for turn in pacer.grant(now):
            if turn.kind == "submit":
                waiting -= 1
                accepted = pacer.job_accepted(now, now + 0.005)
                pacer.ask(Turn("poll", accepted), now + 0.005)
                continue
            job = turn.job
            assert job is not None
            if job.start_probe and job.polls == 0:
                probed.append(job.load)
            age = now - job.times.submitted_at
            duration = 1.0 + (job.position * 7 % 11) / 5.0
            if age >= duration:
                pacer.job_polled(job, now, now + 0.005, status="succeeded", finished=True,
                                 finished_wall=job.times.submitted_at + duration)  # fmt: skip
                pacer.released(1000, now)
            else:
                pacer.job_polled(job, now, now + 0.005, status="running", finished=False)
                pacer.ask(Turn("poll", job), now + 0.005)
        now += step
    return probed


def test_start_probes_follow_the_growth_of_the_jobs_in_flight_not_the_clock() -> None:
    # Jobs start at once and the budget binds: a queue of k slots would show only once our
    # jobs outnumber k, so a probe tells something new only once they have grown. Spaced by
    # time alone (four per typical duration, and one per two start latencies at first),
    # they took a GET for every few submits here.
    # The guess is ten times short: the first probes see jobs started very young, and one
    # start probe per two such start latencies went by the dozen.
    pacer = _pacer(first_poll=0.1)
    probed = _run_jobs_that_start_at_once(pacer, seconds=30.0)
    assert pacer.granted["submit"] > 2000
    assert probed
    for earlier, later in itertools.pairwise(probed):
        assert later >= max(earlier * START_PROBE_GROWTH, earlier + 1), probed
    # Each start-probed job, seen running young, is next polled when jobs are likely done
    # (not on a ladder from its young age: three times the follow-ups here).
    assert pacer.granted["follow-up"] <= 2 * pacer.granted["start probe"] + 10, pacer.granted
    assert pacer.queue.state == "none"


def test_once_a_queue_is_confirmed_spare_requests_send_no_start_probes() -> None:
    # Submits wait on the jobs in flight with the budget idle: while nothing is known, the
    # spare requests see whether the service queues them; once a queue is confirmed, its
    # cap's own trials judge it, and a probe would tell nothing new.
    held = _pacer(max_jobs_in_flight=40)
    _run_jobs_that_start_at_once(held, seconds=20.0)
    assert held.granted["start probe"] >= 10
    capped = _pacer(max_jobs_in_flight=40)
    capped.queue.state, capped.queue.cap = "confirmed", 30.0  # (as a confirmation leaves it)
    _run_jobs_that_start_at_once(capped, seconds=20.0)
    assert capped.granted["start probe"] <= 3, capped.granted


def test_a_cold_start_probe_waits_for_the_first_job_sent_with_enough_in_flight() -> None:
    # The newest job old enough was sent with too few jobs in flight: the probe is due when
    # the first one sent with enough becomes old enough (the pacer wakes for it then).
    probes = ColdProbes(guess=1.0)
    for i in range(10):
        job = PolledJob(JobTimes(submitted_at=0.1 * i), position=i, load=i)
        job.turn = Turn("poll", job)  # (a turn waits while it is its job's)
        probes.add(job.turn)
    due = probes.next(0.95, oldest=set(), started_age=0.2, start_probe_at=0.0, start_load=6)
    assert due is not None
    turn, at, start = due
    assert start
    assert turn.job is not None
    assert turn.job.position == 6
    assert at == pytest.approx(0.6 + QUEUED_AFTER_START * 0.2)


def test_a_budget_idle_behind_a_full_cap_wakes_the_pacer_to_pull_polls() -> None:
    # Every place the settings allow is taken, a submit waits, and no poll is due for a
    # while. Once the budget is no longer in full use, polls not yet due are pulled
    # (finished jobs unpolled hold places new ones could take): the pacer must wake as the
    # budget's use fades, not sleep until the next poll falls due (a draw of the family
    # idled for 15 s of a 6 s window so).
    pacer = _pacer(max_jobs_in_flight=400)
    now = 0.0
    for i in range(200):  # jobs of 20 s +- a little: the model is warm
        job = _accept(pacer, now)
        _finish(pacer, job, now + 20.0 + (i % 5) * 0.5, 20.0 + (i % 5) * 0.5)
        now += 0.05
    now += 20.0
    jobs = []
    while pacer.in_flight.jobs < 400:  # the cap filled at the budget's full pace
        jobs.append(_accept(pacer, now))
        now = jobs[-1].times.submitted_at
    for job in jobs:
        pacer.ask(Turn("poll", job), now)
    pacer.ask(Turn("submit", size=1000, admits=True), now)
    assert pacer.budget.utilization(now) >= SCARCE_USE
    assert pacer.grant(now) == []
    due = pacer._polls.next_due(now, pacer._chooser.scarce_polls(now))
    assert due is not None
    pulled: list[Turn] = []
    wake = now
    for _ in range(2):  # a wake-up as the use fades past each level (0.9, then 0.5)
        woken = pacer.next_decision(wake)
        assert woken is not None
        wake, use = woken, pacer.budget.utilization(woken)
        pulled = pacer.grant(wake)
        if pulled:
            break
    assert wake < due - 0.5
    assert PULL_USE - 0.05 <= use < PULL_USE
    assert pulled
    assert all(turn.kind == "poll" for turn in pulled)


def _warm(pacer: Pacer, duration: float) -> float:
    """200 jobs of about `duration` (a little spread) finished: the model is warm. The time
    the last was sent."""
    now = 0.0
    for i in range(200):
        job = _accept(pacer, now)
        spread = duration * (1.0 + 0.05 * (i % 5))
        _finish(pacer, job, now + spread, spread)
        now = job.times.submitted_at + 0.05
    return now


def _queue_with_a_line(pacer: Pacer) -> tuple[float, list[PolledJob]]:
    """A warm model (jobs of about 2 s), then 300 jobs in flight behind a confirmed queue
    whose line of starts is followed; the time then, and the jobs, oldest first."""
    now = _warm(pacer, 2.0)
    jobs = [_accept(pacer, now + 0.01 * i) for i in range(300)]
    pacer.queue.state, pacer.queue.cap = "confirmed", 100.0  # (as a confirmation leaves it)
    return jobs[-1].times.submitted_at + 1.0, jobs


def _line_holding_polls_back(pacer: Pacer) -> tuple[float, list[PolledJob]]:
    """A warm model (jobs of about 2 s), then 300 jobs in flight behind a confirmed queue
    whose line says they start far in the future (their polls are due long after), with a
    submit waiting; the budget's use faded. The time then, and the jobs."""
    now, jobs = _queue_with_a_line(pacer)
    now += 59.0  # (the budget's use long faded)
    pacer.queueing.line.checked = MIN_CHECKS  # (borne out by polls so far: thrifty polls)
    for job in jobs:
        job.times.move_origin(now + 100.0)  # (as a line that says they start then)
        pacer.ask(Turn("poll", job), now)
    pacer.ask(Turn("submit", size=1000, admits=True), now)
    return now, jobs


def test_a_line_that_holds_polls_back_while_results_fall_short_owes_them() -> None:
    # The line says about 20 jobs a second start; none is found finished while the budget
    # idles: the polls it held back go early, before any is due.
    pacer = _pacer(max_jobs_in_flight=400)
    now, _ = _line_holding_polls_back(pacer)
    assert pacer.grant(now) == []
    due = pacer._polls.next_due(now, pacer._chooser.scarce_polls(now))
    assert due is not None
    assert due > now + 50.0
    audit = pacer.next_decision(now)
    assert audit is not None
    assert audit < now + 10.0
    pulled = pacer.grant(audit)
    assert all(turn.kind == "poll" for turn in pulled)
    # As many as the line says started in the span (20 of them), and no more: the answers
    # then check the line job by job.
    assert 15 <= len(pulled) <= 25, len(pulled)
    assert pacer.queueing.owed == 0
    assert pacer.grant(audit + 0.01) == []
    assert pacer.queueing.decisions[-1].what == "polls owed"  # (logged with its reason)


def test_a_line_borne_out_by_its_results_owes_nothing() -> None:
    pacer = _pacer(max_jobs_in_flight=400)
    now, _ = _line_holding_polls_back(pacer)
    assert pacer.grant(now) == []
    for _ in range(5):
        audit = pacer.next_decision(now)
        assert audit is not None
        assert audit < now + 10.0
        rate = pacer.queueing._start_rate(now)
        pacer.queueing.results += round(rate * (audit - now))  # (found at the line's pace)
        now = audit
        assert pacer.grant(now) == []
    assert pacer.queueing.owed == 0


def _found(pacer: Pacer, job: PolledJob, at: float, status: str) -> None:
    pacer.job_polled(job, at, at + 0.01, status=status, finished=status == "succeeded")


@pytest.mark.parametrize("in_order", [False, True])
def test_polls_in_the_lines_order_still_tell_a_queue_that_starts_jobs_in_no_order(
    in_order: bool,
) -> None:
    # Jobs sent later were found done; 10 s on, the jobs sent before them, polled in the
    # line's order, are found still waiting. Each such poll agrees with the one before (the
    # line moves to each job polled), but first come first served cannot explain any of
    # them: the line is dropped. Found the other way round, the order is first come first
    # served, and the line is kept.
    pacer = _pacer(max_jobs_in_flight=400)
    now, jobs = _queue_with_a_line(pacer)
    done, waiting = (jobs[:150], jobs[150:]) if in_order else (jobs[150:], jobs[:150])
    for job in done:
        _found(pacer, job, now, "succeeded")
    now += 10.0
    for job in waiting[:60]:
        _found(pacer, job, now, "notStarted")
        now += 0.01
    assert pacer.line.trusted is in_order
    dropped = [d for d in pacer.queueing.decisions if d.what == "start line dropped"]
    assert len(dropped) == (0 if in_order else 1)


def test_one_job_the_service_holds_back_does_not_put_every_other_out_of_order() -> None:
    # First come first served, but the oldest job stays waiting (the service holds it back):
    # the jobs after it, found done long before, each contradict it alone. One job is not
    # an order: the line is kept.
    pacer = _pacer(max_jobs_in_flight=400)
    now, jobs = _queue_with_a_line(pacer)
    for _ in range(5):
        _found(pacer, jobs[0], now, "notStarted")
        now += 1.0
    for job in jobs[1:100]:
        _finish(pacer, job, now, 2.0)
        now += 0.01
    assert pacer.line.trusted


def _last_jobs(pacer: Pacer, count: int, duration: float) -> float:
    """A warm model (jobs of about `duration`), then `count` jobs in flight, sent together
    (their first polls fall due together), and nothing left to send; the time then."""
    now = _warm(pacer, duration) + pacer.settings.window  # (the budget's use faded)
    for _ in range(count):
        pacer.admitted(1000, now)
        job = pacer.job_accepted(now, now + 0.01)
        pacer.ask(Turn("poll", job), now)
    return now


def _polls_sent(pacer: Pacer, since: float, until: float) -> list[tuple[float, int]]:
    """When each poll goes between `since` and `until`, and its job, every job found running."""
    sent: list[tuple[float, int]] = []
    moment = since
    while moment < until:
        for turn in pacer.grant(moment):
            assert turn.kind == "poll"
            assert turn.job is not None
            sent.append((moment, turn.job.position))
            pacer.job_polled(turn.job, moment, moment + 0.01, status="running", finished=False)
            pacer.ask(Turn("poll", turn.job), moment)
        woken = pacer.next_decision(moment)
        assert woken is not None
        moment = max(woken, moment + 1e-6)
    return sent


def test_the_last_jobs_of_a_run_are_polled_evenly_on_requests_the_budget_leaves_idle() -> None:
    # 500 jobs of 20 s left at 1,000 requests a minute, sent together: their polls come due
    # in a crowd that takes the budget 30 s, and it would idle until then (a draw of the
    # family sent nothing for 20 s so). A share of the idle budget polls them early, evenly,
    # once each has lasted a quarter of a typical run.
    pacer = _pacer(window=60.0)
    now = _last_jobs(pacer, 500, 20.0)
    due = pacer._polls.next_due(now, False)
    assert due is not None
    assert due > now + 15.0
    sent = [moment for moment, _ in _polls_sent(pacer, now, due)]
    early = (due - now - 0.25 * 20.0) * pacer.budget.rate
    assert 0.2 * early <= len(sent) <= 0.5 * early + 1, (len(sent), early)
    assert sent[0] >= now + 0.25 * 20.0
    assert max(b - a for a, b in itertools.pairwise(sent)) < 0.5  # (evenly)


@pytest.mark.parametrize(
    ("count", "duration", "window"), [(5, 20.0, WINDOW), (12, 4.0, 60.0), (150, 10.0, 60.0)]
)
def test_a_few_jobs_left_are_polled_when_due_not_early(
    count: int, duration: float, window: float
) -> None:
    # The budget polls them all in less than a typical run whenever they fall due: the
    # same polls go at the same moments as with no early polls at all (a web backend's jobs
    # are not polled again and again before they are likely done: 12 jobs of 4 s took 34
    # GETs so, 12 when due).
    runs = []
    for early in (True, False):
        pacer = _pacer(window=window)
        if not early:
            pacer._chooser.drain_at = lambda now, scarce: None  # type: ignore[method-assign]
        now = _last_jobs(pacer, count, duration)
        runs.append(_polls_sent(pacer, now, now + 3.0 * duration))
    assert runs[0]
    assert runs[0] == runs[1]
