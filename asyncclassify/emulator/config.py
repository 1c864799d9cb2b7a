"""Configuration of the emulator: projects, timing, rate limit and fault injection."""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal, get_args

from .model import DEMO_ENTITY_CATEGORIES, DEMO_MULTI_LABELS, DEMO_SINGLE_LABELS

ProjectKind = Literal["single", "multi", "entities"]
Spread = Literal["uniform", "lognormal", "loglogistic"]
SPREADS: tuple[str, ...] = get_args(Spread)
Pickup = Literal["fifo", "random"]
PICKUPS: tuple[str, ...] = get_args(Pickup)

_DEMO_LABELS: dict[str, tuple[str, ...]] = {
    "single": tuple(DEMO_SINGLE_LABELS),
    "multi": tuple(DEMO_MULTI_LABELS),
    "entities": tuple(DEMO_ENTITY_CATEGORIES),
}


@dataclass(frozen=True, slots=True)
class Project:
    """A deployed custom model: a project name, a deployment name and its label set.

    `labels` defaults to the demo labels of the kind; `model_id` (the
    v3.1-preview.ct.1 `modelId`) defaults to ``f"{name}-{deployment}"``.
    """

    name: str
    deployment: str
    kind: ProjectKind
    labels: tuple[str, ...] = ()
    language: str = "en"
    model_id: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in _DEMO_LABELS:
            raise ValueError(f"unknown project kind {self.kind!r}")
        if not self.labels:
            object.__setattr__(self, "labels", _DEMO_LABELS[self.kind])
        if self.model_id is None:
            object.__setattr__(self, "model_id", f"{self.name}-{self.deployment}")


@dataclass(frozen=True, slots=True)
class RateLimit:
    """At most `requests` requests per sliding window of `per_seconds`, per key.

    `prefill` requests are already in the window of the emulator's key when it starts (or is
    reset), as if another client had sent them evenly over the last `prefill_seconds`
    (default: the whole window) before that. `retry_after_unit` is the step of `Retry-After`
    values: whole seconds, as the service sends, or less for a time-scaled window.
    """

    requests: int = 1000
    per_seconds: float = 60.0
    prefill: int = 0
    prefill_seconds: float | None = None
    retry_after_unit: float = 1.0

    def __post_init__(self) -> None:
        if self.requests < 1 or self.per_seconds <= 0:
            raise ValueError("a rate limit needs requests >= 1 and per_seconds > 0")
        if self.prefill < 0 or self.retry_after_unit <= 0:
            raise ValueError("prefill must not be negative and retry_after_unit must be positive")
        if self.prefill_seconds is not None and not 0 < self.prefill_seconds <= self.per_seconds:
            raise ValueError("prefill_seconds must lie within the window")

    def retry_after(self, wait: float) -> float:
        """The `Retry-After` for a request refused `wait` seconds before one would fit."""
        unit = self.retry_after_unit
        return max(unit, math.ceil(wait / unit - 1e-9) * unit)


@dataclass(frozen=True, slots=True)
class Regime:
    """From `start` to `end` seconds after the first job was created (since the emulator
    started or was reset) the service works `factor` times as slowly: the part of a job's
    run that falls in the spell takes that many times as long (a job queued in a fast spell
    and run after it runs at the later pace; one running when a slow spell begins slows
    from then on)."""

    start: float
    end: float
    factor: float

    def __post_init__(self) -> None:
        if self.start < 0 or self.end <= self.start or self.factor <= 0:
            raise ValueError("a regime needs 0 <= start < end and a positive factor")


