"""How transient failures are retried, and how long each request may take: a policy object
the job runner consults."""

from __future__ import annotations

import random
from dataclasses import dataclass

import aiohttp

from .._settings import check_seconds


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How transient failures are retried: for as long as `horizon`, with exponential backoff
    and full jitter in between.

    Transient means another attempt may well succeed: a 5xx, a reset or refused connection
    once the endpoint has answered, a timeout, an unreadable body, a job or page that is gone,
    a job or task that failed with a transient code. A request, or a document's task, that
    keeps failing so for `horizon` seconds gets error results that say what happened and for
    how long; permanent errors end at once.
    """

    horizon: float = 600.0
    """Seconds of failure (a whole outage of the service, say) ridden out before giving up."""
    backoff_base: float = 0.25
    """Seconds of the first backoff's cap; each retry doubles it, up to `backoff_max`."""
    backoff_max: float = 20.0
    """Most seconds between two attempts (drawn at random below the cap: full jitter)."""
    max_retry_after: float = 300.0
    """A `Retry-After` longer than this fails fast with `QuotaExceededError`."""
    connect_timeout: float = 10.0
    """Seconds to open a connection."""
    submit_timeout: float = 60.0
    """Seconds to wait for the answer to a submit. Long: a submit that times out may have
    created a job all the same (billed, never read), and its retry creates another."""
    poll_timeout: float = 15.0
    """Seconds to wait for the answer to a status or page GET, or a cancel (nothing is lost
    by asking again)."""
    first_contact: float = 10.0
    """Seconds the endpoint may refuse connections (or its host name not resolve) before it
    has ever answered: then the call stops with `EndpointError` instead of riding it out."""
    job_timeout: float = 1800.0
    """Seconds a job may run (time it spends queued, `notStarted`, not counted): past it the
    job is read once more, cancelled, and what it did not finish is submitted again."""

    def __post_init__(self) -> None:
        check_seconds("RetryPolicy.horizon", self.horizon, endless=True)
        check_seconds("RetryPolicy.max_retry_after", self.max_retry_after, endless=True)
        for name in ("backoff_base", "backoff_max", "first_contact"):
            check_seconds(f"RetryPolicy.{name}", getattr(self, name))
        for name in ("connect_timeout", "submit_timeout", "poll_timeout", "job_timeout"):
            check_seconds(f"RetryPolicy.{name}", getattr(self, name), positive=True)

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        doublings = min(attempt - 1, 60)  # past that the cap holds anyway (and 2.0**1024 overflows)
        return random.uniform(0.0, min(self.backoff_max, self.backoff_base * 2**doublings))

    def timeout(self, *, submit: bool) -> aiohttp.ClientTimeout:
        """The time limits of one attempt: a submit's, or a GET's or cancel's."""
        answer = self.submit_timeout if submit else self.poll_timeout
        return aiohttp.ClientTimeout(
            total=self.connect_timeout + answer,
            sock_connect=self.connect_timeout,
            sock_read=answer,
        )


@dataclass(slots=True)
class FailureSpell:
    """A run of transient failures (of one request, or of a document's task): when it began
    and how many attempts it has cost. Pure bookkeeping; the time is passed in."""

    since: float | None = None
    attempts: int = 0

    def failed(self, at: float) -> None:
        """One more attempt failed (at `at`)."""
        if self.since is None:
            self.since = at
        self.attempts += 1

    def lasted(self, now: float) -> float:
        """Seconds since the first failure (0 before any)."""
        return 0.0 if self.since is None else now - self.since

    def outlasts(self, horizon: float, now: float) -> bool:
        """Whether the spell has gone on for `horizon` seconds: time to give up."""
        return self.since is not None and now - self.since >= horizon
