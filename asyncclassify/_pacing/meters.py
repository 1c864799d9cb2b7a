"""Small meters of a pacer: events per second lately, and the batches in flight."""

from __future__ import annotations

import math
from dataclasses import dataclass


class RateMeter:
    """Events per second lately: an exponentially fading count over `memory` seconds
    (counted from the first event when `since_first`, not from time 0)."""

    def __init__(self, memory: float, *, since_first: bool = False) -> None:
        self.memory = memory
        self._count = 0.0
        self._at = 0.0
        self._since_first = since_first
        self._first: float | None = None

    def tick(self, now: float) -> None:
        """One event at `now`."""
        if self._first is None:
            self._first = now
        self._count = self._count * math.exp(-(now - self._at) / self.memory) + 1.0
        self._at = now

    def rate(self, now: float) -> float:
        """Events per second lately."""
        count = self._count * math.exp(-(now - self._at) / self.memory)
        if self._since_first and self._first is not None:
            # Early on, the count has had less than `memory` to build up: divide by what it had.
            span = self.memory * -math.expm1(-(now - self._first) / self.memory)
            return count / span if span > 0 else 0.0
        return count / self.memory


@dataclass(slots=True)
class InFlight:
    """Batches admitted and not yet given all their results."""

    jobs: int = 0
    bytes: int = 0
    peak_jobs: int = 0
