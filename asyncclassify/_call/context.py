"""What every job of one call shares, and how each of its requests is sent: paced, counted,
retried through transient failures for as long as the retry horizon, or stopped at once;
with several resources, a resource that fails is drained instead (`ResourceDownError`) while
another can take its jobs (see `_resources.routing`)."""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import anyio
from yarl import URL

from .._api.base import BodyTemplate, Dialect
from .._api.outcomes import Refused, Response, Throttled, Transient
from .._api.transport import AsyncTransport, ConnectionFailedError
from .._errors import (
    AsyncClassifyError,
    AuthenticationError,
    EndpointError,
    QuotaExceededError,
    RetriesExhaustedError,
    TaskConfigurationError,
)
from .._job.mistakes import MistakeWatch
from .._job.retrying import FailureSpell, RetryPolicy
from .._models import Task
from .._pacing.pacer import Pacer
from .._pacing.runtime import PacerRuntime
from .._pacing.turns import Turn
from .._resources.links import ResourceLink
from .._resources.routing import choose, others_usable
from .._settings import Drainage
from .._stats import ResourceStats, RunStats
from .emitting import Emitter

logger = logging.getLogger("asyncclassify")

DEFAULT_RETRY_AFTER = 1.0
"""Seconds to wait on a 429 that does not say how long."""
FIRST_CONTACT_BACKOFF = 1.0
"""Most seconds between attempts before the endpoint has ever answered: a wrong endpoint is
found within `RetryPolicy.first_contact`, not after a long backoff."""

Outcome = TypeVar("Outcome")


class ResourceDownError(Exception):
    """A resource was drained (another takes its jobs): the job on it goes elsewhere."""

    def __init__(self, link: ResourceLink, why: str) -> None:
        super().__init__(f"{link.label} drained: {why}")
        self.link = link
        self.why = why


@dataclass(frozen=True, slots=True)
class JobOptions:
    """How each job of a call is run."""

    job_timeout: float = 1800.0
    """Seconds a job may run (time it spends queued, `notStarted`, not counted)."""
    cancel_remote: bool = False
    display_name: str | None = None


