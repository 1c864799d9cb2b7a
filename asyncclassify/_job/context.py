"""What every job of one call shares: the transport, the resources (and the call's view of
them, `_resources.call_view`), the counters, the emitter, the retry policy, the request
bodies and time limits, and what the call has learnt of its tasks on each resource."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

import aiohttp
import anyio
from yarl import URL

from .._api.base import BodyTemplate, Dialect
from .._api.transport import AsyncTransport
from .._job.mistakes import MistakeWatch
from .._job.retrying import RetryPolicy
from .._models import Result, Task
from .._pacing.runtime import PacerRuntime
from .._resources.call_view import CallResources
from .._resources.links import ResourceLink
from .._settings import Drainage
from .._stats import RunStats

logger = logging.getLogger("asyncclassify")


class ResultSink(Protocol):
    """Where a call's results go (its emitter, `_call.emitting.Emitter`)."""

    async def emit(self, results: list[Result]) -> None:
        """Give out these results (each document's whole result, once)."""

    async def wait_for_room(self, index: int) -> None:
        """Wait until the document at input position `index` may be taken on."""


@dataclass(frozen=True, slots=True)
class JobOptions:
    """How each job of a call is run."""

    job_timeout: float = 1800.0
    """Seconds a job may run (time it spends queued, `notStarted`, not counted)."""
    cancel_remote: bool = False
    display_name: str | None = None


class CallContext:
    """What every job of one call shares: the transport, the resources (each with its pacer
    and sender; `resources` says which take the call's jobs), the counters, the emitter, the
    retry policy and what the call has learnt about its tasks (on each resource)."""

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
        self.resources = CallResources(self.links, stats, self.drainage)
        """The resources as this call sees them: which take its jobs, which are drained."""
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
