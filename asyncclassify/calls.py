"""What every job of one call shares, and how each of its requests is sent: paced, counted,
retried through transient failures for as long as the retry horizon, or stopped at once."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import anyio
from yarl import URL

from .api.base import BodyTemplate, Dialect
from .api.outcomes import Refused, Response, Throttled, Transient
from .emitting import Emitter
from .errors import (
    AuthenticationError,
    EndpointError,
    QuotaExceededError,
    RetriesExhaustedError,
)
from .mistakes import MistakeWatch
from .models import Task
from .pacing.runtime import PacerRuntime
from .pacing.turns import Turn
from .retrying import FailureSpell, RetryPolicy
from .stats import RunStats
from .transport import ConnectionFailedError, Transport

logger = logging.getLogger("asyncclassify")

DEFAULT_RETRY_AFTER = 1.0
"""Seconds to wait on a 429 that does not say how long."""
FIRST_CONTACT_BACKOFF = 1.0
"""Most seconds between attempts before the endpoint has ever answered: a wrong endpoint is
found within `RetryPolicy.first_contact`, not after a long backoff."""

Outcome = TypeVar("Outcome")


@dataclass(frozen=True, slots=True)
class JobOptions:
    """How each job of a call is run."""

    job_timeout: float = 1800.0
    """Seconds a job may run (time it spends queued, `notStarted`, not counted)."""
    cancel_remote: bool = False
    display_name: str | None = None


class CallContext:
    """What every job of one call shares: the transport, the pacer, the counters, the
    emitter, the retry policy and what the call has learnt about its tasks."""

    def __init__(
        self,
        transport: Transport,
        dialect: Dialect,
        endpoint: URL,
        tasks: Sequence[Task],
        runtime: PacerRuntime,
        retry: RetryPolicy,
        stats: RunStats,
        emitter: Emitter,
        options: JobOptions,
    ) -> None:
        self.transport = transport
        self.dialect = dialect
        self.submit_url = dialect.submit_url(endpoint)
        self.tasks = tuple(tasks)
        self.runtime = runtime
        self.retry = retry
        self.stats = stats
        self.emitter = emitter
        self.options = options
        self.mistakes = MistakeWatch(len(self.tasks), strikes=dialect.hides_missing_projects)
        self.default_language = "en"
        """The language of documents that name none (the pipeline sets it)."""
        self.stopping = False
        """Set when the call must wind down (its deadline passed): no new work starts."""
        self.jobs_accepted = 0
        self._limits = {submit: retry.timeout(submit=submit) for submit in (True, False)}
        """The time limits of a submit (True) and of any other request, built once."""
        self._templates: dict[tuple[int, ...], BodyTemplate] = {}
        self._interruptible: set[anyio.CancelScope] = set()

    @contextmanager
    def interruptible(self) -> Iterator[anyio.CancelScope]:
        """A scope that `stop()` cancels: for waiting on the service, never for emitting."""
        with anyio.CancelScope() as scope:
            if self.stopping:
                scope.cancel()
            self._interruptible.add(scope)
            try:
                yield scope
            finally:
                self._interruptible.discard(scope)

    def stop(self) -> None:
        """Wind the call down: interrupt every wait on the service, start nothing new."""
        self.stopping = True
        for scope in list(self._interruptible):
            scope.cancel()

    def template(self, task_ids: tuple[int, ...]) -> BodyTemplate:
        """The submit body for these tasks of the call (built once)."""
        template = self._templates.get(task_ids)
        if template is None:
            subset = [self.tasks[i] for i in task_ids]
            template = self.dialect.body_template(subset, self.options.display_name)
            self._templates[task_ids] = template
        return template

    async def exchange(
        self,
        method: str,
        url: URL,
        read: Callable[[Response], Outcome | Throttled | Transient | Refused],
        turn: Turn,
        body: bytes | None = None,
        *,
        submit: bool = False,
    ) -> tuple[Outcome, float]:
        """Send once `turn` is granted, again (on urgent turns) after 429s and transient
        failures; the first other outcome, and when its request was sent.

        Raises `AuthenticationError` / `QuotaExceededError` on refused credentials or a spent
        quota, `EndpointError` when the endpoint has never answered within the first-contact
        limit, and `RetriesExhaustedError` when transient failures outlast the horizon.
        """
        runtime, stats, policy, transport = self.runtime, self.stats, self.retry, self.transport
        limits = self._limits[submit]
        spell = FailureSpell()
        throttled_since: float | None = None
        while True:
            if not turn.granted:
                await runtime.wait(turn)
            sent_at = runtime.now()
            if transport.first_attempt_at is None:
                transport.first_attempt_at = sent_at
            stats.requests += 1
            outcome: Outcome | Throttled | Transient | Refused
            try:
                response = await transport.send(method, url, body, limits=limits)
            except ConnectionFailedError as exc:
                self._check_first_contact(exc, runtime.now())
                if submit and exc.connected:
                    # The body may have reached the service: a job may exist that no one reads.
                    stats.orphans += 1
                    logger.info("a submit got no answer (%s): it may have left a job", exc)
                outcome = Transient(str(exc))
            else:
                outcome = read(response)
            turn = Turn("urgent")
            if isinstance(outcome, Throttled):
                stats.throttled += 1
                wait = (
                    outcome.retry_after if outcome.retry_after is not None else DEFAULT_RETRY_AFTER
                )
                if wait > policy.max_retry_after:
                    raise QuotaExceededError(
                        f"the service asks to retry after {wait:.0f} s, longer than the "
                        f"{policy.max_retry_after:.0f} s the client waits: {outcome.message}",
                        status=429,
                        request_id=outcome.request_id,
                    )
                if throttled_since is None:
                    throttled_since = sent_at
                elif sent_at - throttled_since >= policy.horizon:
                    raise QuotaExceededError(
                        f"every attempt of {method} {url.path} for "
                        f"{sent_at - throttled_since:.0f} s was refused for the rate limit: "
                        f"{outcome.message}",
                        status=429,
                        request_id=outcome.request_id,
                    )
                runtime.throttled(wait, sent_at)
                continue
            throttled_since = None
            if isinstance(outcome, Refused):
                runtime.answered(sent_at)
                raise _refusal(outcome, policy.max_retry_after)
            if isinstance(outcome, Transient):
                runtime.answered(sent_at)
                if outcome.orphaned:
                    stats.orphans += 1
                now = runtime.now()
                spell.failed(sent_at)
                if spell.outlasts(policy.horizon, now):
                    raise RetriesExhaustedError(
                        f"{method} {url.path} failed for {spell.lasted(now):.0f} s "
                        f"({spell.attempts} attempts); last: {outcome.problem}",
                        failing_for=spell.lasted(now),
                        attempts=spell.attempts,
                    )
                stats.retries += 1
                delay = policy.backoff(spell.attempts)
                if not transport.answered:
                    delay = min(delay, FIRST_CONTACT_BACKOFF)
                if outcome.retry_after is not None:
                    delay = max(delay, min(outcome.retry_after, policy.max_retry_after))
                logger.debug(
                    "retrying %s %s in %.2fs after %s", method, url.path, delay, outcome.problem
                )
                await anyio.sleep(delay)
                continue
            return outcome, sent_at

    def _check_first_contact(self, failure: ConnectionFailedError, now: float) -> None:
        """Stop the call when the endpoint has refused every connection since the first
        attempt, for `first_contact` seconds: a wrong endpoint, not an outage."""
        transport = self.transport
        started = transport.first_attempt_at
        if transport.answered or failure.connected or started is None:
            return
        if now - started >= self.retry.first_contact:
            raise EndpointError(
                f"no connection to the endpoint {transport.origin} in "
                f"{now - started:.0f} s of trying: {failure}; check the endpoint"
            )


def _refusal(outcome: Refused, max_retry_after: float) -> QuotaExceededError | AuthenticationError:
    if outcome.retry_after is not None and outcome.retry_after > max_retry_after:
        return QuotaExceededError(
            f"the service asks to retry after {outcome.retry_after:.0f} s, longer "
            f"than the {max_retry_after:.0f} s the client waits: {outcome.message}",
            status=outcome.status,
            code=outcome.code,
            request_id=outcome.request_id,
        )
    return AuthenticationError(
        f"the service refused the credentials: {outcome.message}",
        status=outcome.status,
        code=outcome.code,
        request_id=outcome.request_id,
    )
