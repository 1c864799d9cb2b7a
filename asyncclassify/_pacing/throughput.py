"""How fast jobs finish for how many in flight: the evidence an in-flight cap is judged by.

Pure logic. Time is cut into periods; each records the jobs in flight averaged over it and
how many jobs finished in it. A period closes once it has lasted `span` seconds (set by the
pacer: long enough for jobs submitted in it to finish, and for a few dozen to) and the pacer
reads it. By Little's law the jobs finishing per second are the jobs in flight over the time
each spends there: where nothing queues behind our own jobs, fewer in flight finish fewer
(the rate follows the jobs in flight); where the service runs a fixed number of our jobs at
once, the rate stays put however many more wait.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, replace

HISTORY = 12
"""Periods kept."""


@dataclass(frozen=True, slots=True)
class Period:
    """What one period saw."""

    start: float
    end: float
    level: float
    """Jobs in flight, averaged over the period."""
    finished: int
    held: float = 0.0
    """The share of the period during which a cap held submits back."""

    @property
    def rate(self) -> float:
        """Jobs finished per second."""
        return self.finished / (self.end - self.start)

    def joined(self, later: Period) -> Period:
        """This period and the `later` one that follows it, as one."""
        ours, theirs = self.end - self.start, later.end - later.start
        span = ours + theirs
        if span <= 0:
            return replace(later, start=self.start, finished=self.finished + later.finished)
        return Period(
            self.start,
            later.end,
            (self.level * ours + later.level * theirs) / span,
            self.finished + later.finished,
            (self.held * ours + later.held * theirs) / span,
        )

    def rate_below(self, other: Period, share: float) -> bool:
        """Whether this period's rate is surely below `share` of `other`'s (beyond what the
        counts' own noise explains, at about two standard deviations)."""
        ours, theirs = self.rate, share * other.rate
        noise = math.sqrt(
            max(self.finished, 1) / (self.end - self.start) ** 2
            + share**2 * max(other.finished, 1) / (other.end - other.start) ** 2
        )
        return ours + 2.0 * noise < theirs

    def rate_above(self, other: Period, share: float) -> bool:
        """Whether this period's rate is surely above `share` of `other`'s."""
        return other.rate_below(self, 1.0 / share)


@dataclass(slots=True)
class _Bin:
    start: float
    end: float = math.inf
    level: float = 0.0
    finished: int = 0
    held: float = 0.0


class ThroughputMeter:
    """Periods of (jobs in flight, jobs finished), each read once the jobs that finished in
    it have most likely all been seen.

    A job counts in the period in which the service says it finished, not the one in which a
    poll found it finished: how soon polls come must not read as how fast jobs finish. So a
    period is read only once every job that could have finished in it is known to have
    finished, or to have been unfinished at its end (the pacer tells when that is).
    """

    def __init__(self) -> None:
        self.span = 0.0
        """How long a period lasts at least (set by the pacer as each one ends: the first
        ends at once)."""
        self.periods: deque[Period] = deque(maxlen=HISTORY)
        """Periods read, oldest first."""
        self._bins: deque[_Bin] = deque()
        """Periods not read yet, oldest first; the last one is the open one."""
        self._area = 0.0
        self._level = 0
        self._level_at = 0.0
        self._held_time = 0.0
        self._held_since: float | None = None

    def level(self, now: float, jobs: int) -> None:
        """The jobs in flight are `jobs` from `now` on."""
        if not self._bins:
            self._bins.append(_Bin(now))
            self._level_at = now
        self._area += self._level * (now - self._level_at)
        self._level, self._level_at = jobs, now

    def hold(self, now: float, held: bool) -> None:
        """Whether a cap holds submits back from `now` on."""
        since = self._held_since
        if held and since is None:
            self._held_since = now
        elif not held and since is not None:
            self._held_time += now - since
            self._held_since = None

    def finished(self, at: float) -> None:
        """A job finished at `at` (on our clock)."""
        for period in reversed(self._bins):
            if period.start <= at:
                if at < period.end:
                    period.finished += 1
                return

    def due(self, now: float, known_until: float) -> bool:
        """Whether `roll` has something to do at `now`."""
        bins = self._bins
        if not bins:
            return False
        return (len(bins) > 1 and bins[0].end <= known_until) or now - bins[-1].start >= self.span

    def roll(self, now: float, known_until: float) -> list[Period]:
        """Close the open period if it has lasted its span; the periods that may be read
        now, oldest first: those that ended by `known_until`, when every job's state was
        known."""
        bins = self._bins
        if not bins:
            return []
        current = bins[-1]
        if now - current.start >= self.span:
            self.level(now, self._level)
            if self._held_since is not None:
                self._held_time += now - self._held_since
                self._held_since = now
            span = now - current.start
            current.end = now
            current.level = self._area / span if span > 0 else 0.0
            current.held = self._held_time / span if span > 0 else 0.0
            self._area = self._held_time = 0.0
            bins.append(_Bin(now))
        read: list[Period] = []
        while len(bins) > 1 and bins[0].end <= known_until:
            done = bins.popleft()
            period = Period(done.start, done.end, done.level, done.finished, done.held)
            self.periods.append(period)
            read.append(period)
        return read
