"""When each of our jobs starts to run while the service queues them first come, first served:
a line of starts, checked by every poll and dropped when polls contradict it too often."""

from __future__ import annotations

from .durations import JobTimes

MISS_MEMORY = 0.05
MIN_CHECKS = 30
MAX_MISSES = 0.3
"""The start line is dropped once more than this share of the polls lately (after this many,
remembered with this weight each) found a job where it did not say..."""
PROVEN_MISSES = 0.1
"""...and proven while at most this share did."""


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
        self, position: int, times: JobTimes, rate: float, *, started: bool, slack: float
    ) -> bool:
        """Whether a poll that found the job at `position` `started` (or not) agrees with
        the line, within `slack` seconds; it counts towards `trusted`. Call it before `seen`
        (the line alone predicts, not what polls told of this job)."""
        predicted = times.submitted_at
        if self.anchor is not None:
            anchored, at = self.anchor
            predicted = max(predicted, at + (position - anchored) / rate)
        polled = times.started_by if started else times.waiting_at
        missed = predicted > polled + slack if started else predicted < polled - slack
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
