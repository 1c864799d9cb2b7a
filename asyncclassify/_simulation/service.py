"""A simulated service, in virtual time: job durations, a running-job limit, the rate window.

It answers what the real service would at the moment a request arrives: a 429 with
`Retry-After` when the key's sliding window is full, a created job, or a job's status with
the service's timestamps. Durations come from the emulator's own `Timing` law, so that the
simulation and the emulator describe one service.
"""

from __future__ import annotations

import math
import random
from collections import deque
from dataclasses import dataclass

from ..emulator.config import RateLimit, Timing
from ..emulator.slots import Slot, Slots, make_slots

WALL_EPOCH = 1_790_000_000.37
"""The service's wall clock at virtual time 0 (a fractional second, as real clocks have)."""


@dataclass(slots=True)
class SimulatedJob:
    """A job on the simulated service (its start and finish are known once it starts)."""

    created: float
    slot: Slot

    @property
    def start(self) -> float:
        """When it starts (inf until its turn has come)."""
        return self.slot.start

    @property
    def finish(self) -> float:
        """When its last task finishes (inf until it starts)."""
        return self.slot.start + self.slot.duration


@dataclass(frozen=True, slots=True)
class Throttled:
    """A 429."""

    retry_after: float


@dataclass(frozen=True, slots=True)
class Created:
    """A 202: the job, and its `createdDateTime` (whole seconds, epoch)."""

    job: SimulatedJob
    created_wall: float


@dataclass(frozen=True, slots=True)
class Status:
    """A job GET: its status, and when a finished job finished (epoch, the service's clock)."""

    status: str
    finished_wall: float | None


class SimulatedService:
    """One resource: one rate window per key and a job store timed by `timing`."""

    def __init__(
        self,
        timing: Timing,
        rate_limit: RateLimit,
        *,
        documents_per_job: int,
        seed: int | str,
        tasks: int = 1,
    ) -> None:
        self.timing = timing
        self.rate_limit = rate_limit
        self.documents_per_job = documents_per_job
        self.tasks = tasks
        """Tasks per job: each runs its own duration, the job ends with the last."""
        self._rng = random.Random(f"{seed}:service")
        self._window: deque[float] = deque()
        span = rate_limit.prefill_seconds or rate_limit.per_seconds
        if rate_limit.prefill:
            step = span / rate_limit.prefill
            self._window.extend(-span + step * (i + 1) for i in range(rate_limit.prefill))
        self._slots: Slots | None = None
        if timing.max_running_jobs:
            pickup = random.Random(f"{seed}:pickup")
            self._slots = make_slots(timing.max_running_jobs, timing.pickup, pickup)
        self._first_created: float | None = None
        self.requests = 0
        self.throttled = 0
        self.jobs = 0

    def admit(self, now: float) -> Throttled | None:
        """The rate window's verdict on a request arriving at `now`."""
        self.requests += 1
        limit = self.rate_limit
        horizon = now - limit.per_seconds
        window = self._window
        while window and window[0] <= horizon:
            window.popleft()
        if len(window) >= limit.requests:
            self.throttled += 1
            return Throttled(limit.retry_after(window[-limit.requests] - horizon))
        window.append(now)
        return None

    def create(self, now: float) -> Created:
        """A job submitted at `now` (already admitted)."""
        self.jobs += 1
        if self._first_created is None:
            self._first_created = now
        timing = self.timing
        factor = timing.job_factor(self._rng)
        duration = factor * max(
            timing.task_duration(self.documents_per_job, self._rng) for _ in range(self.tasks)
        )
        slot = Slot(
            now + timing.start_spell(self._rng),
            duration,
            pace=timing.pace_after(self._first_created),
        )
        if self._slots is None:
            slot.started(slot.ready)
        else:
            self._slots.add(slot)
        job = SimulatedJob(now, slot)
        return Created(job, float(math.floor(now + WALL_EPOCH)))

    def status(self, job: SimulatedJob, now: float) -> Status:
        """What a GET arriving at `now` finds."""
        if self._slots is not None:
            self._slots.advance(now)
        if now < job.start:
            return Status("notStarted", None)
        if now < job.finish:
            return Status("running", None)
        return Status("succeeded", job.finish + WALL_EPOCH)
