"""The pacer at work: requests wait for their turn, one dispatcher grants them.

A thin loop around the pure `Pacer`: each request asks for a `Turn` and waits on an event;
the dispatcher task grants turns as the pacer decides (now, or when `next_decision` comes),
and wakes up whenever something it was told may change its mind. Every event the pacer
learns from goes through here, and those that may let a waiting turn go sooner wake the
dispatcher; with nothing due at any time, it ends, and the next such event starts it again.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import Callable, Coroutine
from typing import Any

import anyio

from .pacer import Pacer
from .turns import PolledJob, Turn

logger = logging.getLogger("asyncclassify")

IDLE_STEP = 0.0005
"""The least the dispatcher waits when it granted nothing (seconds)."""


class PacerFailedError(RuntimeError):
    """The pacer broke (a bug): no request can be paced on its resource."""


Spawn = Callable[[Callable[[], Coroutine[Any, Any, None]]], object]
"""Starts a task (the client's task group's `start_soon`)."""


class PacerRuntime:
    """Runs one resource's `Pacer` on the event loop, its dispatcher in the client's tasks."""

    def __init__(self, pacer: Pacer) -> None:
        self.pacer = pacer
        self._changed: anyio.Event | None = None
        """Set when the dispatcher should think again (made on the event loop, lazily)."""
        self._spawn: Spawn | None = None
        self._dispatching: anyio.CancelScope | None = None
        """The running dispatcher's scope (None while none runs)."""
        self._failure: Exception | None = None
        """What broke the dispatcher: every turn waiting, and every later one, raises it."""
        self._waiting: set[anyio.Event] = set()

    def attach(self, spawn: Spawn | None) -> None:
        """Run the dispatcher with `spawn` (the client's task group); None detaches it."""
        self._spawn = spawn

    @staticmethod
    def now() -> float:
        """The clock the pacer runs on (the event loop's, as `anyio.current_time()`)."""
        return asyncio.get_running_loop().time()

    def wall_offset(self) -> float:
        """Our wall clock minus the pacer's clock (to read the service's timestamps). A loop
        on a virtual clock has a wall clock of its own (`wall_time`), which goes with it."""
        loop = asyncio.get_running_loop()
        wall = getattr(loop, "wall_time", time.time)
        return float(wall()) - loop.time()

    async def wait(self, turn: Turn) -> None:
        """Wait until `turn` may go (it has then spent one request from the budget)."""
        self._check()
        granted = anyio.Event()
        turn.wake = granted.set
        pacer = self.pacer
        now = self.now()
        pacer.ask(turn, now)
        # A turn that may go now goes now, without a round trip through the dispatcher.
        for other in pacer.grant(now):
            assert other.wake is not None
            other.wake()
        if turn.granted:
            # Granting can only make the dispatcher's next decision later, never sooner.
            return
        self._poke()
        self._waiting.add(granted)
        try:
            await granted.wait()
            if not turn.granted:
                self._check()
        except BaseException:
            if not turn.granted:
                pacer.withdraw(turn)
                if self._failure is None:
                    self._poke()
            raise
        finally:
            self._waiting.discard(granted)

    def _check(self) -> None:
        if self._failure is not None:
            raise PacerFailedError(
                f"the pacer of {self.pacer.label or 'a resource'} failed: {self._failure!r}"
            ) from self._failure

    def changed(self) -> None:
        """Something the pacer was told may let a waiting turn go sooner."""
        self._poke()

    def close(self) -> None:
        """Stop the dispatcher (waiting turns are cancelled with their callers)."""
        if self._dispatching is not None:
            self._dispatching.cancel()
            self._dispatching = None
        self._spawn = None

    # -- events (each wakes the dispatcher) --------------------------------------------------

    def job_accepted(self, sent_at: float, *, created_wall: float | None) -> PolledJob:
        """A submit sent at `sent_at` has just been answered 202."""
        # A new job has no turn waiting yet: nothing for the dispatcher to reconsider.
        return self.pacer.job_accepted(
            sent_at,
            self.now(),
            created_wall=created_wall,
            wall_offset=self.wall_offset(),
        )

    def job_polled(
        self,
        job: PolledJob,
        sent_at: float,
        *,
        status: str,
        finished: bool,
        created_wall: float | None,
        finished_wall: float | None = None,
    ) -> None:
        """A poll of `job` sent at `sent_at` has just been answered."""
        self.pacer.job_polled(
            job,
            sent_at,
            self.now(),
            status=status,
            finished=finished,
            finished_wall=finished_wall,
            created_wall=created_wall,
            wall_offset=self.wall_offset(),
        )
        self._poke()

    def job_lost(self, job: PolledJob, sent_at: float) -> None:
        """A poll of `job` sent at `sent_at` found it gone (expired on the service)."""
        self.pacer.job_lost(job, sent_at)
        self.pacer.answered(sent_at, self.now())

    def job_ended(self, job: PolledJob) -> None:
        """`job` will not be polled again."""
        self.pacer.job_ended(job)

    def admitted(self, size: int) -> None:
        """A batch of `size` bytes admitted on another resource moved here."""
        self.pacer.admitted(size, self.now())

    def released(self, size: int) -> None:
        """A batch admitted with `size` bytes has given all its results."""
        self.pacer.released(size, self.now())
        self._poke()

    def throttled(self, retry_after: float, sent_at: float) -> None:
        """A request sent at `sent_at` has just been answered 429 (the pause it starts can
        only make the dispatcher's next decision later)."""
        self.pacer.throttled(self.now(), retry_after, sent_at)

    def answered(self, sent_at: float) -> None:
        """Another request sent at `sent_at` has just been answered."""
        self.pacer.answered(sent_at, self.now())

    # -- the dispatcher ----------------------------------------------------------------------

    def _poke(self) -> None:
        if self._changed is not None:
            self._changed.set()
        if self._dispatching is None and self._failure is None:
            if self._spawn is None:
                raise RuntimeError("the client is not open: use it as `async with Client(...)`")
            self._dispatching = anyio.CancelScope()
            self._spawn(self._run_dispatcher)

    async def _run_dispatcher(self) -> None:
        scope = self._dispatching
        if scope is None:
            return
        try:
            with scope:
                await self._dispatch()
        except Exception as exc:
            # A dispatcher that is gone grants nothing: the turns waiting on it must not wait
            # for ever. Each raises what broke it (a bug of ours: nothing can be paced now).
            logger.exception("the pacer's dispatcher failed")
            self._failure = exc
            for waiting in list(self._waiting):
                waiting.set()
        finally:
            if self._dispatching is scope:
                self._dispatching = None

    async def _dispatch(self) -> None:
        pacer = self.pacer
        loop = asyncio.get_running_loop()
        while True:
            changed = self._changed = anyio.Event()
            now = self.now()
            granted = pacer.grant(now)
            for turn in granted:
                assert turn.wake is not None
                turn.wake()
            wake = pacer.next_decision(now)
            if wake is None and not changed.is_set():
                # Nothing is due at any time: only an event can change that, and every event
                # starts the dispatcher again. No task is left behind between calls.
                self._dispatching = None
                return
            delay = math.inf if wake is None else max(0.0, wake - now)
            if not granted:
                delay = max(delay, IDLE_STEP)  # never spin, whatever the pacer says
            # A timer sets the event at the next decision (cheaper than a cancel scope).
            timer = loop.call_later(delay, changed.set) if delay < math.inf else None
            try:
                await changed.wait()
            finally:
                if timer is not None:
                    timer.cancel()
