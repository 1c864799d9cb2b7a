"""The user-facing client: configuration, the HTTP session, `stream()` / `classify()`, and
`classify_one()` / `classify_many()` for many small concurrent calls that share jobs."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Iterable
from types import TracebackType
from typing import Any

import aiohttp
import anyio
from anyio.abc import ObjectSendStream
from yarl import URL

from .api import DEFAULT_API_VERSION, dialect_for
from .auth import AsyncTokenCredential, Authenticator, KeyAuth, TokenAuth
from .calls import CallContext, JobOptions
from .coalescing import Coalescer
from .emitting import Emitter
from .errors import ConfigurationError
from .models import Result, Task
from .pacing import Pacer, PacingSettings
from .pacing.budget import RequestBudget
from .pacing.runtime import PacerRuntime
from .pipeline import DEFAULT_LINGER, Pipeline, StreamOptions
from .retrying import RetryPolicy
from .stats import RunStats
from .streaming import ResultStream
from .transport import Transport, check_endpoint, new_session

Documents = Iterable[Any] | AsyncIterable[Any]


class Client:
    """An asynchronous client for custom text classification and custom NER jobs.

    One client holds one HTTP session and one request budget for its endpoint; any number
    of concurrent `stream()` / `classify()` calls may share it. Use it as an async context
    manager (or call `aclose()`).

    `credential` is the resource key, or an async Entra ID token credential (https only).
    `requests_per_minute` is the service's budget for the resource (1,000 for custom
    features); `rate_window` scales its window (seconds) for tests on an emulator.
    `max_concurrency` caps the jobs in flight (the pacer keeps as many as the budget needs,
    from how long jobs take); `first_poll` is the guess of a job's duration (seconds) until
    jobs have been seen to finish. `job_timeout` (seconds) bounds how long a job may run
    (queued time not counted): past it the job is read once more, cancelled, and what it did
    not finish is submitted again. `retry` says how long transient failures are ridden out
    (`RetryPolicy.horizon`, ten minutes by default) and how long each request may take.

    `coalesce_linger` and `coalesce_max_pending` shape `classify_one()` / `classify_many()`:
    how long (seconds) a partly filled shared job waits for more documents, and how many
    documents may wait for their results before new calls are refused (`OverloadedError`).
    """

    def __init__(
        self,
        endpoint: str,
        credential: str | AsyncTokenCredential,
        *,
        api_version: str = DEFAULT_API_VERSION,
        language: str = "en",
        max_concurrency: int = 2000,
        requests_per_minute: int = 1000,
        rate_window: float = 60.0,
        job_timeout: float = 1800.0,
        first_poll: float = 1.0,
        retry: RetryPolicy | None = None,
        allow_insecure_http: bool = False,
        session: aiohttp.ClientSession | None = None,
        coalesce_linger: float = 0.03,
        coalesce_max_pending: int = 5000,
    ) -> None:
        self._dialect = dialect_for(api_version)
        self.api_version = api_version
        self._endpoint = URL(endpoint.rstrip("/"))
        self._auth = _authenticator(credential)
        check_endpoint(self._endpoint, self._auth, allow_insecure_http)
        if max_concurrency < 1:
            raise ConfigurationError("max_concurrency must be at least 1")
        if not language:
            raise ConfigurationError("language must be a language code such as 'en'")
        if coalesce_linger < 0:
            raise ConfigurationError("coalesce_linger must be zero or more seconds")
        if coalesce_max_pending < 1:
            raise ConfigurationError("coalesce_max_pending must be at least 1")
        self._language = language
        self._max_concurrency = max_concurrency
        try:
            settings = PacingSettings(
                requests_per_minute=requests_per_minute,
                window=rate_window,
                first_poll=first_poll,
                max_jobs_in_flight=max_concurrency,
            )
        except ValueError as exc:
            raise ConfigurationError(str(exc)) from None
        self._pacer = PacerRuntime(Pacer(settings))
        self._retry = retry or RetryPolicy()
        self._job_defaults = JobOptions(job_timeout=job_timeout)
        self._session = session
        self._owns_session = session is None
        self._transport: Transport | None = None
        self._running: set[asyncio.Task[None]] = set()
        self._coalesce_linger = coalesce_linger
        self._coalescer = Coalescer(
            self._open_lane,
            self._running,
            max_pending=coalesce_max_pending,
            default_language=language,
        )

    @property
    def budget(self) -> RequestBudget:
        """The resource's request budget (what it has learnt of the real limit included)."""
        return self._pacer.pacer.budget

    @property
    def pacer(self) -> Pacer:
        """The resource's pacer: its budget, learnt durations, jobs in flight (read-only)."""
        return self._pacer.pacer

    def __repr__(self) -> str:
        return f"Client(endpoint={str(self._endpoint)!r}, api_version={self.api_version!r})"

    async def __aenter__(self) -> Client:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop calls still running, then close the HTTP session if the client opened it."""
        for task in list(self._running):
            task.cancel()
        if self._running:
            with anyio.CancelScope(shield=True):
                await asyncio.gather(*self._running, return_exceptions=True)
        self._pacer.close()
        if self._owns_session and self._session is not None:
            await self._session.close()
            self._session = None
        self._transport = None

    def stream(
        self,
        documents: Documents,
        *tasks: Task,
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
        if not tasks:
            raise ConfigurationError("stream() needs at least one task")
        self._dialect.validate_tasks(tasks)
        stats = RunStats()
        job_options = JobOptions(
            job_timeout=self._job_defaults.job_timeout,
            cancel_remote=cancel_remote,
            display_name=display_name,
        )
        stream_options = StreamOptions(
            default_language=self._language,
            check_duplicate_ids=check_duplicate_ids,
            deadline=deadline,
            linger=linger,
        )
        window = self._max_concurrency * self._dialect.limits.max_documents

        async def run(source: Documents, send: ObjectSendStream[list[Result]]) -> None:
            emitter = Emitter(send, stats, ordered, window)
            context = CallContext(
                self._open_transport(),
                self._dialect,
                self._endpoint,
                tasks,
                self._pacer,
                self._retry,
                stats,
                emitter,
                job_options,
            )
            await Pipeline(context, stream_options).run(source)

        return ResultStream(run, documents, stats, self._running)

    async def classify(self, documents: Documents, *tasks: Task, **options: Any) -> list[Result]:
        """All results in input order: for small inputs (it holds every result in memory)."""
        async with self.stream(documents, *tasks, ordered=True, **options) as results:
            return [result async for result in results]

    async def classify_one(self, document: Any, *tasks: Task) -> Result:
        """The result of one document, from a job shared with concurrent callers.

        For servers that classify a few texts per incoming request: the documents of every
        concurrent `classify_one()` / `classify_many()` call with the same tasks are packed
        into shared jobs (full ones at once, a partly filled one after `coalesce_linger`).
        `document` is a str, an (id, text) pair, a mapping or a `Document`; ids need only be
        unique within one call. Leaving (cancellation) affects no other caller. Raises
        `OverloadedError` at once when `coalesce_max_pending` documents wait already, and
        the exception that stopped the shared work (a rejected key, for example).
        """
        (result,) = await self._coalescer.classify((document,), tasks)
        return result

    async def classify_many(self, documents: Iterable[Any], *tasks: Task) -> list[Result]:
        """The results of a few documents, in input order, from jobs shared with other callers.

        As `classify_one()`; the documents are taken (or refused) together.
        """
        return await self._coalescer.classify(tuple(documents), tasks)

    @property
    def coalesced_pending(self) -> int:
        """Documents of `classify_one()` / `classify_many()` calls waiting for their results."""
        return self._coalescer.pending

    def _open_lane(self, documents: AsyncIterable[Any], tasks: tuple[Task, ...]) -> ResultStream:
        """The long-running stream that packs coalesced documents for `tasks` into jobs."""
        return self.stream(
            documents, *tasks, check_duplicate_ids=False, linger=self._coalesce_linger
        )

    def _open_transport(self) -> Transport:
        if self._transport is None:
            if self._session is None:
                self._session = new_session()
            self._transport = Transport(self._session, self._endpoint, self._auth)
        return self._transport


def _authenticator(credential: str | AsyncTokenCredential) -> Authenticator:
    if isinstance(credential, str):
        if not credential.strip():
            raise ConfigurationError("the key is empty")
        return KeyAuth(credential)
    if isinstance(credential, AsyncTokenCredential):
        return TokenAuth(credential)
    raise ConfigurationError(
        "credential must be the resource key (str) or an async token credential with "
        f"get_token(), not {type(credential).__name__}"
    )
