"""Coalescing: many small concurrent calls of one client share jobs of up to 25 documents.

Each tuple of tasks has a *shared stream*: one long-running stream of the client, fed through a
memory stream, whose pipeline packs whatever documents wait into jobs (a partly filled batch
leaves after the stream's linger). Each document travels under a private key, so callers may
use the same ids as each other; results are routed back to the caller that sent them.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterable, Callable, Sequence
from types import TracebackType
from typing import Any

import anyio
from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream

from .._errors import CallStoppedError, ConfigurationError, OverloadedError
from .._models import Document, DocumentError, Result, Task, TaskResult
from .._pacing.runtime import Spawn
from .inputs import InvalidDocumentError, normalize
from .streaming import ResultStream

OpenStream = Callable[[AsyncIterable[Document], tuple[Task, ...]], ResultStream]
"""Starts one shared stream of the client: (documents, tasks) -> results."""


class _Caller:
    """One call's results as they come back; `done` is set when all are in, or on failure."""

    __slots__ = ("done", "failure", "remaining", "results", "traceback")

    def __init__(self, count: int) -> None:
        self.results: list[Result | None] = [None] * count
        self.remaining = count
        self.failure: BaseException | None = None
        self.traceback: TracebackType | None = None
        self.done = anyio.Event()
        if count == 0:
            self.done.set()

    def answer(self, position: int, result: Result) -> None:
        self.results[position] = result
        self.remaining -= 1
        if self.remaining == 0:
            self.done.set()

    def fail(self, failure: BaseException) -> None:
        if not self.done.is_set():
            self.failure = failure
            self.traceback = failure.__traceback__
            self.done.set()

    def raise_failure(self) -> None:
        if self.failure is not None:
            # One exception reaches many callers: start each from the stream's traceback, so
            # that it does not grow with every caller that raises it.
            raise self.failure.with_traceback(self.traceback)


class _SharedStream:
    """The shared stream of one tuple of tasks, and where each of its documents goes back."""

    def __init__(
        self, send: MemoryObjectSendStream[Document], receive: MemoryObjectReceiveStream[Document]
    ) -> None:
        self.routes: dict[str, tuple[_Caller, int, str]] = {}
        """Private key -> (caller, position in the caller's input, the caller's id)."""
        self.open = True
        self.documents = receive
        """What the shared stream reads."""
        self._send = send

    def add(
        self, key: str, document: Document, caller: _Caller, position: int, document_id: str
    ) -> None:
        """Queue one document for the next shared job (never waits: the queue is bounded
        by the coalescer's `max_pending`, checked before)."""
        self.routes[key] = (caller, position, document_id)
        self._send.send_nowait(document)

    async def run(self, results: ResultStream) -> None:
        """Route results until the stream stops; then fail every caller still waiting."""
        try:
            async with results:
                async for result in results:
                    self._route(result)
        except Exception as exc:  # a problem that stops every caller of the shared stream
            self.close(exc)
        finally:
            self.close(CallStoppedError("the client was closed before every result was out"))

    def close(self, failure: BaseException) -> None:
        """Take no more documents; every caller still waiting gets `failure` (once only)."""
        self.open = False
        self._send.close()
        self.documents.close()
        routes, self.routes = self.routes, {}
        for caller, _, _ in routes.values():
            caller.fail(failure)

    def _route(self, result: Result) -> None:
        route = self.routes.pop(result.id, None)
        if route is None:
            return
        caller, position, document_id = route
        caller.answer(position, Result(document_id, position, result.tasks))


class Coalescer:
    """Packs the documents of concurrent `classify_one()` / `classify_many()` calls together.

    At most `max_pending` documents may be waiting for their results (queued or in jobs,
    those of callers that left included); a call that would go over is refused with
    `OverloadedError` at once. Shared streams run in the client's task group (`spawn`).
    """

    def __init__(
        self,
        open_stream: OpenStream,
        spawn: Callable[[], Spawn],
        *,
        max_pending: int,
        default_language: str,
    ) -> None:
        self._open_stream = open_stream
        self._spawn = spawn
        self._max_pending = max_pending
        self._default_language = default_language
        self._streams: dict[tuple[Task, ...], _SharedStream] = {}
        self._keys = itertools.count()

    @property
    def pending(self) -> int:
        """Documents handed in and still waiting for their results."""
        return sum(len(shared.routes) for shared in self._streams.values())

    async def classify(self, documents: Sequence[Any], tasks: tuple[Task, ...]) -> list[Result]:
        """The results of `documents`, in their order, from jobs shared with other callers."""
        if not tasks:
            raise ConfigurationError("classify_one() and classify_many() need at least one task")
        caller = _Caller(len(documents))
        accepted: list[tuple[int, str, str, str]] = []
        seen: set[str] = set()
        for position, item in enumerate(documents):
            try:
                document_id, text, language, id_given = normalize(
                    item, position, self._default_language
                )
                if id_given:
                    if document_id in seen:
                        raise InvalidDocumentError(
                            document_id, position, "duplicate id: an earlier document has it"
                        )
                    seen.add(document_id)
            except InvalidDocumentError as problem:
                caller.answer(position, _rejected(problem, tasks))
                continue
            accepted.append((position, document_id, text, language))
        if accepted:
            pending = self.pending
            if pending + len(accepted) > self._max_pending:
                raise OverloadedError(
                    f"{pending} documents are waiting for shared jobs already; taking "
                    f"{len(accepted)} more would pass max_pending={self._max_pending}",
                    pending=pending,
                    max_pending=self._max_pending,
                )
            shared = self._stream_for(tasks)
            for position, document_id, text, language in accepted:
                key = str(next(self._keys))  # unique, whatever ids the callers chose
                shared.add(key, Document(key, text, language), caller, position, document_id)
        await caller.done.wait()
        caller.raise_failure()
        return [result for result in caller.results if result is not None]

    def _stream_for(self, tasks: tuple[Task, ...]) -> _SharedStream:
        shared = self._streams.get(tasks)
        if shared is not None and shared.open:
            return shared
        send, receive = anyio.create_memory_object_stream[Document](self._max_pending)
        try:
            results = self._open_stream(receive, tasks)
        except BaseException:
            send.close()
            receive.close()
            raise
        shared = _SharedStream(send, receive)
        self._streams[tasks] = shared

        async def run() -> None:
            try:
                await shared.run(results)
            finally:
                shared.close(CallStoppedError("the client was closed before every result was out"))
                if self._streams.get(tasks) is shared:
                    del self._streams[tasks]

        try:
            self._spawn()(run)
        except BaseException:
            shared.close(CallStoppedError("the client is not open"))
            del self._streams[tasks]
            raise
        return shared


def _rejected(problem: InvalidDocumentError, tasks: tuple[Task, ...]) -> Result:
    error = DocumentError("InvalidInput", str(problem))
    return Result(
        problem.document_id, problem.index, tuple(TaskResult(t, error=error) for t in tasks)
    )
