"""`ResultStream`: the async iterator a call returns, running the call in a task of its own."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterable, Callable, Coroutine, Iterable
from types import TracebackType
from typing import Any

import anyio
from anyio.abc import ObjectSendStream

from .errors import CallStoppedError
from .models import Result
from .stats import RunStats

RESULT_BUFFER = 4
"""Lists of results (a job's worth each) waiting for the consumer before the pipeline is made
to wait (backpressure)."""

Runner = Callable[
    [Iterable[Any] | AsyncIterable[Any], ObjectSendStream[list[Result]]],
    Coroutine[Any, Any, None],
]


class ResultStream:
    """Results of one call, one per input document, as they become ready.

    Iterate it with ``async for``; leave early by breaking out (the work is cancelled), or
    use ``async with`` / `aclose()` to wait until the call has wound down (including remote
    cancels). `stats` counts what the call has done so far.
    """

    def __init__(
        self,
        runner: Runner,
        source: Iterable[Any] | AsyncIterable[Any],
        stats: RunStats,
        running: set[asyncio.Task[None]],
    ) -> None:
        self.stats = stats
        self._runner = runner
        self._source = source
        self._running = running
        self._send, self._receive = anyio.create_memory_object_stream[list[Result]](RESULT_BUFFER)
        self._ready: deque[Result] = deque()
        self._task: asyncio.Task[None] | None = None
        self._outcome = _Outcome()

    def __aiter__(self) -> ResultStream:
        return self

    async def __anext__(self) -> Result:
        if self._ready:
            return self._ready.popleft()
        if self._task is None:
            # The task must not refer to this object, so that dropping it stops the work.
            call = _run_call(self._runner, self._source, self._send, self._outcome)
            self._task = asyncio.get_running_loop().create_task(call)
            self._running.add(self._task)
            self._task.add_done_callback(self._running.discard)
        try:
            results = await self._receive.receive()
        except anyio.EndOfStream:
            await asyncio.gather(self._task, return_exceptions=True)
            failure, self._outcome.failure = self._outcome.failure, None
            if failure is not None:
                raise failure from None
            if self._task.cancelled():
                # Stopped from outside (the client was closed): the results are incomplete,
                # and ending quietly would pass that off as a finished run.
                raise CallStoppedError(
                    "the call was stopped (the client was closed) before every result was out"
                ) from None
            raise StopAsyncIteration from None
        self._ready.extend(results)
        return self._ready.popleft()

    async def __aenter__(self) -> ResultStream:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Stop the call (if still running) and wait until it has wound down."""
        task = self._task
        if task is not None and not task.done():
            task.cancel()
            with anyio.CancelScope(shield=True):
                await asyncio.gather(task, return_exceptions=True)
        self._receive.close()

    def cancel(self) -> None:
        """Stop the call without waiting for it."""
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def __del__(self) -> None:
        # Dropped mid-iteration (a `break`, or the consumer was cancelled): stop the work.
        task = self._task
        if task is not None and not task.done():
            task.cancel()


class _Outcome:
    __slots__ = ("failure",)

    def __init__(self) -> None:
        self.failure: BaseException | None = None


async def _run_call(
    runner: Runner,
    source: Iterable[Any] | AsyncIterable[Any],
    send: ObjectSendStream[list[Result]],
    outcome: _Outcome,
) -> None:
    try:
        async with send:
            await runner(source, send)
    except anyio.get_cancelled_exc_class():
        raise
    except Exception as exc:  # handed to the consumer, who raises it
        outcome.failure = _primary(exc)


def _primary(exc: BaseException) -> BaseException:
    """The exception worth raising to the caller out of (possibly nested) groups."""
    while isinstance(exc, BaseExceptionGroup):
        inner = [e for e in exc.exceptions if not isinstance(e, anyio.get_cancelled_exc_class())]
        if not inner:
            return exc
        exc = inner[0]
    return exc
