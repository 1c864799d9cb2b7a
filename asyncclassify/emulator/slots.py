"""The jobs of one key that may run at once, and when each waiting job gets to start.

With at most `capacity` jobs running, the others stay `notStarted` until a slot frees. First
come first served, a job's start is known the moment it is created; picked up in no order (as
shared workers may), it is known only once its turn has come: `advance(now)` plays the slots
forward to `now` before anyone looks at a job.
"""

from __future__ import annotations

import heapq
import itertools
import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial


@dataclass(eq=False, slots=True)
class Slot:
    """One job's claim on a slot: ready to run at `ready`, for `duration` seconds of work at
    the usual pace, which `pace` turns into seconds run once it starts."""

    ready: float
    duration: float
    on_start: Callable[[float, Callable[[float], float]], None] | None = None
    """Called once the start is known, with it and what turns work begun then (seconds at
    the usual pace) into seconds run."""
    pace: Callable[[float, float], float] | None = None
    """Seconds a job that starts at a given moment runs to do a given amount of work."""
    start: float = math.inf

    def started(self, at: float) -> None:
        """The job starts at `at` (its `duration` is now what it runs)."""
        self.start = at
        pace = self.pace
        run: Callable[[float], float] = _as_is if pace is None else partial(pace, at)
        self.duration = run(self.duration)
        if self.on_start is not None:
            self.on_start(at, run)


def _as_is(work: float) -> float:
    return work


class FifoSlots:
    """First come first served: each job, in the order they come, takes the slot that frees
    first, and starts when that slot is free and the job is ready."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._free_at: list[float] = [-math.inf] * capacity
        """When each slot is free (a heap)."""

    def add(self, slot: Slot) -> Slot:
        """A new job claims a slot (its start is known at once)."""
        start = max(slot.ready, heapq.heappop(self._free_at))
        slot.started(start)
        heapq.heappush(self._free_at, start + slot.duration)
        return slot

    def advance(self, now: float) -> None:
        """Nothing to play forward: every start is known."""


class RandomSlots:
    """Waiting jobs are picked at random when a slot frees (`advance` before reading)."""

    def __init__(self, capacity: int, rng: random.Random) -> None:
        self.capacity = capacity
        self._rng = rng
        self._clock = -math.inf
        self._running: list[float] = []
        """End times of the jobs running."""
        self._pending: list[tuple[float, int, Slot]] = []
        """Jobs not ready yet, by when they will be."""
        self._ready: list[Slot] = []
        """Jobs ready and waiting for a slot."""
        self._order = itertools.count()

    def add(self, slot: Slot) -> Slot:
        """A new job claims a slot (its start is known once `advance` reaches it)."""
        heapq.heappush(self._pending, (slot.ready, next(self._order), slot))
        self.advance(slot.ready if slot.ready <= self._clock else self._clock)
        return slot

    def advance(self, now: float) -> None:
        """Start every job whose turn comes by `now`."""
        running, pending, ready = self._running, self._pending, self._ready
        moment = self._clock
        while True:
            while pending and pending[0][0] <= moment:
                ready.append(heapq.heappop(pending)[2])
            while running and running[0] <= moment:
                heapq.heappop(running)
            while ready and len(running) < self.capacity:
                index = self._rng.randrange(len(ready))
                ready[index], ready[-1] = ready[-1], ready[index]
                slot = ready.pop()
                slot.started(moment)
                heapq.heappush(running, moment + slot.duration)
            upcoming = math.inf
            if running and ready:
                upcoming = running[0]
            if pending:
                upcoming = min(upcoming, pending[0][0])
            if upcoming > now:
                break
            moment = upcoming
        self._clock = max(self._clock, now)


Slots = FifoSlots | RandomSlots


def make_slots(capacity: int, pickup: str, rng: random.Random) -> Slots:
    """Slots for `capacity` running jobs, picked up as `pickup` says ("fifo" or "random")."""
    if pickup == "random":
        return RandomSlots(capacity, rng)
    return FifoSlots(capacity)
