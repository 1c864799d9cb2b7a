"""Seeded fault injection: which request or job suffers which fault."""

from __future__ import annotations

import random

from .config import Faults


class FaultInjector:
    """Draws faults from one `random.Random(seed)`.

    Enabled faults are drawn in a fixed order per request, so a given seed,
    configuration and request sequence always yields the same faults. Counts of
    injected faults are kept by field name.
    """

    def __init__(self, faults: Faults, seed: int) -> None:
        self.faults = faults
        self.seed = seed
        self.rng = random.Random(seed)
        self.counts: dict[str, int] = {}

    def reset(self) -> None:
        """Reseed the generator and clear the counts."""
        self.rng = random.Random(self.seed)
        self.counts = {}

    def draw(self, name: str) -> bool:
        """Whether fault `name` strikes now (counted when it does)."""
        probability: float = getattr(self.faults, name)
        if probability <= 0:
            return False
        if self.rng.random() < probability:
            self.counts[name] = self.counts.get(name, 0) + 1
            return True
        return False

    def error_status(self) -> tuple[int, int | None]:
        """Status (500 or 503) and optional Retry-After seconds for an injected error."""
        status = 503 if self.rng.random() < 0.5 else 500
        with_retry_after = self.rng.random() < self.faults.retry_after_on_error
        return status, (self.rng.randint(1, 2) if with_retry_after else None)

    def pick(self, count: int) -> int:
        """An index in range(count)."""
        return self.rng.randrange(count)
