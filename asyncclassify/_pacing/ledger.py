"""The jobs of one resource not finished yet, in the order they were accepted, and how far
each one's state is known (until when it was seen unfinished)."""

from __future__ import annotations

import heapq
import itertools
from collections import deque
from collections.abc import Iterator

from .durations import JobTimes
from .turns import PolledJob

KNOWN_SLACK = 4
"""The index of what is known of each job is rebuilt once it holds this many entries per
unfinished job."""


class JobLedger:
    """Unfinished jobs, oldest first (finished ones are dropped from the front as they
    surface), and an index of how far each one's state is known."""

    def __init__(self) -> None:
        self._unfinished: deque[PolledJob] = deque()
        self._positions = itertools.count()
        self._known: list[tuple[float, int, PolledJob]] = []
        """(the later of a job's submit and the last poll that found it unfinished, its
        position, the job); entries made stale by later polls are skipped."""

    def add(self, times: JobTimes, *, load: int) -> PolledJob:
        """A job just accepted, with `load` jobs in flight: its record, next in order."""
        job = PolledJob(times, next(self._positions), load=load)
        self._unfinished.append(job)
        self.know(job)
        return job

    def __iter__(self) -> Iterator[PolledJob]:
        """Every job not yet dropped, oldest first (some may have finished)."""
        return iter(self._unfinished)

    @property
    def notes(self) -> int:
        """Entries in the index of how far each job is known (stale ones included)."""
        return len(self._known)

    @staticmethod
    def _known_at(job: PolledJob) -> float:
        """Until when `job` is known to have been unfinished (it did not exist before its
        submit)."""
        return max(job.times.submitted_at, job.times.unfinished_at)

    def know(self, job: PolledJob) -> None:
        """Note until when `job`'s state is known; entries made stale by later polls are
        dropped as they surface, and all at once should they pile up behind a long job."""
        known = self._known
        heapq.heappush(known, (self._known_at(job), job.position, job))
        if len(known) > KNOWN_SLACK * (len(self._unfinished) + 1):
            live = {
                entry[2].position: entry
                for entry in known
                if not entry[2].finished and entry[0] >= self._known_at(entry[2])
            }
            self._known = list(live.values())
            heapq.heapify(self._known)

    def known_until(self, now: float) -> float:
        """Until when every job's state is known: whether it finished and when."""
        known = self._known
        while known:
            at, _, job = known[0]
            if not job.finished and at >= self._known_at(job):
                return at
            heapq.heappop(known)
        return now

    def oldest_positions(self, count: int) -> set[int]:
        """The positions of the `count` oldest unfinished jobs."""
        positions: set[int] = set()
        for job in self._unfinished:
            if not job.finished:
                positions.add(job.position)
                if len(positions) == count:
                    break
        return positions

    def oldest(self) -> PolledJob | None:
        """The oldest unfinished job (None when every job has finished)."""
        unfinished = self._unfinished
        while unfinished and unfinished[0].finished:
            unfinished.popleft()
        return unfinished[0] if unfinished else None
