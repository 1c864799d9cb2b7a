"""Whether the service queues our jobs, and how many to keep in flight when it does. Pure logic.

A job stays `notStarted` for a moment after it is created; one still `notStarted` long after
that waits in a queue behind others. Then more jobs in flight would only wait longer: every
duration grows (and the learnt durations with them), not the throughput.

The first job found queued caps the jobs in flight: first come first served, every job running
then was submitted before it, so at most the unfinished jobs ahead of it run; the cap leaves
room for a short queue. From then on the cap is steered by "start probes", polls of young jobs
at the age a job has started by unless it waits in a queue: each one found queued lowers the
cap a little, each one found started raises it as much, so that about half of them wait, and
the service always has a short queue of our jobs to start next (and is never idle). The cap
counts the jobs at the service (queued or running), not those most likely finished and not
polled yet: thrifty polls find finished jobs late, and those must not keep the queue empty.

While the service queues them, our jobs' durations count from when they are estimated to
start running, not from their submits (`StartLine`). Counted from the submits, durations grow
with the queue, so do the jobs counted as still at the service, and the queue with them; polls
come late when the queue drains (at the end of a run) and early when it fills. The estimate
errs early (it rests on bounds: a job starts once submitted, and after a poll found it
waiting), so part of the wait is still counted, but no longer feeds on itself.
"""

from __future__ import annotations

import math
from collections import deque

from .durations import JobTimes

QUEUED_AFTER = 1.0
"""A job still `notStarted` at this fraction of a typical duration is waiting in a queue..."""
QUEUED_AFTER_START = 3.0
"""...or at this multiple of the youngest age at which jobs have been seen started."""
ROOM = 2.0
"""The first cap, in multiples of the unfinished jobs ahead of the first job found queued."""
EXTRA = 2
STEP = 0.05
"""How far one start probe moves the cap (a fraction of it, down or up)."""
BINDING = 0.9
"""Probes say something about the cap only while the jobs in flight are near it."""
MIN_CAP = 2.0
BASE_WINDOWS = 5
"""The typical duration without a queue is the least seen over this many rate windows."""


class QueueWatch:
    """Learns from the statuses polls find whether the service queues jobs, and steers a cap
    on the jobs in flight when it does."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._typicals: deque[tuple[float, float]] = deque()
        """(window start, least typical duration seen in it), oldest first."""
        self.started_age = math.inf
        """The youngest age at which a poll found a job started (running or finished)."""
        self.cap: float | None = None
        """The most jobs worth having in flight, once a queue has been seen (else None)."""
        self.queued_seen = 0

    def queued_after(self, typical: float) -> float:
        """The age beyond which a `notStarted` job is waiting in a queue (`typical` being the
        typical duration now; a queue makes it longer, so the least of recent windows is
        what counts)."""
        base = self.base(typical)
        return max(QUEUED_AFTER * base, QUEUED_AFTER_START * min(self.started_age, base))

    def base(self, typical: float) -> float:
        """The typical duration without a queue: the least of recent windows' (`typical`
        being the model's now)."""
        return min([typical, *(least for _, least in self._typicals)])

    def typical_seen(self, typical: float, now: float) -> None:
        """The model's typical duration at `now` (only the least of each window is kept)."""
        slot = now - now % self.window
        typicals = self._typicals
        if typicals and typicals[-1][0] == slot:
            if typical < typicals[-1][1]:
                typicals[-1] = (slot, typical)
        else:
            typicals.append((slot, typical))
        while typicals and typicals[0][0] < slot - BASE_WINDOWS * self.window:
            typicals.popleft()

    def observed(self, *, queued: bool, in_flight: int, ahead: int) -> None:
        """A start probe found its job `queued` or started, or another first poll found one
        queued; `in_flight` jobs were in flight, `ahead` of them unfinished and submitted
        before this one (needed only for the first job found queued)."""
        if queued:
            self.queued_seen += 1
        cap = self.cap
        if cap is None:
            if queued:
                self.cap = max(MIN_CAP, min(float(in_flight), ROOM * ahead + EXTRA))
            return
        if not BINDING * cap <= in_flight <= cap + 1:
            # Below it, the cap does not hold the work back; above it, the queue is what was
            # sent before the cap (which already stops submits): nothing to learn about it.
            return
        self.cap = max(MIN_CAP, cap * (1.0 - STEP if queued else 1.0 + STEP))


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

    def start_of(self, position: int, times: JobTimes, rate: float) -> float:
        """When the job at `position` starts (or started), as far as the line and its own
        polls tell."""
        start = max(times.submitted_at, times.waiting_at)
        if self.anchor is not None:
            anchored, at = self.anchor
            start = max(start, at + (position - anchored) / rate)
        return min(start, times.started_by)

    def seen(self, position: int, times: JobTimes, rate: float) -> None:
        """A poll told something of the job at `position` (its `times` updated already)."""
        self.anchor = (position, self.start_of(position, times, rate))
