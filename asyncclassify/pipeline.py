"""The stages of one call: read and batch documents, run jobs in flight, stream results out."""

from __future__ import annotations

import math
from collections.abc import AsyncIterable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream, TaskGroup

from .api.base import encode_document
from .batching import Batch, Batcher, Pending, TooLargeError
from .errors import DeadlineExceededError
from .inputs import InvalidDocumentError, character_count, normalize
from .jobs import CallContext, JobRunner
from .models import DocumentError, Result, TaskResult
from .stats import RunStats

TYPICAL_LATENCY = 0.2
"""Seconds a request takes besides waiting for the job, for sizing jobs in flight."""
SLOW_START_JOBS = 8
"""Jobs in flight before any has finished; each finished job allows two more."""
DEFAULT_LINGER = 0.05
"""Seconds a partly filled batch from an async source waits for more documents."""
_NOTHING: Any = object()


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """How documents are read and how much work is in flight."""

    max_concurrency: int = 100
    linger: float = DEFAULT_LINGER
    """Seconds a partly filled batch waits for more documents from a slow async source,
    counted from its first document."""
    default_language: str = "en"
    check_duplicate_ids: bool = True
    deadline: float | None = None
    """Seconds the whole call may take; then it winds down (see `DeadlineExceededError`)."""


class InFlight:
    """Counts jobs and documents in flight and holds new jobs back beyond a moving bound."""

    def __init__(self, bound: Callable[[], int], stats: RunStats) -> None:
        self._bound = bound
        self._stats = stats
        self.jobs = 0
        self.documents = 0
        self.peak_documents = 0
        self._changed = anyio.Event()

    async def acquire(self, documents: int) -> None:
        """Wait for room for one more job of `documents` documents."""
        while self.jobs >= self._bound():
            await self._changed.wait()
        self.jobs += 1
        self.documents += documents
        if self.documents > self.peak_documents:
            self.peak_documents = self._stats.peak_documents_in_flight = self.documents

    def release(self, documents: int) -> None:
        """A job has given all its results."""
        self.jobs -= 1
        self.documents -= documents
        self._changed.set()
        self._changed = anyio.Event()


