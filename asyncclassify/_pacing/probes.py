"""Polls while no job has finished yet: find out how long jobs take, and whether they start.

Nothing is known of durations but a guess (`first_poll`), which may be ten times off either
way. Instead of polling every job at a guess, only the oldest few (`PROBES`) are polled, on a
ladder of ages: the first at a quarter of the guess (staggered between them), each next one
at twice the age the job was last seen unfinished. The first job found finished tells its
exact duration (the service's timestamps), and the duration model takes over.

Once a probe has seen how soon a job starts, "start probes" poll the newest job that should
have started by now unless it waits in a queue (one per two start latencies, and only of a
job sent with a quarter more jobs in flight than the last one probed): a service that queues
our jobs is seen before the first wave of submits has filled its queue.
"""

from __future__ import annotations

import math
from bisect import insort

from .queueing import QUEUED_AFTER_START
from .turns import Turn, position

PROBES = 4
"""Jobs polled while no job has finished (the oldest ones)."""
LADDER_START = 0.25
"""The first probe of a job comes at this fraction of the guessed duration..."""
LADDER_GROWTH = 2.0
"""...and each next one at this multiple of the age it was last seen unfinished."""
START_PROBE_GROWTH = 1.25
"""A start probe polls a job sent with at least this many times the jobs in flight that the
last start-probed job was sent with..."""
STALE_TYPICALS = 4.0
"""...or, once the duration model is warm, any job once none has gone for this many typical
durations."""


class ColdProbes:
    """The poll turns that wait while no job has finished, and which one goes next."""

    def __init__(self, guess: float) -> None:
        self.guess = guess
        self._turns: list[Turn] = []
        """Waiting turns, in the order their jobs were accepted."""

    def __bool__(self) -> bool:
        return bool(self._turns)

    def add(self, turn: Turn) -> None:
        """A poll turn starts to wait."""
        insort(self._turns, turn, key=position)

    def take_all(self) -> list[Turn]:
        """Every live turn still waiting (a job has finished: they become ordinary polls)."""
        turns = [turn for turn in self._turns if turn.live]
        self._turns = []
        return turns

    def take(self, turn: Turn) -> None:
        """`turn` was granted."""
        self._turns.remove(turn)

    def next(
        self,
        now: float,
        oldest: set[int],
        started_age: float,
        start_probe_at: float,
        start_load: int,
    ) -> tuple[Turn, float, bool] | None:
        """The probe to send next, when it is due, and whether it is a start probe.

        `oldest` are the positions of the oldest unfinished jobs, `started_age` the youngest
        age at which a job was seen started, `start_probe_at` when the last start probe left,
        `start_load` the least load of a job worth a start probe.
        """
        turns = self._turns = [turn for turn in self._turns if turn.live]
        best: Turn | None = None
        best_due = math.inf
        for turn in turns[:PROBES]:
            if position(turn) in oldest:
                due = self.ladder_due(turn)
                if due < best_due:
                    best, best_due = turn, due
        start = self._start_probe(now, started_age, start_probe_at, start_load)
        if start is not None and start[1] < best_due:
            return start[0], start[1], True
        if best is None:
            return None
        return best, best_due, False

    def ladder_due(self, turn: Turn) -> float:
        """When the probe of `turn`'s job is due on its ladder."""
        job = turn.job
        assert job is not None
        times = job.times
        if times.unfinished_at > times.submitted_at:
            # The age since the submit, not the running time: a queued job's ladder climbs too.
            return times.submitted_at + (times.unfinished_at - times.submitted_at) * LADDER_GROWTH
        stagger: float = LADDER_GROWTH ** ((job.position % PROBES) / PROBES)
        return times.submitted_at + self.guess * LADDER_START * stagger

    def _start_probe(
        self, now: float, started_age: float, start_probe_at: float, start_load: int
    ) -> tuple[Turn, float] | None:
        if started_age == math.inf:
            return None
        old_enough = now - QUEUED_AFTER_START * started_age
        earliest = start_probe_at + 2 * started_age
        # The oldest job not yet old enough sent with `start_load` or more in flight: the
        # first to become worth a probe, should the newest old enough not be.
        candidate: Turn | None = None
        for turn in reversed(self._turns):
            job = turn.job
            assert job is not None
            if job.polls:
                continue
            if job.times.submitted_at <= old_enough:
                if job.load >= start_load:
                    return turn, max(now, earliest)
                break  # (an older job was sent with fewer in flight)
            if job.load >= start_load:
                candidate = turn
        if candidate is None or candidate.job is None:
            return None
        return candidate, max(earliest, now + candidate.job.times.submitted_at - old_enough)
