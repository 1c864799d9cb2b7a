"""How many jobs of one resource may be in flight, from Little's law: the jobs per second the
budget allows (one submit and about one GET each) times how long a job is held, counted until
nearly every job has finished (`HELD_QUANTILE`), and three times that (`FRONT_LOAD`: submits
made while the first jobs run keep the budget busy, and at the end of a run the polls of the
jobs still in flight keep it busy while the slowest of them finish). Then capped by the
service's queue, if it queues our jobs (see `queueing`), by what the service keeps before it
forgets a job, and by the settings' jobs and bytes in flight. Pure logic, time passed in.
"""

from __future__ import annotations

import math

from .durations import DurationModel
from .ledger import JobLedger
from .meters import InFlight, RateMeter
from .pooling import Budget
from .probes import LADDER_GROWTH
from .queueing import QueueWatch
from .settings import (
    FRONT_LOAD,
    HELD_QUANTILE,
    IDLE_USE,
    LATENESS_WEIGHT,
    LIFETIME_SHARE,
    MIN_IN_FLIGHT,
    TYPICAL_LATENCY,
    PacingSettings,
)
from .throughput import ThroughputMeter
from .turns import Turn


class Capacity:
    """The jobs in flight of one resource, and how many may be."""

    def __init__(
        self,
        settings: PacingSettings,
        model: DurationModel,
        jobs: JobLedger,
        queue: QueueWatch,
        meter: ThroughputMeter,
        in_flight: InFlight,
    ) -> None:
        self.settings = settings
        self._model = model
        self._jobs = jobs
        self._queue = queue
        self._meter = meter
        self.in_flight = in_flight
        self.finishing = RateMeter(max(settings.window * 0.1, settings.first_poll))
        """How fast jobs finish lately."""
        self._lateness = 0.0
        """How long after a job finished its poll found it, lately (seconds)."""
        self._latency = math.inf
        """The least request round trip seen (drifting up slowly): what the network imposes."""
        self._latency_at = 0.0
        self._held = (-1, 0.0)
        """(model version, how long a job is held) as last computed."""
        self.lifetime = math.inf
        """The least age at which a job was found gone lately: the service forgets jobs that
        soon. It doubles every window without another such loss (one restart of the service
        must not hold the jobs in flight down for good)."""
        self._lost_at = 0.0

    # -- what it learns ----------------------------------------------------------------------

    def round_trip(self, sent_at: float, answered_at: float) -> None:
        """A request sent at `sent_at` was answered at `answered_at`."""
        # The least round trip seen, drifting up twofold per window: what the network imposes,
        # not the time requests queue in our own event loop when it is busy (counting that
        # would let more jobs in flight make room for still more).
        round_trip = max(0.0, answered_at - sent_at)
        if self._latency < math.inf:
            windows = min(50.0, (answered_at - self._latency_at) / self.settings.window)
            round_trip = min(round_trip, self._latency * 2.0**windows)
        self._latency = round_trip
        self._latency_at = answered_at

    def late(self, seconds: float) -> None:
        """A finished job's poll found it `seconds` after it finished."""
        self._lateness += (seconds - self._lateness) * LATENESS_WEIGHT

    def lost(self, age: float, now: float) -> None:
        """A poll at `now` found a job of `age` gone: the service keeps jobs no longer."""
        self.lifetime = min(self.lifetime_at(now), age)
        self._lost_at = now

    def lifetime_at(self, now: float) -> float:
        """How long the service keeps jobs, as far as we know at `now` (inf: no limit seen)."""
        if self.lifetime == math.inf:
            return math.inf
        return float(self.lifetime * 2.0 ** ((now - self._lost_at) / self.settings.window))

    # -- places ------------------------------------------------------------------------------

    def admit(self, size: int, now: float) -> None:
        """A batch of `size` bytes takes a place."""
        counts = self.in_flight
        counts.jobs += 1
        counts.bytes += size
        counts.peak_jobs = max(counts.peak_jobs, counts.jobs)
        self._meter.level(now, counts.jobs)

    def release(self, size: int, now: float) -> None:
        """A batch of `size` bytes has given all its results: its place is free."""
        self.in_flight.jobs -= 1
        self.in_flight.bytes -= size
        self._meter.level(now, self.in_flight.jobs)

    def room(self, turn: Turn, now: float, budget: Budget) -> bool:
        """Whether `turn` may go as far as the jobs in flight go (only an admitting submit
        takes a place)."""
        if not turn.admits:
            return True
        counts, settings = self.in_flight, self.settings
        if counts.jobs == 0:
            return True
        if counts.jobs >= settings.max_jobs_in_flight:
            return False
        if counts.bytes + turn.size > settings.max_bytes_in_flight:
            return False
        return counts.jobs < self.target(now, budget)

    # -- how many ----------------------------------------------------------------------------

    def target(self, now: float, budget: Budget) -> int:
        """How many jobs may be in flight now (before the settings' caps)."""
        # (A queue only suspected holds nothing back: slowing the jobs in flight until it is
        # confirmed cost a quarter of the throughput on services whose start spells simply
        # vary, and on short runs behind a real queue.)
        target = self.uncapped(now, budget)
        cap = self.jobs_cap(now)
        if cap is None:
            return target
        return max(MIN_IN_FLIGHT, min(target, math.ceil(cap)))

    def uncapped(self, now: float, budget: Budget) -> int:
        """What the budget and the durations ask for, before the queue's cap."""
        model = self._model
        jobs_per_second = budget.rate / (2.0 + (1.0 - self.settings.thrifty_quantile))
        if model.warm(now):
            if self._held[0] != model.version:
                self._held = (model.version, model.quantile(HELD_QUANTILE, now))
            held = self._held[1]
            if budget.utilization(now) < IDLE_USE:
                # The budget is far from binding: something else sets the pace (the service,
                # or our own CPU). Room for twice the jobs finishing now, not for the budget's.
                jobs_per_second = min(jobs_per_second, 2.0 * self.finishing.rate(now))
        else:
            # Nothing has finished: every job lasts at least as long as the oldest has.
            oldest = self._jobs.oldest()
            age = now - oldest.times.submitted_at if oldest is not None else 0.0
            held = max(self.settings.first_poll, age) * LADDER_GROWTH
        held += self._latency if self._latency < math.inf else TYPICAL_LATENCY
        target = max(MIN_IN_FLIGHT, math.ceil(FRONT_LOAD * jobs_per_second * held))
        lifetime = self.lifetime_at(now)
        if lifetime < math.inf:
            # Jobs wait their turn about (jobs in flight / jobs read per second): keep that
            # well within the time the service keeps them.
            readable = budget.rate / 2.0 * LIFETIME_SHARE * lifetime
            target = min(target, max(MIN_IN_FLIGHT, math.floor(readable)))
        return target

    def jobs_cap(self, now: float) -> float | None:
        """The most jobs in flight while the service queues ours (None when nothing caps
        them): the queue's cap on jobs at the service, and room for the jobs that have
        finished there and wait for their poll (as many as finish in the time a poll comes
        late, by Little's law; thrifty polls come late by design, and a place they hold
        must not be one the service could run a job in)."""
        cap = self._queue.cap
        if cap is None:
            return None
        # (At most as many again: what finishes late must not open the cap without end.)
        return cap + min(cap, self.finishing.rate(now) * self._lateness)

    def held_by_cap(self, now: float, budget: Budget) -> bool:
        """Whether the queue's cap, not the target or the settings, keeps jobs out."""
        cap = self.jobs_cap(now)
        if cap is None:
            return False
        jobs = self.in_flight.jobs
        if jobs < math.ceil(cap) or jobs >= self.settings.max_jobs_in_flight:
            return False
        return jobs < self.uncapped(now, budget)
