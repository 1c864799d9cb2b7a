"""Where results leave the pipeline: straight out, or through a bounded reorder buffer.

Results travel in lists (a job's worth at a time), so the cost of handing them across the
memory stream is paid once per job, not once per document.
"""

from __future__ import annotations

import anyio
from anyio.abc import ObjectSendStream

from .._models import Result
from .._stats import RunStats


class Emitter:
    """Sends each result exactly once; in `ordered` mode, in input order.

    Ordered mode keeps results that arrive early in a buffer. Work is only started for
    documents within `reorder_span` positions of the next one owed, so the buffer stays bounded.
    """

    def __init__(
        self,
        send: ObjectSendStream[list[Result]],
        stats: RunStats,
        ordered: bool,
        reorder_span: int,
    ) -> None:
        self._send = send
        self._stats = stats
        self._ordered = ordered
        self._reorder_span = reorder_span
        self._buffer: dict[int, Result] = {}
        self._next_index = 0
        self._advanced = anyio.Event()

    async def emit(self, results: list[Result]) -> None:
        """Hand documents' results on (possibly after the ones before them)."""
        if not results:
            return
        failed = sum(1 for result in results if not result.ok)
        self._stats.documents_failed += failed
        self._stats.documents_ok += len(results) - failed
        if not self._ordered:
            await self._send.send(results)
            return
        for result in results:
            self._buffer[result.index] = result
        await self._flush()

    async def wait_for_room(self, index: int) -> None:
        """Wait until starting work on input position `index` keeps the buffer bounded."""
        while self._ordered and index >= self._next_index + self._reorder_span:
            await self._advanced.wait()

    async def _flush(self) -> None:
        moved = False
        while True:
            start = index = self._next_index
            ready: list[Result] = []
            while (result := self._buffer.pop(index, None)) is not None:
                ready.append(result)
                index += 1
            if not ready:
                break
            # Nobody else sends until `_next_index` moves: the results stay in order.
            await self._send.send(ready)
            self._next_index = start + len(ready)
            moved = True
        if moved:
            self._advanced.set()
            self._advanced = anyio.Event()
