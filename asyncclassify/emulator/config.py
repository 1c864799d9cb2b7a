"""Configuration of the emulator: projects, timing, rate limit and fault injection."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .model import DEMO_ENTITY_CATEGORIES, DEMO_MULTI_LABELS, DEMO_SINGLE_LABELS

ProjectKind = Literal["single", "multi", "entities"]

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
    """At most `requests` requests per sliding window of `per_seconds`, per key."""

    requests: int = 1000
    per_seconds: float = 60.0

    def __post_init__(self) -> None:
        if self.requests < 1 or self.per_seconds <= 0:
            raise ValueError("a rate limit needs requests >= 1 and per_seconds > 0")


@dataclass(frozen=True, slots=True)
class Timing:
    """How long jobs take.

    A job waits `queue_delay` seconds, then each task runs for
    ``(base + per_document * documents) * (1 ± jitter)`` seconds (jitter is a
    seeded relative spread). With `max_running_jobs`, at most that many jobs of
    one key run at once; the others stay `notStarted`.
    """

    queue_delay: float = 0.0
    base: float = 0.02
    per_document: float = 0.001
    jitter: float = 0.2
    max_running_jobs: int | None = None

    def __post_init__(self) -> None:
        if min(self.queue_delay, self.base, self.per_document, self.jitter) < 0:
            raise ValueError("timings must not be negative")
        if self.jitter > 1:
            raise ValueError("jitter is a relative spread in [0, 1]")
        if self.max_running_jobs is not None and self.max_running_jobs < 1:
            raise ValueError("max_running_jobs must be at least 1")


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
