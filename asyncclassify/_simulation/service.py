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
from ..emulator.jobs import RunningSlots

WALL_EPOCH = 1_790_000_000.37
"""The service's wall clock at virtual time 0 (a fractional second, as real clocks have)."""


@dataclass(slots=True)
class SimulatedJob:
    """A job on the simulated service."""

    created: float
    start: float
    finish: float


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
        self, timing: Timing, rate_limit: RateLimit, *, documents_per_job: int, seed: int
    ) -> None:
        self.timing = timing
        self.rate_limit = rate_limit
        self.documents_per_job = documents_per_job
        self._rng = random.Random(f"{seed}:service")
        self._window: deque[float] = deque()
        span = rate_limit.prefill_seconds or rate_limit.per_seconds
        if rate_limit.prefill:
            step = span / rate_limit.prefill
            self._window.extend(-span + step * (i + 1) for i in range(rate_limit.prefill))
        self._slots = RunningSlots(timing.max_running_jobs) if timing.max_running_jobs else None
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
        duration = timing.task_duration(
            self.documents_per_job, self._rng, now - self._first_created
        )
        ready = now + timing.queue_delay
        start = ready if self._slots is None else self._slots.start_time(ready, duration)
        job = SimulatedJob(now, start, start + duration)
        return Created(job, float(math.floor(now + WALL_EPOCH)))

    def status(self, job: SimulatedJob, now: float) -> Status:
        """What a GET arriving at `now` finds."""
        if now < job.start:
            return Status("notStarted", None)
        if now < job.finish:
            return Status("running", None)
        return Status("succeeded", job.finish + WALL_EPOCH)
