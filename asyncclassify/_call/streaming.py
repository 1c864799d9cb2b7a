"""`ResultStream`: the async iterator a call returns; the call runs in the client's task group."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterable, Callable, Coroutine, Iterable
from types import TracebackType
from typing import Any

import anyio
from anyio.abc import ObjectSendStream
from anyio.streams.memory import MemoryObjectSendStream

from .._errors import CallStoppedError
from .._models import Result
from .._pacing.runtime import Spawn
from .._stats import RunStats

RESULT_BUFFER = 4
"""Lists of results (a job's worth each) waiting for the consumer before the pipeline is made
to wait (backpressure)."""

Runner = Callable[
    [Iterable[Any] | AsyncIterable[Any], ObjectSendStream[list[Result]]],
    Coroutine[Any, Any, None],
]


class ResultStream:
    """Results of one call, one per input document, as they become ready.

    Iterate it inside ``async with``: leaving the block (a `break`, an exception, a
    cancellation) stops the call and waits until it has wound down (remote cancels
    included); `aclose()` does the same. The call runs in the client's task group, so a
    stream left without either runs on until the client closes. `stats` counts what the call
    has done so far.
    """

    def __init__(
        self,
        runner: Runner,
        source: Iterable[Any] | AsyncIterable[Any],
        stats: RunStats,
        spawn: Spawn,
    ) -> None:
        self.stats = stats
        self._runner = runner
        self._source = source
        self._spawn = spawn
        self._send, self._receive = anyio.create_memory_object_stream[list[Result]](RESULT_BUFFER)
        self._ready: deque[Result] = deque()
        self._call: _Call | None = None

    def __aiter__(self) -> ResultStream:
        return self

    async def __anext__(self) -> Result:
        if self._ready:
            return self._ready.popleft()
        call = self._call
        if call is None:
            call = self._call = _Call()
            self._spawn(lambda: call.run(self._runner, self._source, self._send))
        try:
            results = await self._receive.receive()
        except anyio.EndOfStream:
            await call.done.wait()
            failure, call.failure = call.failure, None
            if failure is not None:
                raise failure from None
            if call.stopped:
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
        call = self._call
        if call is not None and not call.done.is_set():
            call.scope.cancel()
            with anyio.CancelScope(shield=True):
                await call.done.wait()
        self._receive.close()

    def cancel(self) -> None:
        """Stop the call without waiting for it."""
        if self._call is not None:
            self._call.scope.cancel()


class _Call:
    """One call running in the client's task group: how to stop it, and how it ended."""

    __slots__ = ("done", "failure", "scope", "stopped")

    def __init__(self) -> None:
        self.scope = anyio.CancelScope()
        self.done = anyio.Event()
        self.failure: BaseException | None = None
        self.stopped = False
        """Cancelled from outside (the client closed), not by `aclose()`."""

    async def run(
        self,
        runner: Runner,
        source: Iterable[Any] | AsyncIterable[Any],
        send: MemoryObjectSendStream[list[Result]],
    ) -> None:
        try:
            with self.scope:
                async with send:
                    await runner(source, send)
        except anyio.get_cancelled_exc_class():
            self.stopped = True
            raise
        except Exception as exc:  # handed to the consumer, who raises it
            self.failure = _primary(exc)
        finally:
            send.close()
            self.done.set()


def _primary(exc: BaseException) -> BaseException:
    """The exception worth raising to the caller out of (possibly nested) groups."""
    while isinstance(exc, BaseExceptionGroup):
        inner = [e for e in exc.exceptions if not isinstance(e, anyio.get_cancelled_exc_class())]
        if not inner:
            return exc
        exc = inner[0]
    return exc
