"""Where results leave the pipeline: straight out, or through a bounded reorder buffer."""

from __future__ import annotations

import anyio
from anyio.abc import ObjectSendStream

from .models import Result
from .stats import RunStats


class Emitter:
    """Sends each result exactly once; in `ordered` mode, in input order.

    Ordered mode keeps results that arrive early in a buffer. Work is only started for
    documents within `window` positions of the next one owed, so the buffer stays bounded.
    """

    def __init__(
        self, send: ObjectSendStream[Result], stats: RunStats, ordered: bool, window: int
    ) -> None:
        self._send = send
        self._stats = stats
        self._ordered = ordered
        self._window = window
        self._buffer: dict[int, Result] = {}
        self._next_index = 0
        self._advanced = anyio.Event()

    async def emit(self, result: Result) -> None:
        """Hand one document's result on (possibly after the ones before it)."""
        if result.ok:
            self._stats.documents_ok += 1
        else:
            self._stats.documents_failed += 1
        if not self._ordered:
            await self._send.send(result)
            return
        self._buffer[result.index] = result
        await self._drain()

    async def wait_for_room(self, index: int) -> None:
        """Wait until starting work on input position `index` keeps the buffer bounded."""
        while self._ordered and index >= self._next_index + self._window:
            await self._advanced.wait()

    async def _drain(self) -> None:
        moved = False
        while True:
            index = self._next_index
            result = self._buffer.pop(index, None)
            if result is None:
                break
            await self._send.send(result)
            self._next_index = index + 1
            moved = True
        if moved:
            self._advanced.set()
            self._advanced = anyio.Event()
