"""When each of our jobs starts to run while the service queues them first come, first served:
a line of starts, checked by every poll and dropped when polls contradict it too often."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable

from .durations import JobTimes

MISS_MEMORY = 0.05
MIN_CHECKS = 30
MAX_MISSES = 0.3
"""The start line is dropped once more than this share of the polls lately (after this many,
remembered with this weight each) found a job where it did not say..."""
PROVEN_MISSES = 0.1
"""...and proven while at most this share did."""
ORDER_MEMORY = 512
"""Polls lately that tell whether jobs start in the order we sent them (the jobs found
started, and those found waiting: so many of each)."""
AUDIT_STARTS = 20
"""The line is judged by its effect over the time it says this many of our jobs start (at
least a poll's lag from a job's start)..."""
LAG_TYPICALS = 2.0
"""...a lag taken as the duration by which polls find jobs finished, at most this many
typical durations (a model that counts the waits of a queue in no order is no measure)."""
AUDIT_SHORTFALL = 0.25
"""...and found short if polls found fewer than this share of that many finished: the polls
it held back are owed, and go early (their answers then check the line job by job)."""


class OrderWatch:
    """Whether our jobs start in the order we sent them, as polls lately tell: a job found
    waiting while two sent after it had started, or found started while two sent before it
    waited, cannot have started first come first served. (Two: one job the service holds
    back must not put every other out of order.) Polls go in a line's order, and the line
    moves to each job polled, so the line alone cannot tell: each poll agrees with the one
    before."""

    def __init__(self) -> None:
        self._started: deque[tuple[int, float]] = deque(maxlen=ORDER_MEMORY)
        """(position, started by) of jobs found started lately."""
        self._waiting: deque[tuple[int, float]] = deque(maxlen=ORDER_MEMORY)
        """(position, waiting at) of jobs found waiting lately."""

    def contradicts(self, position: int, at: float, *, started: bool, slack: float) -> bool:
        """Whether a poll that found the job at `position` started by `at` (or waiting at
        `at`) puts it out of order with the jobs polled lately, by more than `slack`
        seconds."""
        if started:
            return _two_jobs(p for p in self._waiting if p[0] < position and p[1] > at + slack)
        return _two_jobs(p for p in self._started if p[0] > position and p[1] < at - slack)

    def note(self, position: int, at: float, *, started: bool) -> None:
        """A poll found the job at `position` started by `at` (or waiting at `at`)."""
        (self._started if started else self._waiting).append((position, at))


def _two_jobs(sightings: Iterable[tuple[int, float]]) -> bool:
    """Whether `sightings` name at least two jobs."""
    first: int | None = None
    for position, _ in sightings:
        if first is None:
            first = position
        elif position != first:
            return True
    return False


class StartLine:
    """When each of our jobs starts to run while the service queues them.

    First come first served, our jobs start in the order they were submitted, one every
    `1 / rate` seconds while the queue lasts (`rate`: how fast jobs finish, which is how fast
    queued ones start): a line through an anchor (a position, its start time) of slope
    `1 / rate`, floored by when each job was submitted (a job starts only once it exists) and
    bounded by what polls saw of it: each poll moves the anchor to the job it polled, where
    the line passes unless the poll contradicts it (the job seen waiting where the line says
    it runs, or started where it says it waits).
    """

    def __init__(self) -> None:
        self.anchor: tuple[int, float] | None = None
        self.misses = 0.0
        """How often polls lately found a job where the line did not say it would be (a
        fading share)."""
        self.checked = 0
        self.trusted = True
        """False once polls contradict it too often: the service does not start our jobs
        in the order we sent them (shared workers picking them up in no order, or another
        client's jobs between ours)."""

    @property
    def proven(self) -> bool:
        """Whether polls have borne the line out: enough of them, and few misses lately (only
        then may polls be thrifty on its word)."""
        return self.trusted and self.checked >= MIN_CHECKS and self.misses <= PROVEN_MISSES

    def check(
        self,
        position: int,
        times: JobTimes,
        rate: float,
        *,
        started: bool,
        slack: float,
        out_of_order: bool = False,
    ) -> bool:
        """Whether a poll that found the job at `position` `started` (or not) agrees with
        the line, within `slack` seconds, and with first come first served (not
        `out_of_order`); it counts towards `trusted`. Call it before `seen` (the line alone
        predicts, not what polls told of this job)."""
        predicted = times.submitted_at
        if self.anchor is not None:
            anchored, at = self.anchor
            predicted = max(predicted, at + (position - anchored) / rate)
        polled = times.started_by if started else times.waiting_at
        missed = predicted > polled + slack if started else predicted < polled - slack
        missed = missed or out_of_order
        self.misses += ((1.0 if missed else 0.0) - self.misses) * MISS_MEMORY
        self.checked += 1
        if self.checked >= MIN_CHECKS and self.misses > MAX_MISSES:
            self.trusted = False
        return not missed

    def start_of(self, position: int, times: JobTimes, rate: float) -> float:
        """When the job at `position` starts (or started), as far as the line and its own
        polls tell."""
        start = max(times.submitted_at, times.waiting_at)
        if self.anchor is not None:
            anchored, at = self.anchor
            start = max(start, at + (position - anchored) / rate)
        return max(times.submitted_at, min(start, times.started_by))

    def seen(self, position: int, times: JobTimes, rate: float) -> None:
        """A poll told something of the job at `position` (its `times` updated already)."""
        self.anchor = (position, self.start_of(position, times, rate))


class LineAudit:
    """Whether a line that holds polls back is borne out by its effect: over a span in
    which it says a number of our jobs start, polls should find about as many finished, a
    poll's lag later (a job polled once it is most likely finished is found so long after it
    started). A line that is wrong (a queue in no order, a start rate too slow), or a
    duration model that still counts the queue's waits, pushes the polls of jobs the service
    has done with into the future, and then no poll contradicts it: only the results missing
    tell. Pure logic, time passed in."""

    def __init__(self) -> None:
        self.since: float | None = None
        """When the span being judged began (None: nothing judged now)."""
        self._results = 0
        self._lag = 0.0
        self.due_at = 0.0
        """When the span being judged ends."""

    def stop(self) -> None:
        """Nothing to judge now (a span begins afresh next time)."""
        self.since = None

    def roll(self, now: float, results: int, rate: float) -> None:
        """A span ended with the budget busy: it is not judged (polls the budget held back
        are no fault of the line), and the next follows on (no lag behind it)."""
        self.since, self._results, self._lag = now, results, 0.0
        self.due_at = now + AUDIT_STARTS / max(rate, 1e-9)

    def judge(
        self, now: float, results: int, rate: float, lag: float, in_flight: int
    ) -> tuple[int, float, float] | None:
        """With `results` jobs found finished so far, the line's `rate` of starts, the `lag`
        from a job's start to its poll and the jobs in flight: (jobs found finished, jobs
        the line says a poll should have found finished, seconds) once a span ends short of
        the line, else None."""
        if self.since is None or rate <= 0:
            # A first span: the jobs the line says start now are found finished a lag later.
            self.since, self._results, self._lag = now, results, lag
            self.due_at = now + lag + AUDIT_STARTS / max(rate, 1e-9)
            return None
        if now < self.due_at:
            return None
        span = now - self.since
        seen = results - self._results
        expected = min(rate * (span - self._lag), float(in_flight))
        # The next span follows on: its results are of jobs the line says started a lag
        # before, already under way.
        self.since, self._results, self._lag = now, results, 0.0
        self.due_at = now + AUDIT_STARTS / rate
        if seen < AUDIT_SHORTFALL * expected:
            return seen, expected, span
        return None
