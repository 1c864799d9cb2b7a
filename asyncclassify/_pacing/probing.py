"""Which probe goes next: the cold probes while no job has finished (see `probes`), and start
probes, the poll of the newest job old enough to have started unless it waits in a queue."""

from __future__ import annotations

import math

from .durations import DurationModel
from .ledger import JobLedger
from .polls import PollQueue
from .probes import PROBES, ColdProbes
from .queueing import QueueWatch
from .turns import Turn


class Probing:
    """A pacer's probes: cold ones until the duration model is warm, start probes after."""

    def __init__(
        self,
        guess: float,
        model: DurationModel,
        polls: PollQueue,
        jobs: JobLedger,
        queue: QueueWatch,
    ) -> None:
        self._cold = ColdProbes(guess)
        self._model = model
        self._polls = polls
        self._jobs = jobs
        self._queue = queue
        self._start_probe_at = -math.inf
        """When the last start probe went."""

    def add(self, turn: Turn) -> None:
        """A poll turn asked for while no job has finished: it waits as a cold probe."""
        self._cold.add(turn)

    def next(self, now: float) -> tuple[Turn, float, bool] | None:
        """The next cold probe, when it is due and whether it is a start probe (None when
        none waits; once a job has finished, the waiting ones become ordinary polls)."""
        if not self._cold:
            return None
        if self._model.warm(now):
            # A job has finished: what waits as a probe becomes an ordinary poll.
            for turn in self._cold.take_all():
                self._polls.add(turn, now)
            return None
        oldest = self._jobs.oldest_positions(PROBES)
        return self._cold.next(now, oldest, self._queue.started_age, self._start_probe_at)

    def take(self, now: float) -> Turn | None:
        """The cold probe due now, if any (taken)."""
        probe = self.next(now)
        if probe is None or probe[1] > now:
            return None
        turn, _, start = probe
        self._cold.take(turn)
        turn.purpose = "probe"
        if start:
            self._mark_start_probe(turn, now)
        return turn

    def start_probe(self, now: float, per_typical: float) -> Turn | None:
        """The poll of the newest job old enough to have started unless it waits in a queue
        (at most `per_typical` such polls per typical duration)."""
        if not self._model.warm(now):
            return None
        typical = self._model.median(now)
        if now < self._start_probe_at + typical / per_typical:
            return None
        turn = self._polls.newest_fresh(now - self._queue.queued_after(typical))
        if turn is not None:
            self._mark_start_probe(turn, now)
        return turn

    def _mark_start_probe(self, turn: Turn, now: float) -> None:
        assert turn.job is not None
        turn.job.start_probe = True
        self._start_probe_at = now
