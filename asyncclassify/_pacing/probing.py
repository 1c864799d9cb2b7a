"""Which probe goes next: the cold probes while no job has finished (see `probes`), and start
probes, the poll of the newest job old enough to have started unless it waits in a queue."""

from __future__ import annotations

import math

from .durations import DurationModel
from .ledger import JobLedger
from .polls import PollQueue
from .probes import PROBES, STALE_TYPICALS, START_PROBE_GROWTH, ColdProbes
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
        self._probed_load = -1
        """The jobs in flight when the last start-probed job was submitted."""

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
        return self._cold.next(
            now, oldest, self._queue.started_age, self._start_probe_at, self.start_load()
        )

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

    def start_probe(self, now: float, per_typical: float, *, growing: bool) -> Turn | None:
        """The poll of the newest job old enough to have started unless it waits in a queue
        (at most `per_typical` such polls per typical duration; while our jobs in flight are
        `growing`, only of a job sent with `start_load()` of them or more, unless none went
        for `STALE_TYPICALS` typical durations)."""
        if not self._model.warm(now):
            return None
        typical = self._model.median(now)
        if now < self._start_probe_at + typical / per_typical:
            return None
        turn = self._polls.newest_fresh(now - self._queue.queued_after(typical))
        if turn is None or turn.job is None:
            return None
        stale = now >= self._start_probe_at + STALE_TYPICALS * typical
        if growing and turn.job.load < self.start_load() and not stale:
            return None
        self._mark_start_probe(turn, now)
        return turn

    def start_load(self) -> int:
        """The least load (jobs in flight at its submit) of a job worth a start probe while
        our jobs in flight grow: at least `START_PROBE_GROWTH` times the last one probed,
        and one more. A queue shows only once they outnumber its slots, so a probe tells
        something new only once they have grown since the last one (each costs a GET:
        probes spaced by time alone took one for every few submits where jobs start at
        once). Once submits wait on the jobs in flight, the load stays, and probes are
        spaced by time (a queue may form behind others' jobs), as they are once none has
        gone for a while (the load may have fallen and stayed)."""
        probed = self._probed_load
        return max(math.ceil(probed * START_PROBE_GROWTH), probed + 1)

    def _mark_start_probe(self, turn: Turn, now: float) -> None:
        assert turn.job is not None
        turn.job.start_probe = True
        self._start_probe_at = now
        self._probed_load = turn.job.load