class CallContext:
    """What every job of one call shares: the transport, the resources (each with its pacer
    and sender), the counters, the emitter, the retry policy and what the call has learnt
    about its tasks (on each resource)."""

    def __init__(
        self,
        transport: AsyncTransport,
        links: Sequence[ResourceLink],
        dialect: Dialect,
        tasks: Sequence[Task],
        retry: RetryPolicy,
        stats: RunStats,
        emitter: Emitter,
        options: JobOptions,
        drainage: Drainage | None = None,
    ) -> None:
        self.transport = transport
        self.links = tuple(links)
        self.dialect = dialect
        self.tasks = tuple(tasks)
        self.retry = retry
        self.stats = stats
        self.emitter = emitter
        self.options = options
        self.drainage = drainage or Drainage()
        self._submit_urls = {link: dialect.submit_url(link.endpoint) for link in self.links}
        self._mistakes = {
            link: MistakeWatch(len(self.tasks), strikes=dialect.hides_missing_projects)
            for link in self.links
        }
        for link in self.links:
            stats.resource(link.label)
        self.default_language = "en"
        """The language of documents that name none (the pipeline sets it)."""
        self.stopping = False
        """Set when the call must wind down (its deadline passed): no new work starts."""
        self.jobs_accepted = 0
        self._limits = {submit: retry.timeout(submit=submit) for submit in (True, False)}
        """The time limits of a submit (True) and of any other request, built once."""
        self._templates: dict[tuple[int, ...], BodyTemplate] = {}
        self._interruptible: set[anyio.CancelScope] = set()
        self._unfit_until: dict[ResourceLink, float] = {}
        """Resources this call's tasks cannot run on (a project not deployed there), until
        when: the call sends them no job, other calls still may."""

    @property
    def runtime(self) -> PacerRuntime:
        """The first resource's pacer runtime (its clock is every resource's)."""
        return self.links[0].runtime

    def submit_url(self, link: ResourceLink) -> URL:
        """Where jobs are submitted on `link`'s resource."""
        return self._submit_urls[link]

    def mistakes(self, link: ResourceLink) -> MistakeWatch:
        """What the call has learnt about its tasks on `link`'s resource."""
        return self._mistakes[link]

    def choose(self, now: float, current: ResourceLink | None = None) -> ResourceLink | None:
        """The resource to send a job to, among those that fit the call's tasks (see
        `_routing.choose`)."""
        return choose(self._fitting(now), now, current)

    def feeds(self, link: ResourceLink, now: float) -> bool:
        """Whether the call sends `link`'s resource new jobs at `now`: it fits the call's
        tasks, and it is not drained, or no other one that fits is usable (the call's last
        resources are never drained for it: their errors are the call's)."""
        if self.unfit_until(link) > now:
            return False
        return link.health.usable(now) or not self.others_usable(link, now)

    def unfit_until(self, link: ResourceLink) -> float:
        """Until when this call sends `link`'s resource no job (-inf: it may now)."""
        return self._unfit_until.get(link, -math.inf)

    def others_usable(self, link: ResourceLink, now: float) -> bool:
        """Whether a resource other than `link`'s can take this call's jobs at `now`."""
        return others_usable(self._fitting(now), link, now)

    def _fitting(self, now: float) -> list[ResourceLink]:
        return [link for link in self.links if self.unfit_until(link) <= now]

    def leave_out(self, link: ResourceLink, error: TaskConfigurationError) -> bool:
        """This call's tasks cannot run on `link`'s resource (`error`): whether another takes
        the call's jobs instead (one that fits them, drained or not). If so, the call sends it
        none for `Drainage.revive_after` (the project may be deployed meanwhile); other calls,
        with other tasks, still send theirs."""
        now = self.runtime.now()
        if not any(other is not link for other in self._fitting(now)):
            return False
        if self.unfit_until(link) <= now:
            logger.warning(
                "%s cannot run the call's tasks, its jobs go to the others: %s", link.label, error
            )
            self.stats.resource(link.label).drained = str(error)
            link.drains.drained()  # another resource may now be the call's last
        self._unfit_until[link] = now + self.drainage.revive_after
        return True

    def drain_instead(self, link: ResourceLink, error: AsyncClassifyError) -> ResourceDownError:
        """`error` on `link`'s resource: drain it for `Drainage.revive_after` when another
        can take its jobs (the `ResourceDownError` to raise), else raise `error` itself. (A
        key rotated meanwhile, an endpoint back: it is tried again.)"""
        now = self.runtime.now()
        if not self.others_usable(link, now):
            raise error
        return self._drained(link, str(error), until=now + self.drainage.revive_after)

    def _drained(self, link: ResourceLink, why: str, *, until: float) -> ResourceDownError:
        newly = link.health.drained is None
        if newly:
            logger.warning("resource %s drained, its jobs go to the others: %s", link.label, why)
            self.stats.resource(link.label).drained = why
        link.health.drain(why, until)
        if newly:
            link.drains.drained()
        return ResourceDownError(link, why)

    def _drain_failing(
        self, link: ResourceLink, now: float, problem: str, spell: FailureSpell
    ) -> None:
        """Drain `link` for a while when every request to it has failed long enough, or this
        one has (its submits may fail while its polls are answered), or at once while it is
        on probation; if another resource can take its jobs."""
        health = link.health
        health.failed(now)
        failing = max(health.failing_for(now), spell.lasted(now) if spell.attempts else 0.0)
        if not health.on_probation and failing < self.drainage.drain_after:
            return
        if not self.others_usable(link, now):
            return
        why = f"every request failed for {failing:.0f} s; last: {problem}"
        raise self._drained(link, why, until=now + self.drainage.revive_after)

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
        link: ResourceLink,
        method: str,
        url: URL,
        read: Callable[[Response], Outcome | Throttled | Transient | Refused],
        turn: Turn,
        body: bytes | None = None,
        *,
        submit: bool = False,
        even_if_drained: bool = False,
    ) -> tuple[Outcome, float]:
        """Send to `link`'s resource once `turn` is granted, again (on urgent turns) after
        429s and transient failures; the first other outcome, and when its request was sent.

        Raises `AuthenticationError` / `QuotaExceededError` on refused credentials or a spent
        quota, `EndpointError` when the endpoint has never answered within the first-contact
        limit, and `RetriesExhaustedError` when transient failures outlast the horizon; or,
        for any of these and for requests failing for `Drainage.drain_after`, `ResourceDownError`
        when another resource can take the job. On a drained resource, a submit raises it at
        once; a poll only at its first failure (the job may well be read there).
        """
        stats, policy = self.stats, self.retry
        runtime, sender = link.runtime, link.sender(self.transport)
        counts = stats.resource(link.label)
        limits = self._limits[submit]
        spell = FailureSpell()
        throttled_since: float | None = None
        while True:
            if not turn.granted:
                await runtime.wait(turn)
            sent_at = runtime.now()
            # A drained resource gets no new job; its accepted jobs are still read while it
            # answers (they would be billed again elsewhere), and move at its first failure.
            if (
                submit
                and not even_if_drained
                and not self.feeds(link, sent_at)
                and self.choose(sent_at) not in (None, link)
            ):
                raise ResourceDownError(
                    link, link.health.drained or "it cannot run the call's tasks"
                )
            if sender.first_attempt_at is None:
                sender.first_attempt_at = sent_at
            stats.requests += 1
            counts.requests += 1
            _report_pacing(counts, runtime.pacer, sent_at)
            outcome: Outcome | Throttled | Transient | Refused
            try:
                response = await sender.send(method, url, body, limits=limits)
            except ConnectionFailedError as exc:
                self._check_first_contact(link, exc, runtime.now())
                if submit and exc.connected:
                    # The body may have reached the service: a job may exist that no one reads.
                    stats.orphans += 1
                    logger.info("a submit got no answer (%s): it may have left a job", exc)
                outcome = Transient(str(exc))
            else:
                outcome = read(response)
            turn = Turn("urgent")
            if not isinstance(outcome, Transient):
                link.health.answered()
            if isinstance(outcome, Throttled):
                stats.throttled += 1
                counts.throttled += 1
                wait = (
                    outcome.retry_after if outcome.retry_after is not None else DEFAULT_RETRY_AFTER
                )
                if wait > policy.max_retry_after:
                    raise self.drain_instead(
                        link,
                        QuotaExceededError(
                            f"the service asks to retry after {wait:.0f} s, longer than the "
                            f"{policy.max_retry_after:.0f} s the client waits: {outcome.message}",
                            status=429,
                            request_id=outcome.request_id,
                        ),
                    )
                if throttled_since is None:
                    throttled_since = sent_at
                elif sent_at - throttled_since >= policy.horizon:
                    raise self.drain_instead(
                        link,
                        QuotaExceededError(
                            f"every attempt of {method} {url.path} for "
                            f"{sent_at - throttled_since:.0f} s was refused for the rate limit: "
                            f"{outcome.message}",
                            status=429,
                            request_id=outcome.request_id,
                        ),
                    )
                runtime.throttled(wait, sent_at)
                continue
            throttled_since = None
            if isinstance(outcome, Refused):
                runtime.answered(sent_at)
                raise self.drain_instead(link, _refusal(outcome, policy.max_retry_after))
            if isinstance(outcome, Transient):
                runtime.answered(sent_at)
                if outcome.orphaned:
                    stats.orphans += 1
                now = runtime.now()
                spell.failed(sent_at)
                if (
                    not even_if_drained
                    and not link.health.usable(now)
                    and self.others_usable(link, now)
                ):
                    raise ResourceDownError(link, link.health.drained or "drained")
                self._drain_failing(link, now, outcome.problem, spell)
                if spell.outlasts(policy.horizon, now):
                    raise RetriesExhaustedError(
                        f"{method} {url.path} failed for {spell.lasted(now):.0f} s "
                        f"({spell.attempts} attempts); last: {outcome.problem}",
                        failing_for=spell.lasted(now),
                        attempts=spell.attempts,
                    )
                stats.retries += 1
                delay = policy.backoff(spell.attempts)
                if not sender.answered:
                    delay = min(delay, FIRST_CONTACT_BACKOFF)
                if outcome.retry_after is not None:
                    delay = max(delay, min(outcome.retry_after, policy.max_retry_after))
                logger.debug(
                    "retrying %s %s in %.2fs after %s", method, url.path, delay, outcome.problem
                )
                await anyio.sleep(delay)
                continue
            return outcome, sent_at

    def _check_first_contact(
        self, link: ResourceLink, failure: ConnectionFailedError, now: float
    ) -> None:
        """Stop the call (or drain the resource) when the endpoint has refused every
        connection since the first attempt, for `first_contact` seconds: a wrong endpoint,
        not an outage."""
        sender = link.sender(self.transport)
        started = sender.first_attempt_at
        if sender.answered or failure.connected or started is None:
            return
        if now - started >= self.retry.first_contact:
            raise self.drain_instead(
                link,
                EndpointError(
                    f"no connection to the endpoint {sender.origin} in "
                    f"{now - started:.0f} s of trying: {failure}; check the endpoint"
                ),
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


def _report_pacing(counts: ResourceStats, pacer: Pacer, now: float) -> None:
    """Copy what the pacer decided into the call's counters of its resource (on every
    request: nothing is worked out here)."""
    cap = pacer.jobs_cap(now)
    counts.jobs_in_flight_cap = None if cap is None else math.ceil(cap)
    counts.pacing = pacer.course
    counts.requests_per_window = pacer.budget.limit
