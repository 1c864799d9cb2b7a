"""Jobs: their timing, a lifecycle computed from the clock on demand, and the job store."""

from __future__ import annotations

import asyncio
import heapq
import math
import random
import uuid
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from .config import Timing
from .model import (
    Classification,
    EntityMatch,
    classify_multi,
    classify_single,
    recognize_entities,
)
from .slots import Slot, Slots, make_slots
from .submission import InputDocument, JobRequest, TaskSpec

TaskOutput = list[Classification] | list[EntityMatch]


@dataclass(frozen=True, slots=True)
class TaskFailure:
    """Why a task fails: the job-level error's code and message (target added per dialect)."""

    code: str
    message: str
    at_start: bool = False
    """The task fails as it starts (its project cannot be found, say), not when it ends."""


@dataclass(slots=True)
class TaskRun:
    """A task of a job: when it finishes, whether it fails, and its (lazily computed) output."""

    spec: TaskSpec
    finish_at: float
    failure: TaskFailure | None = None
    _outputs: list[TaskOutput | None] | None = None

    def outputs(self, documents: Sequence[InputDocument]) -> list[TaskOutput | None]:
        """The model's answer per document (None for documents with an error)."""
        if self._outputs is None:
            self._outputs = [self._analyse(doc) for doc in documents]
        return self._outputs

    def _analyse(self, doc: InputDocument) -> TaskOutput | None:
        if doc.error is not None:
            return None
        project = self.spec.project
        assert project is not None
        if self.spec.kind == "single":
            return [classify_single(doc.text, project.labels)]
        if self.spec.kind == "multi":
            return classify_multi(doc.text, project.labels)
        return recognize_entities(doc.text, project.labels, self.spec.string_index_type)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """A job's state at one instant."""

    status: str
    finished: tuple[int, ...]
    """Indexes of the tasks that have finished (succeeded or failed), in submission order."""
    last_update: float
    terminal: bool
    cancelled: bool


TERMINAL = frozenset({"succeeded", "partiallyCompleted", "failed", "cancelled"})


@dataclass(slots=True)
class Job:
    """A submitted job. Times are on the event loop's monotonic clock."""

    id: str
    dialect: str
    """"modern", or the legacy version the job was submitted to."""
    request: JobRequest
    tasks: list[TaskRun]
    created_at: float
    wall_offset: float
    """Add to a monotonic time to get wall-clock seconds since the epoch."""
    start_at: float
    end_at: float
    expires_at: float
    cancel_delay: float
    cancel_at: float | None = None
    cancel_settle: float | None = None
    pages: dict[tuple[object, ...], bytes] = field(default_factory=dict)
    """Rendered pages of the job once it is terminal."""

    @property
    def documents(self) -> list[InputDocument]:
        """The submitted documents."""
        return self.request.documents

    def wall(self, monotonic: float) -> float:
        """Wall-clock time of a monotonic instant."""
        return monotonic + self.wall_offset

    def snapshot(self, now: float) -> Snapshot:
        """The job's lifecycle state at `now`."""
        tasks = self.tasks
        if self.cancel_at is not None and now >= self.cancel_at:
            cut = self.cancel_at
            finished = tuple(i for i, t in enumerate(tasks) if t.finish_at <= cut)
            assert self.cancel_settle is not None
            if now >= self.cancel_settle:
                return Snapshot("cancelled", finished, self.cancel_settle, True, True)
            return Snapshot("cancelling", finished, cut, False, False)
        if now < self.start_at:
            return Snapshot("notStarted", (), self.created_at, False, False)
        if now < self.end_at:
            finished = tuple(i for i, t in enumerate(tasks) if t.finish_at <= now)
            last = max((tasks[i].finish_at for i in finished), default=self.start_at)
            return Snapshot("running", finished, last, False, False)
        failed = sum(1 for t in tasks if t.failure is not None)
        if failed == 0:
            status = "succeeded"
        elif failed == len(tasks):
            status = "failed"
        else:
            status = "partiallyCompleted"
        return Snapshot(status, tuple(range(len(tasks))), self.end_at, True, False)

    def request_cancel(self, now: float) -> bool:
        """Cancel the job at `now`; False when it is already terminal."""
        snap = self.snapshot(now)
        if snap.terminal:
            return False
        if snap.status != "cancelling":
            self.cancel_at = now
            self.cancel_settle = now + self.cancel_delay
        return True


