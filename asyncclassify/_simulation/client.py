"""A simulated client: the real `Pacer`, and batches that take their turns as the client's do.

Each batch is submitted when the pacer grants its turn, polled when the pacer grants a poll,
and released when its job is found finished; a 429 is told to the pacer and the request
waits for an urgent turn, as in the client. The network costs `latency` each way.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field

from .._job.operation import FIRST_RESULT_JOBS
from .._pacing import Pacer, PacingSettings, PolledJob, Turn
from .service import WALL_EPOCH, Created, SimulatedJob, SimulatedService, Status, Throttled


class EventLoop:
    """Discrete events in virtual time."""

    def __init__(self) -> None:
        self.now = 0.0
        self._events: list[tuple[float, int, Callable[[], None]]] = []
        self._order = itertools.count()

    def at(self, when: float, action: Callable[[], None]) -> None:
        """Run `action` at virtual time `when` (not before now)."""
        heapq.heappush(self._events, (max(when, self.now), next(self._order), action))

    def run(self, until: float) -> None:
        """Run events in time order until none is left or `until` passes."""
        events = self._events
        while events and events[0][0] <= until:
            self.now, _, action = heapq.heappop(events)
            action()


@dataclass(slots=True)
class ClientReport:
    """What one simulated client did."""

    jobs: int
    documents_per_job: int
    started_at: float | None = None
    first_result_at: float | None = None
    finished_at: float | None = None
    results: int = 0
    """Jobs whose results are in."""
    submits: int = 0
    gets: int = 0
    throttled: int = 0
    requests: int = 0
    peak_in_flight: int = 0
    first_poll_done: list[bool] = field(default_factory=list)

    @property
    def elapsed(self) -> float:
        """From the first submit to the last result."""
        if self.started_at is None or self.finished_at is None:
            return float("inf")
        return self.finished_at - self.started_at

    @property
    def gets_per_job(self) -> float:
        """Status GETs per job created."""
        return self.gets / self.results if self.results else 0.0


@dataclass(eq=False, slots=True)
class _Batch:
    index: int
    turn: Turn
    polled: PolledJob | None = None
    job: SimulatedJob | None = None
    sent_at: float = 0.0
    resend: Callable[[], None] | None = None


class SimulatedClient:
    """Pushes `jobs` batches through `service` under one `Pacer`, starting at `start`."""

    def __init__(
        self,
        loop: EventLoop,
        service: SimulatedService,
        settings: PacingSettings,
        *,
        jobs: int,
        latency: float,
        start: float = 0.0,
        batch_bytes: int = 25_000,
    ) -> None:
        self.loop = loop
        self.service = service
        self.pacer = Pacer(settings)
        self.latency = latency
        self.batch_bytes = batch_bytes
        self.report = ClientReport(jobs, service.documents_per_job)
        self._next_batch = 0
        self._timer_at = float("inf")
        loop.at(start, self._next_submit)

    # -- the dispatcher ----------------------------------------------------------------------

    def _pump(self) -> None:
        now = self.loop.now
        for turn in self.pacer.grant(now):
            assert turn.wake is not None
            turn.wake()
        self.report.peak_in_flight = max(self.report.peak_in_flight, self.pacer.in_flight.jobs)
        wake = self.pacer.next_decision(now)
        if wake is not None and wake < self._timer_at:
            self._timer_at = wake
            self.loop.at(wake, self._timer)

    def _timer(self) -> None:
        if self.loop.now >= self._timer_at:
            self._timer_at = float("inf")
        self._pump()

    def _ask(self, turn: Turn) -> None:
        self.pacer.ask(turn, self.loop.now)
        self._pump()

    # -- the pipeline ------------------------------------------------------------------------

    def _next_submit(self) -> None:
        if self._next_batch >= self.report.jobs:
            return
        batch = _Batch(self._next_batch, Turn("submit", size=self.batch_bytes, admits=True))
        self._next_batch += 1
        batch.turn.wake = lambda: self._submit(batch)
        if self.report.started_at is None:
            self.report.started_at = self.loop.now
        self._ask(batch.turn)

    # -- one batch ---------------------------------------------------------------------------

    def _send(self, batch: _Batch, arrive: Callable[[], None]) -> None:
        batch.sent_at = self.loop.now
        self.report.requests += 1
        self.loop.at(self.loop.now + self.latency, arrive)

    def _answer(self, action: Callable[[], None]) -> None:
        self.loop.at(self.loop.now + self.latency, action)

    def _retry(self, batch: _Batch, retry_after: float, again: Callable[[], None]) -> None:
        self.report.throttled += 1
        self.pacer.throttled(self.loop.now, retry_after, batch.sent_at)
        turn = Turn("urgent")
        turn.wake = again
        self._ask(turn)

    def _submit(self, batch: _Batch) -> None:
        if batch.turn.admits:
            batch.turn.admits = False
            self.loop.at(self.loop.now, self._next_submit)
        self.report.submits += 1
        self._send(batch, lambda: self._submit_arrives(batch))

    def _submit_arrives(self, batch: _Batch) -> None:
        verdict: Throttled | Created | None = self.service.admit(self.loop.now)
        if verdict is None:
            verdict = self.service.create(self.loop.now)
        answer = verdict
        self._answer(lambda: self._submitted(batch, answer))

    def _submitted(self, batch: _Batch, answer: Throttled | Created) -> None:
        now = self.loop.now
        if isinstance(answer, Throttled):
            self._retry(batch, answer.retry_after, lambda: self._submit(batch))
            return
        batch.job = answer.job
        batch.polled = self.pacer.job_accepted(
            batch.sent_at,
            now,
            created_wall=answer.created_wall,
            wall_offset=WALL_EPOCH,
        )
        self._ask_poll(batch)

    def _ask_poll(self, batch: _Batch) -> None:
        assert batch.polled is not None
        batch.polled.eager = batch.index < FIRST_RESULT_JOBS and self.report.first_result_at is None
        turn = Turn("poll", batch.polled)
        turn.wake = lambda: self._poll(batch)
        self._ask(turn)

    def _poll(self, batch: _Batch) -> None:
        self.report.gets += 1
        self._send(batch, lambda: self._poll_arrives(batch))

    def _poll_arrives(self, batch: _Batch) -> None:
        verdict: Throttled | Status | None = self.service.admit(self.loop.now)
        if verdict is None:
            assert batch.job is not None
            verdict = self.service.status(batch.job, self.loop.now)
        answer = verdict
        self._answer(lambda: self._polled(batch, answer))

    def _polled(self, batch: _Batch, answer: Throttled | Status) -> None:
        now = self.loop.now
        if isinstance(answer, Throttled):
            self._retry(batch, answer.retry_after, lambda: self._poll(batch))
            return
        assert batch.polled is not None
        finished = answer.finished_wall is not None
        if batch.polled.polls == 0:
            self.report.first_poll_done.append(finished)
        self.pacer.job_polled(
            batch.polled,
            batch.sent_at,
            now,
            status=answer.status,
            finished=finished,
            finished_wall=answer.finished_wall,
            wall_offset=WALL_EPOCH,
        )
        if not finished:
            self._ask_poll(batch)
            return
        report = self.report
        report.results += 1
        if report.first_result_at is None:
            report.first_result_at = now
        if report.results == report.jobs:
            report.finished_at = now
        self.pacer.released(self.batch_bytes, now)
        self._pump()
