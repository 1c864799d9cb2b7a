"""An asyncio event loop on a virtual clock: when nothing is ready to run, time jumps to the
next timer instead of passing. Code that does no real I/O (the client over a `MockTransport`)
then runs as it would for real, with every sleep, timeout and pacing decision where the real
clock would put it, as fast as the CPU allows.

Real I/O still works (the selector is polled without waiting), but time does not wait for it:
a thread or a socket that answers only after real time has passed finds the virtual clock far
ahead. A loop with nothing ready, no timer and no I/O would wait for ever; it raises instead.
"""

from __future__ import annotations

import asyncio
import selectors
from typing import Any

WALL_AT_ZERO = 1_790_000_000.37
"""The loop's wall clock (epoch seconds) at virtual time 0."""


class NothingLeftError(RuntimeError):
    """Every task waits, and no timer or I/O could ever wake one: a deadlock."""


class _JumpingSelector(selectors.DefaultSelector):
    """Polls without waiting; a wait it was asked for moves the clock instead."""

    def __init__(self, clock: VirtualClockLoop) -> None:
        super().__init__()
        self._clock = clock

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        events = super().select(0)
        if events or timeout == 0:
            return events
        if timeout is None:
            raise NothingLeftError("every task waits and nothing is scheduled to wake one")
        self._clock.advance(timeout)
        return []


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """A selector event loop whose `time()` is virtual (see the module docstring)."""

    def __init__(self) -> None:
        self._now = 0.0
        super().__init__(selector=_JumpingSelector(self))

    def time(self) -> float:
        """Virtual seconds since the loop was made."""
        return self._now

    def wall_time(self) -> float:
        """The wall clock that goes with the virtual one (read by the pacer's runtime in place
        of `time.time()`, so that the service's timestamps line up)."""
        return WALL_AT_ZERO + self._now

    def advance(self, seconds: float) -> None:
        """Move the clock on by `seconds` (the selector's wait)."""
        if seconds > 0:
            self._now += seconds


def run_virtual(main: Any) -> Any:
    """Run the coroutine function `main` to its end on a fresh virtual-clock loop; its result."""
    with asyncio.Runner(loop_factory=VirtualClockLoop) as runner:
        return runner.run(main())