class JobStore:
    """Creates jobs, finds them, and forgets them once they expire."""

    def __init__(self, timing: Timing, retention_seconds: float, seed: int) -> None:
        self.timing = timing
        self.retention_seconds = retention_seconds
        self.seed = seed
        self.reset()

    def reset(self) -> None:
        """Forget every job and reseed the timing jitter."""
        self.jobs: dict[str, Job] = {}
        self._expiry: deque[tuple[float, str]] = deque()
        self._slots: dict[str, Slots] = {}
        self._rng = random.Random(f"{self.seed}:timing")
        self._pickup_rng = random.Random(f"{self.seed}:pickup")
        self._waiting = 0
        """Jobs created whose start is not known yet (picked up in no order)."""
        self._in_flight: list[tuple[float, str]] = []
        self._cancelled: set[str] = set()
        self._first_created: float | None = None
        self.first_job = asyncio.Event()
        """Set when the first job (since the store was made or reset) is created."""
        self.max_in_flight = 0

    def forget(self) -> None:
        """Forget every job, as a service that restarts empty (timing's RNG carries on)."""
        self.jobs = {}
        self._expiry.clear()
        self._slots.clear()
        self._in_flight.clear()
        self._cancelled.clear()
        self._waiting = 0

    def create(
        self,
        request: JobRequest,
        *,
        dialect: str,
        key: str,
        now: float,
        wall_now: float,
        failures: dict[int, TaskFailure],
    ) -> Job:
        """Create and schedule a job submitted at `now` by `key`."""
        self._purge(now)
        timing = self.timing
        if self._first_created is None:
            self._first_created = now
            self.first_job.set()
        pace = timing.pace_after(self._first_created)
        count = len(request.documents)
        factor = timing.job_factor(self._rng)
        durations = [
            0.0
            if i in failures and failures[i].at_start
            else timing.task_duration(count, self._rng) * factor
            for i in range(len(request.tasks))
        ]
        duration = max(durations)
        ready = now + timing.start_spell(self._rng)
        job = Job(
            id=str(uuid.uuid4()),
            dialect=dialect,
            request=request,
            tasks=[
                TaskRun(spec, math.inf, failures.get(i)) for i, spec in enumerate(request.tasks)
            ],
            created_at=now,
            wall_offset=wall_now - now,
            start_at=math.inf,
            end_at=math.inf,
            expires_at=now + self.retention_seconds,
            cancel_delay=min(timing.base * 0.25, 1.0),
        )
        if request.cancel_after is not None:
            job.cancel_at = now + request.cancel_after
            job.cancel_settle = job.cancel_at + job.cancel_delay

        def started(at: float, run: Callable[[float], float]) -> None:
            job.start_at, job.end_at = at, at + run(duration)
            for task, task_duration in zip(job.tasks, durations, strict=True):
                task.finish_at = at + run(task_duration)
            if job.cancel_at is not None and job.cancel_at >= job.end_at:
                job.cancel_at = job.cancel_settle = None  # it ends before the cancel would
            self._waiting -= 1
            heapq.heappush(self._in_flight, (job.end_at, job.id))

        self._waiting += 1
        slot = Slot(ready, duration, started, pace)
        if timing.max_running_jobs is None:
            slot.started(ready)
        else:
            slots = self._slots.get(key)
            if slots is None:
                slots = self._slots[key] = make_slots(
                    timing.max_running_jobs, timing.pickup, self._pickup_rng
                )
            slots.add(slot)
        self.jobs[job.id] = job
        self._expiry.append((job.expires_at, job.id))
        self._track_in_flight(now)
        return job

    def get(self, job_id: str, now: float) -> Job | None:
        """The job, or None when unknown or expired."""
        for slots in self._slots.values():
            slots.advance(now)
        job = self.jobs.get(job_id)
        if job is None:
            return None
        if now >= job.expires_at:
            self._purge(now)
            return None
        return job

    def _purge(self, now: float) -> None:
        expiry = self._expiry
        while expiry and expiry[0][0] <= now:
            _, job_id = expiry.popleft()
            self.jobs.pop(job_id, None)

    def note_cancel(self, job: Job) -> None:
        """Account for a job that will end early because it was cancelled."""
        self._cancelled.add(job.id)

    def _track_in_flight(self, now: float) -> None:
        # A heap of (planned end, job id) of jobs started and not yet terminal, beside those
        # waiting to start; cancelled jobs end before their planned end and are discounted
        # while they wait in the heap.
        heap = self._in_flight
        while heap and heap[0][0] <= now:
            self._cancelled.discard(heapq.heappop(heap)[1])
        settled = 0
        for job_id in self._cancelled:
            other = self.jobs.get(job_id)
            if other is None or other.snapshot(now).terminal:
                settled += 1
        self.max_in_flight = max(self.max_in_flight, len(heap) + self._waiting - settled)
