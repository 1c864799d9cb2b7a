"""The stages of one call: read and batch documents, run jobs in flight, stream results out."""

from __future__ import annotations

import math
from collections.abc import AsyncIterable, Iterable
from dataclasses import dataclass
from typing import Any

import anyio
from anyio.abc import ObjectReceiveStream, ObjectSendStream, TaskGroup

from .._api.base import encode_document
from .._errors import DeadlineExceededError
from .._job.batching import Batch, Batcher, Pending, TooLargeError
from .._job.context import CallContext
from .._job.runner import BatchRunner
from .._models import DocumentError, Result, TaskResult
from .._resources.links import Admission, ResourceLink
from .inputs import InvalidDocumentError, character_count, normalize

DEFAULT_LINGER = 0.05
"""Seconds a partly filled batch from an async source waits for more documents."""
_NOTHING: Any = object()


@dataclass(frozen=True, slots=True)
class StreamOptions:
    """How documents are read."""

    linger: float = DEFAULT_LINGER
    """Seconds a partly filled batch waits for more documents from a slow async source,
    counted from its first document."""
    default_language: str = "en"
    check_duplicate_ids: bool = True
    deadline: float | None = None
    """Seconds the whole call may take; then it winds down (see `DeadlineExceededError`)."""


async def _either(first: anyio.Event, second: anyio.Event) -> None:
    """Return once either event is set."""
    async with anyio.create_task_group() as group:

        async def wait(event: anyio.Event) -> None:
            await event.wait()
            group.cancel_scope.cancel()

        group.start_soon(wait, first)
        group.start_soon(wait, second)


class Pipeline:
    """One call's stages, run inside one task group."""

    def __init__(self, context: CallContext, options: StreamOptions) -> None:
        self._context = context
        self._options = options
        self._documents_in_flight = 0
        limits = context.dialect.limits
        self._batcher = Batcher(limits, context.template(tuple(range(len(context.tasks)))).overhead)
        self._character_limit = limits.max_characters
        self._seen_ids: set[str] | None = set() if options.check_duplicate_ids else None
        self._documents_read = 0
        self._input_done = anyio.Event()
        """Set once every batch has been handed to a resource's feeder."""

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
                self._input_done.set()
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

    async def _read(self, source: Iterable[Any], send: ObjectSendStream[Batch]) -> None:
        for index, item in enumerate(source):
            if self._context.stopping:
                break
            taken = self._take(index, item)
            if isinstance(taken, InvalidDocumentError):
                await self._reject(index, taken)
            elif taken is not None:
                await send.send(taken)
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
                taken = self._take(index, item)
                index += 1
                batch = None
                if isinstance(taken, InvalidDocumentError):
                    await self._reject(index - 1, taken)
                else:
                    batch = taken
                if batch is not None:
                    await send.send(batch)
                    # The document just read either closed the batch or starts the next one.
                    leave_at = math.inf
                    if batch.documents[-1].index != index - 1:
                        leave_at = anyio.current_time() + self._options.linger
        last = self._batcher.flush()
        if last is not None:
            await send.send(last)

    def _take(self, index: int, item: Any) -> Batch | InvalidDocumentError | None:
        """Check one input document and batch it: the batch it closed, if any, or what is
        wrong with it (it gets its error result at once). Not a coroutine: this runs for
        every document."""
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
            return exc
        pending = Pending(index, document_id, encoded, language == options.default_language)
        return self._batcher.add(pending, characters)

    async def _reject(self, index: int, problem: InvalidDocumentError) -> None:
        emitter = self._context.emitter
        await emitter.wait_for_room(index)
        error = DocumentError("InvalidInput", str(problem))
        outcomes = tuple(TaskResult(task, error=error) for task in self._context.tasks)
        await emitter.emit([Result(problem.document_id, index, outcomes)])

    async def _dispatch(self, batches: ObjectReceiveStream[Batch], group: TaskGroup) -> None:
        """Each resource pulls the next batch as soon as its pacer may admit one, so that
        every batch goes to the resource that can start it first."""
        async with batches, anyio.create_task_group() as feeders:
            for link in self._context.links:
                feeders.start_soon(self._pull_batches, link, batches, group)

    async def _pull_batches(
        self, link: ResourceLink, batches: ObjectReceiveStream[Batch], group: TaskGroup
    ) -> None:
        context = self._context
        while True:
            if not await self._wait_usable(link):
                return
            try:
                batch = await batches.receive()
            except (anyio.EndOfStream, anyio.ClosedResourceError):
                return
            await context.emitter.wait_for_room(batch.documents[-1].index)
            # The pacer admits the batch among the jobs in flight when it grants the turn
            # of its first submit.
            admission = Admission(link, batch.size)
            with context.interruptible():
                await admission.wait()
            group.start_soon(self._run_batch, batch, link, admission)

    async def _wait_usable(self, link: ResourceLink) -> bool:
        """Wait while the call may not send `link`'s resource new jobs (it is drained, or
        cannot run the call's tasks): until that ends, or another resource is drained (this
        one may then be the call's last); False once the input has ended (nothing is left
        to feed it)."""
        context, health = self._context, link.health
        while True:
            now = anyio.current_time()
            if context.resources.takes_jobs(link, now):
                return True
            if self._input_done.is_set():
                return False
            blocked_until = context.resources.unfit_until(link)
            if blocked_until <= now:
                blocked_until = health.drained_until
            with anyio.move_on_after(blocked_until - now):
                await _either(self._input_done, link.drains.event())

    async def _run_batch(self, batch: Batch, link: ResourceLink, admission: Admission) -> None:
        context = self._context
        stats = context.stats
        self._documents_in_flight += len(batch)
        stats.peak_documents_in_flight = max(
            stats.peak_documents_in_flight, self._documents_in_flight
        )
        try:
            with admission:
                held = admission if admission.granted else None
                await BatchRunner(context, batch, link, held).run()
        finally:
            self._documents_in_flight -= len(batch)
