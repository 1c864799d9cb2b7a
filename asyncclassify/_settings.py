"""What a user tunes besides the resources and the retries: pacing, coalescing, drainage.

Small frozen objects, checked when made, that the `Client` takes whole (`pacing=Pacing(...)`)
so that its own signature stays short and each group's defaults are documented in one place.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class Pacing:
    """How many jobs a client keeps in flight per resource, and its first guess of their
    duration.

    The pacer keeps as many jobs in flight as the request budget needs (from how long jobs
    are seen to take), within these caps.
    """

    max_jobs_in_flight: int = 2000
    """Jobs submitted and not yet read, per resource: with `max_bytes_in_flight`, what bounds
    the documents held in memory."""
    max_bytes_in_flight: int = 256 * 2**20
    """Bytes of documents held by the jobs in flight (each is kept until its results are out,
    to be sent again should its job fail)."""
    first_poll: float = 1.0
    """The guess of a job's duration (seconds) until jobs have been seen to finish; it may be
    ten times off either way at little cost."""

    def __post_init__(self) -> None:
        if self.max_jobs_in_flight < 1 or self.max_bytes_in_flight < 1:
            raise ConfigurationError("Pacing needs room for at least one job in flight")
        if not self.first_poll > 0:
            raise ConfigurationError("Pacing.first_poll must be a positive number of seconds")


@dataclass(frozen=True, slots=True)
class Coalescing:
    """How `classify_one()` / `classify_many()` pack concurrent callers' documents into
    shared jobs."""

    linger: float = 0.03
    """Seconds a partly filled shared job waits for more documents (counted from its first)."""
    max_pending: int = 5000
    """Documents that may wait for their results before new calls are refused at once with
    `OverloadedError`."""

    def __post_init__(self) -> None:
        if not self.linger >= 0:
            raise ConfigurationError("Coalescing.linger must be zero or more seconds")
        if self.max_pending < 1:
            raise ConfigurationError("Coalescing.max_pending must be at least 1")


@dataclass(frozen=True, slots=True)
class Drainage:
    """When a failing resource is drained, while another can take its jobs."""

    drain_after: float = 60.0
    """Seconds of every request to it failing, or of one request failing (its submits may
    fail while its polls are answered)."""
    revive_after: float = 300.0
    """Seconds until a drained resource is tried again (whatever drained it)."""

    def __post_init__(self) -> None:
        if not (self.drain_after >= 0 and self.revive_after >= 0):
            raise ConfigurationError("Drainage times must be zero or more seconds")
