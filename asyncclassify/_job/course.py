"""What to do after each answer to one request: pure logic, time passed in.

A request is sent on the pacer's turn; after a 429 it waits for the pause the service asked
for (`Pause`), after a transient failure it backs off (`Retry`), and it gives up (`GiveUp`)
when the service refuses the credentials, asks for a pause longer than the client waits,
throttles it for the whole retry horizon, or fails it for that long. `RequestCourse` keeps the
one request's failures and says which; `requests.send` acts on it.
"""

from __future__ import annotations

from dataclasses import dataclass

from .._api.outcomes import Refused, Throttled, Transient
from .._errors import (
    AsyncClassifyError,
    AuthenticationError,
    EndpointError,
    QuotaExceededError,
    RetriesExhaustedError,
)
from .retrying import FailureSpell, RetryPolicy

DEFAULT_RETRY_AFTER = 1.0
"""Seconds to wait on a 429 that does not say how long."""
FIRST_CONTACT_BACKOFF = 1.0
"""Most seconds between attempts before the endpoint has ever answered: a wrong endpoint is
found within `RetryPolicy.first_contact`, not after a long backoff."""


@dataclass(frozen=True, slots=True)
class Pause:
    """Rate limited: the resource pauses for `retry_after` seconds, then the request goes
    again on its turn."""

    retry_after: float


@dataclass(frozen=True, slots=True)
class Retry:
    """A transient failure: send again after `delay` seconds."""

    delay: float


@dataclass(frozen=True, slots=True)
class GiveUp:
    """Stop trying, for `error`."""

    error: AsyncClassifyError


class RequestCourse:
    """The failures of one request (`method` of `path`) and what each calls for."""

    def __init__(self, policy: RetryPolicy, method: str, path: str) -> None:
        self._policy = policy
        self._what = f"{method} {path}"
        self.spell = FailureSpell()
        """The request's run of transient failures."""
        self._throttled_since: float | None = None

    def throttled(self, outcome: Throttled, sent_at: float) -> Pause | GiveUp:
        """The request sent at `sent_at` was answered 429."""
        policy = self._policy
        wait = outcome.retry_after if outcome.retry_after is not None else DEFAULT_RETRY_AFTER
        if wait > policy.max_retry_after:
            return GiveUp(
                QuotaExceededError(
                    f"the service asks to retry after {wait:.0f} s, longer than the "
                    f"{policy.max_retry_after:.0f} s the client waits: {outcome.message}",
                    status=429,
                    request_id=outcome.request_id,
                )
            )
        if self._throttled_since is None:
            self._throttled_since = sent_at
        elif sent_at - self._throttled_since >= policy.horizon:
            return GiveUp(
                QuotaExceededError(
                    f"every attempt of {self._what} for "
                    f"{sent_at - self._throttled_since:.0f} s was refused for the rate limit: "
                    f"{outcome.message}",
                    status=429,
                    request_id=outcome.request_id,
                )
            )
        return Pause(wait)

    def answered(self) -> None:
        """The request was answered with anything but a 429."""
        self._throttled_since = None

    def refused(self, outcome: Refused) -> GiveUp:
        """The service refused the credentials, or asked for a pause past what we wait."""
        max_retry_after = self._policy.max_retry_after
        if outcome.retry_after is not None and outcome.retry_after > max_retry_after:
            return GiveUp(
                QuotaExceededError(
                    f"the service asks to retry after {outcome.retry_after:.0f} s, longer "
                    f"than the {max_retry_after:.0f} s the client waits: {outcome.message}",
                    status=outcome.status,
                    code=outcome.code,
                    request_id=outcome.request_id,
                )
            )
        return GiveUp(
            AuthenticationError(
                f"the service refused the credentials: {outcome.message}",
                status=outcome.status,
                code=outcome.code,
                request_id=outcome.request_id,
            )
        )

    def failed(
        self, outcome: Transient, sent_at: float, now: float, *, ever_answered: bool
    ) -> Retry | GiveUp:
        """The request sent at `sent_at` failed transiently (seen at `now`); `ever_answered`
        says whether the endpoint has ever answered (before that, attempts come quicker)."""
        policy, spell = self._policy, self.spell
        spell.failed(sent_at)
        if spell.outlasts(policy.horizon, now):
            return GiveUp(
                RetriesExhaustedError(
                    f"{self._what} failed for {spell.lasted(now):.0f} s "
                    f"({spell.attempts} attempts); last: {outcome.problem}",
                    failing_for=spell.lasted(now),
                    attempts=spell.attempts,
                )
            )
        delay = policy.backoff(spell.attempts)
        if not ever_answered:
            delay = min(delay, FIRST_CONTACT_BACKOFF)
        if outcome.retry_after is not None:
            delay = max(delay, min(outcome.retry_after, policy.max_retry_after))
        return Retry(delay)


def unreachable(
    origin: str, since: float | None, now: float, policy: RetryPolicy, problem: str
) -> GiveUp | None:
    """An endpoint that has refused every connection since the first attempt (`since`) for
    `first_contact` seconds is a wrong endpoint, not an outage: give up on it."""
    if since is None or now - since < policy.first_contact:
        return None
    return GiveUp(
        EndpointError(
            f"no connection to the endpoint {origin} in {now - since:.0f} s of trying: "
            f"{problem}; check the endpoint"
        )
    )
