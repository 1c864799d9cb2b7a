"""What a user tunes besides the resources and the retries: pacing, coalescing, drainage.

Small frozen objects, checked when made, that the `Client` takes whole (`pacing=Pacing(...)`)
so that its own signature stays short and each group's defaults are documented in one place.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass

from ._errors import ConfigurationError


def check_seconds(
    name: str, value: float, *, positive: bool = False, endless: bool = False
) -> None:
    """Refuse `value` unless it is a number of seconds: at least 0 (above 0 if `positive`),
    finite (unless `endless`)."""
    number = isinstance(value, numbers.Real) and not isinstance(value, bool)
    if (
        not number
        or math.isnan(value)
        or value < 0
        or (positive and value == 0)
        or (not endless and math.isinf(value))
    ):
        kind = "a positive" if positive else "a"
        limit = "" if endless else "finite "
        raise ConfigurationError(f"{name} must be {kind} {limit}number of seconds, not {value!r}")


def check_count(name: str, value: int) -> None:
    """Refuse `value` unless it is a whole number of at least 1."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ConfigurationError(f"{name} must be a whole number of at least 1, not {value!r}")


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
        check_count("Pacing.max_jobs_in_flight", self.max_jobs_in_flight)
        check_count("Pacing.max_bytes_in_flight", self.max_bytes_in_flight)
        check_seconds("Pacing.first_poll", self.first_poll, positive=True)


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
        check_seconds("Coalescing.linger", self.linger)
        check_count("Coalescing.max_pending", self.max_pending)


@dataclass(frozen=True, slots=True)
class Drainage:
    """When a failing resource is drained, while another can take its jobs."""

    drain_after: float = 60.0
    """Seconds of every request to it failing, or of one request failing (its submits may
    fail while its polls are answered)."""
    revive_after: float = 300.0
    """Seconds until a drained resource is tried again (whatever drained it); also how long
    a call sends no job to a resource that cannot run its tasks (a project not deployed)."""

    def __post_init__(self) -> None:
        check_seconds("Drainage.drain_after", self.drain_after, endless=True)
        # Not zero: a refused resource would be tried again at once, for every job.
        check_seconds("Drainage.revive_after", self.revive_after, positive=True)
