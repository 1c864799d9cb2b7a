"""The service's clock on ours: its timestamps (epoch seconds, whole seconds) converted to the
local monotonic clock."""

from __future__ import annotations

from collections import deque

SETTLED_SAMPLES = 30
"""Jobs whose `createdDateTime` must have been seen before the clocks' offset is trusted to
time one job against another."""


class ServiceClock:
    """Converts the service's timestamps (epoch seconds) to the local monotonic clock.

    `createdDateTime` has whole seconds only, but the moment a job was created is known on our
    side to within the submit's round trip: averaged over many jobs, (created + 0.5 - our
    submit midpoint) estimates the offset between the two clocks, to a few hundredths of a
    second after a few dozen jobs.
    """

    def __init__(self, memory: int = 200) -> None:
        self._samples: deque[float] = deque(maxlen=memory)
        self._sum = 0.0

    @property
    def known(self) -> bool:
        """Whether any job has told the offset yet."""
        return bool(self._samples)

    @property
    def settled(self) -> bool:
        """Whether enough jobs have told the offset for it to be right to a tenth of a
        second or so (each tells it only to the second)."""
        return len(self._samples) >= SETTLED_SAMPLES

    def observe_created(self, created_wall: float, submitted_wall: float) -> None:
        """A job created at `created_wall` (service, whole seconds) that we submitted at
        `submitted_wall` (our wall clock, the submit's midpoint)."""
        if len(self._samples) == self._samples.maxlen:
            self._sum -= self._samples[0]
        sample = created_wall + 0.5 - submitted_wall
        self._samples.append(sample)
        self._sum += sample

    def offset(self) -> float:
        """Service wall clock minus ours (0 until a job has told)."""
        return self._sum / len(self._samples) if self._samples else 0.0