class Pipeline:
    """One call's stages, run inside one task group."""

    def __init__(self, context: CallContext, options: StreamOptions) -> None:
        self._context = context
        self._options = options
        self.in_flight = InFlight(self._in_flight_bound, context.stats)
        limits = context.dialect.limits
        self._batcher = Batcher(limits, context.template(tuple(range(len(context.tasks)))).overhead)
        self._character_limit = limits.max_characters
        self._seen_ids: set[str] | None = set() if options.check_duplicate_ids else None
        self._documents_read = 0

    async def run(self, source: Iterable[Any] | AsyncIterable[Any]) -> None:
        """Push every document of `source` through; return when every result is out.

        Past the deadline, no more of `source` is read, every document read so far gets its
        result (`DeadlineExceeded` errors for unfinished ones), then `DeadlineExceededError`.
        """
        send, receive = anyio.create_memory_object_stream[Batch](0)
        deadline = self._options.deadline
        async with anyio.create_task_group() as watch:
            if deadline is not None:
                watch.start_soon(self._stop_after, deadline)
            async with anyio.create_task_group() as group:
                group.start_soon(self._dispatch, receive, group)
                async with send:
                    if isinstance(source, AsyncIterable):
                        await self._read_async(source, send)
                    else:
                        await self._read(source, send)
            watch.cancel_scope.cancel()
        if self._context.stopping:
            raise DeadlineExceededError(
                f"the call's deadline of {deadline} s passed; the first "
                f"{self._documents_read} input documents have their results (unfinished ones "
                "as DeadlineExceeded errors); the rest of the input was not read",
                documents_read=self._documents_read,
            )

    async def _stop_after(self, seconds: float) -> None:
        await anyio.sleep(seconds)
        self._context.stop()

    def _in_flight_bound(self) -> int:
        """Little's law: jobs in flight = job rate the budget allows x time a job is held."""
        context = self._context
        polls_per_job = max(1.0, context.stats.gets_per_job)
        jobs_per_second = context.budget.rate / (1.0 + polls_per_job)
        held = context.schedule.estimate() * 1.5 + TYPICAL_LATENCY
        needed = math.ceil(2.0 * jobs_per_second * held) + 2
        # Slow start: until jobs finish, the schedule knows little and follow-up polls of
        # a large first wave could spend a whole window of the budget at once.
        finished = context.stats.documents // context.dialect.limits.max_documents
        ramp = SLOW_START_JOBS + 2 * finished
        return max(2, min(self._options.max_concurrency, needed, ramp))

    async def _read(self, source: Iterable[Any], send: ObjectSendStream[Batch]) -> None:
        for index, item in enumerate(source):
            if self._context.stopping:
                break
            batch = await self._take(index, item)
            if batch is not None:
                await send.send(batch)
        last = self._batcher.flush()
        if last is not None:
            await send.send(last)

    async def _read_async(self, source: AsyncIterable[Any], send: ObjectSendStream[Batch]) -> None:
        items_send, items_receive = anyio.create_memory_object_stream[Any](
            self._context.dialect.limits.max_documents
        )

        async def pump() -> None:
            with self._context.interruptible():
                async with items_send:
                    async for item in source:
                        await items_send.send(item)

        async with anyio.create_task_group() as group, items_receive:
            group.start_soon(pump)
            index = 0
            leave_at = math.inf  # when the partly filled batch leaves without more documents
            while not self._context.stopping:
                item: Any = _NOTHING
                try:
                    # Documents already waiting always join the batch, however late it is.
                    item = items_receive.receive_nowait()
                except anyio.WouldBlock:
                    with anyio.CancelScope(deadline=leave_at):
                        try:
                            item = await items_receive.receive()
                        except anyio.EndOfStream:
                            break
                except anyio.EndOfStream:
                    break
                if item is _NOTHING:
                    leave_at = math.inf
                    partial = self._batcher.flush()
                    if partial is not None:
                        await send.send(partial)
                    continue
                if leave_at == math.inf:
                    leave_at = anyio.current_time() + self._options.linger
                batch = await self._take(index, item)
                index += 1
                if batch is not None:
                    await send.send(batch)
                    # The document just read either closed the batch or starts the next one.
                    leave_at = math.inf
                    if batch.documents[-1].index != index - 1:
                        leave_at = anyio.current_time() + self._options.linger
        last = self._batcher.flush()
        if last is not None:
            await send.send(last)

    async def _take(self, index: int, item: Any) -> Batch | None:
        """Check one input document: batch it, or give it its error result at once."""
        self._documents_read = index + 1
        options = self._options
        try:
            document_id, text, language, id_given = normalize(item, index, options.default_language)
            if self._seen_ids is not None and id_given:
                if document_id in self._seen_ids:
                    raise InvalidDocumentError(
                        document_id, index, "duplicate id: an earlier document has it"
                    )
                self._seen_ids.add(document_id)
            characters = character_count(text, self._character_limit)
            encoded = encode_document(str(index), text, language)
            try:
                self._batcher.check(characters, len(encoded))
            except TooLargeError as exc:
                raise InvalidDocumentError(document_id, index, str(exc)) from None
        except InvalidDocumentError as exc:
            await self._reject(index, exc)
            return None
        return self._batcher.add(Pending(index, document_id, encoded), characters)

    async def _reject(self, index: int, problem: InvalidDocumentError) -> None:
        emitter = self._context.emitter
        await emitter.wait_for_room(index)
        error = DocumentError("InvalidInput", str(problem))
        outcomes = tuple(TaskResult(task, error=error) for task in self._context.tasks)
        await emitter.emit([Result(problem.document_id, index, outcomes)])

    async def _dispatch(self, batches: ObjectReceiveStream[Batch], group: TaskGroup) -> None:
        async with batches:
            async for batch in batches:
                await self._context.emitter.wait_for_room(batch.documents[-1].index)
                await self.in_flight.acquire(len(batch))
                group.start_soon(self._run_job, batch)

    async def _run_job(self, batch: Batch) -> None:
        try:
            await JobRunner(self._context, batch).run()
        finally:
            self.in_flight.release(len(batch))
