"""The user-facing client: configuration, the HTTP session, `stream()` / `classify()`, and
`classify_one()` / `classify_many()` for many small concurrent calls that share jobs."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Sequence
from types import TracebackType
from typing import Any

import aiohttp
import anyio
from anyio.abc import ObjectSendStream, TaskGroup

from ._api import DEFAULT_API_VERSION, dialect_for
from ._api.auth import Credential
from ._api.transport import AiohttpTransport, AsyncTransport, new_session
from ._call.coalescing import Coalescer
from ._call.emitting import Emitter
from ._call.pipeline import DEFAULT_LINGER, Pipeline, StreamOptions
from ._call.streaming import ResultStream
from ._errors import ConfigurationError
from ._job.context import CallContext, JobOptions
from ._job.retrying import RetryPolicy
from ._models import Result, Task, as_tasks
from ._pacing import Pacer
from ._pacing.budget import RequestBudget
from ._pacing.pooling import PoolFinder
from ._pacing.runtime import Spawn
from ._resources.links import DrainNotice, Resource, ResourceLink
from ._settings import Coalescing, Drainage, Pacing
from ._stats import RunStats

Documents = Iterable[Any] | AsyncIterable[Any]


class Client:
    """An asynchronous client for custom text classification and custom NER jobs.

    One client holds one HTTP session and, for each resource, one request budget and pacer;
    any number of concurrent `stream()` / `classify()` calls may share it. Use it as an async
    context manager (or call `aclose()`).

    `Client(endpoint, credential)` uses one resource. `credential` is the resource key, a key
    holder such as `azure.core.credentials.AzureKeyCredential` (read for every request: a
    rotated key takes effect on the next one), or an async Entra ID token credential (https
    only). `requests_per_minute` is the service's budget for the resource (1,000 for custom
    features, the default); `rate_window` scales its window (seconds) for tests on an
    emulator. With several resources, each `Resource` has its own.

    `Client(resources=[Resource(endpoint, credential), ...])` spreads the jobs over several
    resources the projects are deployed to, each with its own budget and pacer: each batch
    goes to the resource that can start it first; a resource that fails (refused
    credentials, spent quota, every request failing for `drainage.drain_after` seconds) is
    drained and its unfinished jobs go to the others; a call whose project is not deployed
    on a resource sends that resource none of its jobs.

    The rest comes in groups, each with its defaults: `pacing` (`Pacing`: the caps on jobs
    in flight, the first guess of a job's duration), `retry` (`RetryPolicy`: how long
    transient failures are ridden out, how long each request and each job may take),
    `drainage` (`Drainage`) and `coalescing` (`Coalescing`: how `classify_one()` /
    `classify_many()` share jobs). `language` is the documents' default language.

    Requests go over an aiohttp session the client opens (or `session`, which it leaves
    open). `transport` replaces that with any `AsyncTransport`, such as a `MockTransport`
    that answers from a function: for tests, and for simulations that run this client's
    own code without sockets.
    """

    def __init__(
        self,
        endpoint: str | None = None,
        credential: Credential | None = None,
        *,
        resources: Sequence[Resource] | None = None,
        api_version: str = DEFAULT_API_VERSION,
        language: str = "en",
        requests_per_minute: int | None = None,
        rate_window: float | None = None,
        pacing: Pacing | None = None,
        retry: RetryPolicy | None = None,
        drainage: Drainage | None = None,
        coalescing: Coalescing | None = None,
        allow_insecure_http: bool = False,
        session: aiohttp.ClientSession | None = None,
        transport: AsyncTransport | None = None,
    ) -> None:
        self._dialect = dialect_for(api_version)
        self.api_version = api_version
        if not language:
            raise ConfigurationError("language must be a language code such as 'en'")
        self._language = language
        pacing = pacing or Pacing()
        self._max_jobs_in_flight = pacing.max_jobs_in_flight
        given: dict[str, Any] = {
            "requests_per_minute": requests_per_minute,
            "rate_window": rate_window,
        }
        budget = {name: value for name, value in given.items() if value is not None}
        if resources is None:
            if endpoint is None or credential is None:
                raise ConfigurationError("Client needs an endpoint and a credential, or resources")
            resources = [Resource(endpoint, credential, **budget)]
        elif endpoint is not None or credential is not None:
            raise ConfigurationError("give either an endpoint and a credential, or resources")
        elif budget:
            raise ConfigurationError(
                f"with resources, give {' and '.join(budget)} to each Resource, not to the Client"
            )
        self._links = _links(resources, pacing, allow_insecure_http)
        self._retry = retry or RetryPolicy()
        self._drainage = drainage or Drainage()
        if session is not None and transport is not None:
            raise ConfigurationError("give either a session or a transport, not both")
        self._session = session
        self._owns_session = session is None
        self._transport = transport
        self._group: TaskGroup | None = None
        """Where the client's calls and coalescing streams run (open between enter and exit)."""
        self._pacing: TaskGroup | None = None
        """Where the pacers' dispatchers run: closed after the calls, which need them to
        cancel their jobs on the way out."""
        coalescing = coalescing or Coalescing()
        self._coalesce_linger = coalescing.linger
        self._coalescer = Coalescer(
            self._open_shared_stream,
            self._spawner,
            max_pending=coalescing.max_pending,
            default_language=language,
        )

    @property
    def budget(self) -> RequestBudget:
        """The (first) resource's own request budget (what it has learnt of the limit
        included; resources found to share one budget learn it together, in their pool)."""
        return self._links[0].pacer.own_budget

    @property
    def pacer(self) -> Pacer:
        """The (first) resource's pacer: its budget, learnt durations, jobs in flight
        (read-only)."""
        return self._links[0].pacer

    @property
    def pacers(self) -> dict[str, Pacer]:
        """Every resource's pacer, by the resource's label (read-only)."""
        return {link.label: link.pacer for link in self._links}

    @property
    def resources(self) -> tuple[Resource, ...]:
        """The resources the client spreads its jobs over."""
        return tuple(link.resource for link in self._links)

    def __repr__(self) -> str:
        endpoints = ", ".join(repr(str(link.endpoint)) for link in self._links)
        return f"Client(endpoints=[{endpoints}], api_version={self.api_version!r})"

    async def __aenter__(self) -> Client:
        if self._group is not None:
            raise ConfigurationError("the client is open already")
        pacing = anyio.create_task_group()
        await pacing.__aenter__()
        calls = anyio.create_task_group()
        try:
            await calls.__aenter__()
        except BaseException:
            await pacing.__aexit__(None, None, None)
            raise
        self._pacing, self._group = pacing, calls
        for link in self._links:
            link.runtime.attach(pacing.start_soon)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        calls, self._group = self._group, None
        pacing, self._pacing = self._pacing, None
        try:
            if calls is not None:
                # Calls still running stop (their jobs are cancelled if they asked for it).
                calls.cancel_scope.cancel()
                # Not told the body's exception: it goes on as it is, not wrapped in a group.
                await calls.__aexit__(None, None, None)
        finally:
            try:
                if pacing is not None:
                    pacing.cancel_scope.cancel()
                    await pacing.__aexit__(None, None, None)
            finally:
                await self._close()

    async def aclose(self) -> None:
        """Close the client (as leaving `async with` does; from the task that opened it)."""
        await self.__aexit__(None, None, None)

    async def _close(self) -> None:
        for link in self._links:
            link.close()
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None
            self._transport = None  # (it was over that session)

    def stream(
        self,
        documents: Documents,
        *tasks: Task | str,
        ordered: bool = False,
        cancel_remote: bool = False,
        display_name: str | None = None,
        check_duplicate_ids: bool = True,
        deadline: float | None = None,
        linger: float = DEFAULT_LINGER,
    ) -> ResultStream:
        """Results for `documents`, one per document, as soon as each job finishes.

        `documents` is any iterable or async iterable of str, (id, text) pairs, mappings with
        id/text/language, or `Document`; it is read lazily. Results come in completion order,
        or in input order with `ordered=True` (through a bounded reorder buffer). With
        `cancel_remote=True`, leaving early also cancels unfinished jobs on the service.
        `check_duplicate_ids` remembers every caller-given id to catch repeats (memory grows
        with the number of such ids; turn it off for huge corpora with trusted ids).
        `linger` (seconds) is how long a partly filled job waits for more documents from a
        slow async iterable, counted from its first document.
        `deadline` (seconds) bounds the whole call: when it passes, no more input is read,
        every document read so far gets its result (`DeadlineExceeded` errors for unfinished
        ones, whose jobs are cancelled on the service), and then `DeadlineExceededError` says
        how many input documents were read.
        """
        _check_documents(documents)
        tasks = _checked_tasks(tasks)
        if not tasks:
            raise ConfigurationError("stream() needs at least one task")
        self._dialect.validate_tasks(tasks)
        stats = RunStats()
        job_options = JobOptions(
            job_timeout=self._retry.job_timeout,
            cancel_remote=cancel_remote,
            display_name=display_name,
        )
        stream_options = StreamOptions(
            default_language=self._language,
            check_duplicate_ids=check_duplicate_ids,
            deadline=deadline,
            linger=linger,
        )
        reorder_span = self._max_jobs_in_flight * self._dialect.limits.max_documents

        async def run(source: Documents, send: ObjectSendStream[list[Result]]) -> None:
            emitter = Emitter(send, stats, ordered, reorder_span)
            context = CallContext(
                self._open_transport(),
                self._links,
                self._dialect,
                tasks,
                self._retry,
                stats,
                emitter,
                job_options,
                self._drainage,
                default_language=stream_options.default_language,
            )
            await Pipeline(context, stream_options).run(source)

        return ResultStream(run, documents, stats, self._spawner())

    async def classify(
        self, documents: Documents, *tasks: Task | str, **options: Any
    ) -> list[Result]:
        """All results in input order: for small inputs (it holds every result in memory)."""
        async with self.stream(documents, *tasks, ordered=True, **options) as results:
            return [result async for result in results]

    async def classify_one(self, document: Any, *tasks: Task | str) -> Result:
        """The result of one document, from a job shared with concurrent callers.

        For servers that classify a few texts per incoming request: the documents of every
        concurrent `classify_one()` / `classify_many()` call with the same tasks are packed
        into shared jobs (full ones at once, a partly filled one after `Coalescing.linger`).
        `document` is a str, an (id, text) pair, a mapping or a `Document`; ids need only be
        unique within one call. Leaving (cancellation) affects no other caller. Raises
        `OverloadedError` at once when `Coalescing.max_pending` documents wait already, and
        the exception that stopped the shared work (a rejected key, for example).
        """
        (result,) = await self._coalescer.classify((document,), _checked_tasks(tasks))
        return result

    async def classify_many(self, documents: Iterable[Any], *tasks: Task | str) -> list[Result]:
        """The results of a few documents, in input order, from jobs shared with other callers.

        As `classify_one()`; the documents are taken (or refused) together.
        """
        _check_documents(documents)
        return await self._coalescer.classify(tuple(documents), _checked_tasks(tasks))

    @property
    def coalesced_pending(self) -> int:
        """Documents of `classify_one()` / `classify_many()` calls waiting for their results."""
        return self._coalescer.pending

    def _open_shared_stream(
        self, documents: AsyncIterable[Any], tasks: tuple[Task, ...]
    ) -> ResultStream:
        """The long-running stream that packs coalesced documents for `tasks` into jobs."""
        return self.stream(
            documents, *tasks, check_duplicate_ids=False, linger=self._coalesce_linger
        )

    def _spawner(self) -> Spawn:
        """Starts tasks in the client's group; refused while the client is not open."""
        if self._group is None:
            raise ConfigurationError(
                "the client is not open: use it as `async with Client(...) as client`"
            )
        return self._group.start_soon

    def _open_transport(self) -> AsyncTransport:
        """The transport given, or one over the session (opened on first use)."""
        if self._transport is None:
            if self._session is None:
                self._session = new_session()
            self._transport = AiohttpTransport(self._session)
        return self._transport


def _links(
    resources: Sequence[Resource], pacing: Pacing, allow_insecure_http: bool
) -> tuple[ResourceLink, ...]:
    if not resources:
        raise ConfigurationError("resources must name at least one resource")
    drains = DrainNotice()
    links = tuple(
        ResourceLink(
            resource,
            drains=drains,
            pacing=pacing,
            allow_insecure_http=allow_insecure_http,
        )
        for resource in resources
    )
    labels = [link.label for link in links]
    if len(set(labels)) != len(labels):
        raise ConfigurationError(f"resources need distinct names, got {labels}")
    if len(links) > 1:
        pools = PoolFinder(link.pacer for link in links)
        for link in links:
            link.pacer.pools = pools
    return links


def _check_documents(documents: object) -> None:
    """A text where documents belong would be read as one document per character."""
    if isinstance(documents, (str, bytes, bytearray)):
        raise TypeError(
            f"documents must be an iterable of documents, not one {type(documents).__name__} "
            "(it would be read a character at a time): pass [text], or use classify_one(text)"
        )


def _checked_tasks(tasks: tuple[object, ...]) -> tuple[Task, ...]:
    try:
        return as_tasks(tasks)
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None
