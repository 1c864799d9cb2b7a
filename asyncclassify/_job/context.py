"""What every job of one call shares: the transport, the resources, the counters, the emitter,
the retry policy, what the call has learnt of its tasks on each resource, and the call's own
view of its resources (which fit its tasks, which are drained: `ResourceDownError` moves a
job off one; see `_resources.routing`)."""

from __future__ import annotations

import logging
import math
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import NoReturn, Protocol

import aiohttp
import anyio
from yarl import URL

from .._api.base import BodyTemplate, Dialect
from .._api.transport import AsyncTransport
from .._errors import (
    AsyncClassifyError,
    TaskConfigurationError,
)
from .._job.mistakes import MistakeWatch
from .._job.retrying import RetryPolicy
from .._models import Result, Task
from .._pacing.runtime import PacerRuntime
from .._resources.links import ResourceLink
from .._resources.routing import choose, others_usable
from .._settings import Drainage
from .._stats import RunStats

logger = logging.getLogger("asyncclassify")


class ResultSink(Protocol):
    """Where a call's results go (its emitter, `_call.emitting.Emitter`)."""

    async def emit(self, results: list[Result]) -> None:
        """Give out these results (each document's whole result, once)."""

    async def wait_for_room(self, index: int) -> None:
        """Wait until the document at input position `index` may be taken on."""


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
        emitter: ResultSink,
        options: JobOptions,
        drainage: Drainage | None = None,
        default_language: str = "en",
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
        self.default_language = default_language
        """The language of documents that name none."""
        self.stopping = False
        """Set when the call must wind down (its deadline passed): no new work starts."""
        self._jobs_accepted = 0
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
        `_resources.routing.choose`)."""
        return choose(self._fitting(now), now, current)

    def takes_jobs(self, link: ResourceLink, now: float) -> bool:
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

    def give_up(self, link: ResourceLink, error: AsyncClassifyError) -> NoReturn:
        """`error` on `link`'s resource: drain it for `Drainage.revive_after` when another
        can take its jobs (raising `ResourceDownError`: the job moves), else raise `error`
        itself, the call's. (A key rotated meanwhile, an endpoint back: it is tried again.)"""
        now = self.runtime.now()
        if not self.others_usable(link, now):
            raise error
        raise self.drained(link, str(error), until=now + self.drainage.revive_after)

    def drained(self, link: ResourceLink, why: str, *, until: float) -> ResourceDownError:
        """Drain `link`'s resource until `until` (saying so once); the error that moves the
        job that found it failing."""
        newly = link.health.drained is None
        if newly:
            logger.warning("resource %s drained, its jobs go to the others: %s", link.label, why)
            self.stats.resource(link.label).drained = why
        link.health.drain(why, until)
        if newly:
            link.drains.drained()
        return ResourceDownError(link, why)

    def submits_elsewhere(self, link: ResourceLink, now: float) -> str | None:
        """Why a submit due on `link`'s resource at `now` goes to another one instead (it is
        drained, or cannot run the call's tasks, and another can take it), or None."""
        if self.takes_jobs(link, now) or self.choose(now) in (None, link):
            return None
        return link.health.drained or "it cannot run the call's tasks"

    def limits(self, *, submit: bool) -> aiohttp.ClientTimeout:
        """The time limits of a submit, or of any other request (built once)."""
        return self._limits[submit]

    def accept_job(self) -> int:
        """Count a job the service accepted; its place in the call's order of them."""
        ordinal = self._jobs_accepted
        self._jobs_accepted += 1
        return ordinal

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