@dataclass(frozen=True, slots=True)
class Timing:
    """How long jobs take.

    A job waits a `notStarted` spell of median `queue_delay` seconds (lognormal with spread
    `queue_jitter`; exactly `queue_delay` at 0), then each task runs for a duration whose
    median is ``base + per_document * documents``, spread by `jitter` in the way `spread`
    says: ``uniform`` within ±`jitter` of the median; ``lognormal`` with `jitter` the standard
    deviation of log durations (0.4 is realistic: one job in twenty takes twice the median);
    or ``loglogistic``, the same spread in the body with a heavier, power-law tail. A share
    `slow_share` of jobs takes `slow_factor` times as long (a bimodal mix). With
    `max_running_jobs`, at most that many jobs of one key run at once; the others stay
    `notStarted` and are picked up first come first served (``pickup="fifo"``) or in no
    order (``"random"``, as shared workers may). `regimes` make the service slower or faster
    for a while.
    """

    queue_delay: float = 0.0
    base: float = 0.02
    per_document: float = 0.001
    jitter: float = 0.2
    spread: Spread = "uniform"
    max_running_jobs: int | None = None
    regimes: tuple[Regime, ...] = ()
    queue_jitter: float = 0.0
    pickup: Pickup = "fifo"
    slow_share: float = 0.0
    slow_factor: float = 5.0

    def __post_init__(self) -> None:
        if min(self.queue_delay, self.base, self.per_document, self.jitter) < 0:
            raise ValueError("timings must not be negative")
        if self.queue_jitter < 0:
            raise ValueError("queue_jitter must not be negative")
        if self.spread not in SPREADS:
            raise ValueError(f"spread is one of {', '.join(SPREADS)}, got {self.spread!r}")
        if self.pickup not in PICKUPS:
            raise ValueError(f"pickup is one of {', '.join(PICKUPS)}, got {self.pickup!r}")
        if self.spread == "uniform" and self.jitter > 1:
            raise ValueError("a uniform jitter is a relative spread in [0, 1]")
        if self.max_running_jobs is not None and self.max_running_jobs < 1:
            raise ValueError("max_running_jobs must be at least 1")
        if not 0 <= self.slow_share <= 1 or self.slow_factor <= 0:
            raise ValueError("slow_share is a share in [0, 1] and slow_factor is positive")

    def start_spell(self, rng: random.Random) -> float:
        """Seconds a new job stays `notStarted` before it may run."""
        if self.queue_jitter == 0:
            return self.queue_delay  # (no draw: seeded runs without a jitter stay as they were)
        return self.queue_delay * math.exp(self.queue_jitter * rng.gauss(0.0, 1.0))

    def job_factor(self, rng: random.Random) -> float:
        """How many times as long as usual a new job's tasks run (`slow_factor` for a share
        `slow_share` of jobs, else 1)."""
        if self.slow_share == 0:
            return 1.0
        return self.slow_factor if rng.random() < self.slow_share else 1.0

    def task_duration(self, documents: int, rng: random.Random) -> float:
        """Seconds one task of a job of `documents` documents runs at the usual pace (see
        `run_time` for a spell's)."""
        median = self.base + self.per_document * documents
        if self.spread == "uniform":
            duration = median * (1.0 + self.jitter * (2.0 * rng.random() - 1.0))
        elif self.spread == "lognormal":
            duration = median * math.exp(self.jitter * rng.gauss(0.0, 1.0))
        else:
            # A logistic log duration with the standard deviation of the lognormal's.
            u = min(max(rng.random(), 1e-12), 1.0 - 1e-12)
            scale = self.jitter * math.sqrt(3.0) / math.pi
            duration = median * math.exp(scale * math.log(u / (1.0 - u)))
        return duration

    def pace_after(self, first_created: float) -> Callable[[float, float], float] | None:
        """Seconds a job that starts at a given moment runs to do a given amount of work
        (seconds at the usual pace), the first job having been created at `first_created`
        (None: always the usual pace)."""
        if not self.regimes:
            return None
        return lambda at, work: self.run_time(at - first_created, work)

    def run_time(self, elapsed: float, work: float) -> float:
        """Seconds that `work` (seconds at the usual pace) takes when begun `elapsed` seconds
        after the first job was created: each stretch of it at the pace of its moment."""
        edges = sorted({edge for r in self.regimes for edge in (r.start, r.end) if edge > elapsed})
        at, left = elapsed, work
        for edge in edges:
            factor = self.regime_factor(at)
            if left * factor <= edge - at:
                break
            left -= (edge - at) / factor
            at = edge
        return at + left * self.regime_factor(at) - elapsed

    def regime_factor(self, elapsed: float) -> float:
        """How many times as slowly as usual the service works `elapsed` seconds after the
        first job was created."""
        factor = 1.0
        for regime in self.regimes:
            if regime.start <= elapsed < regime.end:
                factor *= regime.factor
        return factor


@dataclass(frozen=True, slots=True)
class Faults:
    """Probabilities of injected faults (each drawn from the emulator's seeded RNG).

    * `submit_error` / `get_error`: a 500 or 503 answer to a submit / job GET, carrying
      `Retry-After` with probability `retry_after_on_error`.
    * `connection_reset`: the connection is closed without a response (any service call).
    * `lost_submit_response`: the job is created but the connection closes before the 202.
    * `slow_response`: the answer is delayed by `slow_seconds`.
    * `job_failed`: every task of the job fails.
    * `task_failed`: one task of a job with several tasks fails (`partiallyCompleted`).
    * `truncated_body`: a job GET's body is cut short (the connection closes mid-body).
    * `foreign_operation_location`: the 202's `operation-location` names another origin.
    """

    submit_error: float = 0
    get_error: float = 0
    retry_after_on_error: float = 0.5
    connection_reset: float = 0
    lost_submit_response: float = 0
    slow_response: float = 0
    slow_seconds: float = 1.0
    job_failed: float = 0
    task_failed: float = 0
    truncated_body: float = 0
    foreign_operation_location: float = 0

    def __post_init__(self) -> None:
        for name in (*FAULT_NAMES, "retry_after_on_error"):
            value = getattr(self, name)
            if not 0 <= value <= 1:
                raise ValueError(f"{name} is a probability, got {value}")
        if self.slow_seconds < 0:
            raise ValueError("slow_seconds must not be negative")


FAULT_NAMES: tuple[str, ...] = (
    "submit_error",
    "get_error",
    "connection_reset",
    "lost_submit_response",
    "slow_response",
    "job_failed",
    "task_failed",
    "truncated_body",
    "foreign_operation_location",
)
"""The injectable faults, as named in `Faults` and in the stats' `faults` counters."""

DEFAULT_PROJECTS: tuple[Project, ...] = (
    Project("support", "prod", "single"),
    Project("genres", "prod", "multi"),
    Project("loans", "prod", "entities"),
)
"""The projects served when none are configured."""

CLI_TIMING = Timing(queue_delay=0.5, base=1.0, per_document=0.02, jitter=0.3)
"""Timing of the command-line emulator: close to what the real service shows."""


MAX_DOCUMENTS = 25
"""Documents per job request."""
MAX_TEXT_ELEMENTS = 125_000
"""Grapheme clusters per request, all documents together."""
MAX_BODY_BYTES = 1024 * 1024
"""Request body size (bytes)."""
