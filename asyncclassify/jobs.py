"""One batch's way through the service: submit, poll, collect, re-submit, give every result.

The runner acts on the typed outcomes `api.outcomes` reads from each answer: it waits for its
turn from the pacer before each request, tells the pacer what each answer said, and decides
what comes next (retry, wait, split the batch, re-submit failed tasks, settle with errors).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TypeVar

import anyio
from yarl import URL

from .api.base import BodyTemplate, Dialect, JobError, JobPage, TaskPage
from .api.outcomes import (
    Accepted,
    Finished,
    Gone,
    NotServed,
    Refused,
    Rejected,
    Response,
    Running,
    Throttled,
    Transient,
    read_cancel,
    read_job,
    read_submit,
)
from .batching import Batch, Pending
from .emitting import Emitter
from .errors import AuthenticationError, EndpointError, QuotaExceededError, TransportError
from .models import DocumentError, Result, Task, TaskResult
from .pacing.runtime import PacerRuntime
from .pacing.turns import PolledJob, Turn
from .retrying import RetryPolicy
from .stats import RunStats
from .transport import ConnectionFailedError, Transport

logger = logging.getLogger("asyncclassify")

PERMANENT_CODES = frozenset(
    {
        "InvalidRequest",
        "InvalidArgument",
        "NotFound",
        "ProjectNotFound",
        "Unauthorized",
        "Forbidden",
        "QuotaExceeded",
        "Conflict",
    }
)
"""Job-level error codes that another submission would only repeat."""
CANCEL_TIMEOUT = 5.0
FIRST_RESULT_JOBS = 4
"""The first jobs of a call are polled for latency until the call has a result."""
DEFAULT_RETRY_AFTER = 1.0
"""Seconds to wait on a 429 that does not say how long."""
DEADLINE_ERROR = DocumentError(
    "DeadlineExceeded", "the call's deadline passed before this document's job finished"
)

Outcome = TypeVar("Outcome")


@dataclass(frozen=True, slots=True)
class JobOptions:
    """How each job of a call is run."""

    max_resubmits: int = 2
    job_timeout: float = 1800.0
    cancel_remote: bool = False
    display_name: str | None = None


@dataclass(slots=True)
class _Rejected:
    error: DocumentError
    divisible: bool
    """True when the rejection may be one document's fault, so halving the batch helps."""


@dataclass(slots=True)
class _Finished:
    page: JobPage
    request_id: str | None


class CallContext:
    """What every job of one call shares."""

    def __init__(
        self,
        transport: Transport,
        dialect: Dialect,
        endpoint: URL,
        tasks: Sequence[Task],
        runtime: PacerRuntime,
        retry: RetryPolicy,
        stats: RunStats,
        emitter: Emitter,
        options: JobOptions,
    ) -> None:
        self.transport = transport
        self.dialect = dialect
        self.submit_url = dialect.submit_url(endpoint)
        self.tasks = tuple(tasks)
        self.runtime = runtime
        self.retry = retry
        self.stats = stats
        self.emitter = emitter
        self.options = options
        self.stopping = False
        """Set when the call must wind down (its deadline passed): no new work starts."""
        self.jobs_accepted = 0
        self._templates: dict[tuple[int, ...], BodyTemplate] = {}
        self._interruptible: set[anyio.CancelScope] = set()

    @contextmanager
    def interruptible(self) -> Iterator[anyio.CancelScope]:
        """A scope that `stop()` cancels: for waiting on the service, never for emitting."""
        with anyio.CancelScope() as scope:
            if self.stopping:
                scope.cancel()
            self._interruptible.add(scope)
            try:
                yield scope
            finally:
                self._interruptible.discard(scope)

    def stop(self) -> None:
        """Wind the call down: interrupt every wait on the service, start nothing new."""
        self.stopping = True
        for scope in list(self._interruptible):
            scope.cancel()

    def template(self, task_ids: tuple[int, ...]) -> BodyTemplate:
        """The submit body for these tasks of the call (built once)."""
        template = self._templates.get(task_ids)
        if template is None:
            subset = [self.tasks[i] for i in task_ids]
            template = self.dialect.body_template(subset, self.options.display_name)
            self._templates[task_ids] = template
        return template

    async def exchange(
        self,
        method: str,
        url: URL,
        read: Callable[[Response], Outcome | Throttled | Transient | Refused],
        turn: Turn,
        body: bytes | None = None,
    ) -> tuple[Outcome, float]:
        """Send once `turn` is granted, again (on urgent turns) after 429s and transient
        failures; the first other outcome, and when its request was sent.

        Raises `AuthenticationError` / `QuotaExceededError` on refused credentials or a spent
        quota, and `TransportError` when retries run out.
        """
        runtime, stats, policy = self.runtime, self.stats, self.retry
        attempt = 0
        while True:
            if not turn.granted:
                await runtime.wait(turn)
            sent_at = runtime.now()
            stats.requests += 1
            outcome: Outcome | Throttled | Transient | Refused
            try:
                response = await self.transport.send(
                    method, url, body, time_limit=policy.request_timeout
                )
            except ConnectionFailedError as exc:
                outcome = Transient(str(exc))
            else:
                outcome = read(response)
            turn = Turn("urgent")
            if isinstance(outcome, Throttled):
                stats.throttled += 1
                wait = (
                    outcome.retry_after if outcome.retry_after is not None else DEFAULT_RETRY_AFTER
                )
                if wait > policy.max_retry_after:
                    raise QuotaExceededError(
                        f"the service asks to retry after {wait:.0f} s, longer than the "
                        f"{policy.max_retry_after:.0f} s the client waits: {outcome.message}",
                        status=429,
                        request_id=outcome.request_id,
                    )
                runtime.throttled(wait, sent_at)
                continue
            if isinstance(outcome, Refused):
                runtime.answered(sent_at)
                if outcome.retry_after is not None and outcome.retry_after > policy.max_retry_after:
                    raise QuotaExceededError(
                        f"the service asks to retry after {outcome.retry_after:.0f} s, longer "
                        f"than the {policy.max_retry_after:.0f} s the client waits: "
                        f"{outcome.message}",
                        status=outcome.status,
                        code=outcome.code,
                        request_id=outcome.request_id,
                    )
                raise AuthenticationError(
                    f"the service refused the credentials: {outcome.message}",
                    status=outcome.status,
                    code=outcome.code,
                    request_id=outcome.request_id,
                )
            if isinstance(outcome, Transient):
                runtime.answered(sent_at)
                attempt += 1
                if attempt > policy.max_retries:
                    raise TransportError(
                        f"{method} {url.path} failed {attempt} times; last: {outcome.problem}"
                    )
                stats.retries += 1
                delay = policy.backoff(attempt)
                if outcome.retry_after is not None:
                    delay = max(delay, outcome.retry_after)
                logger.debug(
                    "retrying %s %s in %.2fs after %s", method, url.path, delay, outcome.problem
                )
                await anyio.sleep(delay)
                continue
            return outcome, sent_at


class JobRunner:
    """Runs one batch to the end: every document of it gets exactly one result."""

    def __init__(self, context: CallContext, batch: Batch, admitted: Turn | None) -> None:
        self._context = context
        self._batch = batch
        self._admitted: Turn | None = admitted
        """The granted turn of the batch's first submit."""
        self._outcomes: dict[int, list[TaskResult | None]] = {
            document.index: [None] * len(context.tasks) for document in batch.documents
        }

    async def run(self) -> None:
        """Submit, poll and collect, re-submitting what failed, then emit every result."""
        context = self._context
        all_tasks = tuple(range(len(context.tasks)))
        work: list[tuple[list[Pending], tuple[int, ...], int]] = [
            (self._batch.documents, all_tasks, 0)
        ]
        while work and not context.stopping:
            documents, task_ids, resubmits = work.pop()
            outcome: _Rejected | _Finished | None = None
            with context.interruptible():
                outcome = await self._attempt(documents, task_ids)
            if outcome is None:
                break
            if isinstance(outcome, _Rejected):
                if outcome.divisible and len(documents) > 1:
                    # One bad document must not sink the others: find it by halving.
                    middle = len(documents) // 2
                    work.append((documents[middle:], task_ids, resubmits))
                    work.append((documents[:middle], task_ids, resubmits))
                    continue
                self._settle(documents, task_ids, outcome.error)
            else:
                retry = self._collect(documents, task_ids, outcome)
                if retry:
                    failed_ids, error = retry
                    if resubmits < context.options.max_resubmits and _retryable(error):
                        context.stats.resubmits += 1
                        work.append((documents, failed_ids, resubmits + 1))
                    else:
                        self._settle(documents, failed_ids, error)
            await self._emit_finished(documents)
        if context.stopping:
            self._settle(self._batch.documents, all_tasks, DEADLINE_ERROR)
            await self._emit_finished(self._batch.documents)

    def _submit_turn(self) -> Turn:
        turn, self._admitted = self._admitted, None
        return turn if turn is not None else Turn("urgent")

    async def _attempt(
        self, documents: list[Pending], task_ids: tuple[int, ...]
    ) -> _Rejected | _Finished:
        context = self._context
        body = context.template(task_ids).render([document.encoded for document in documents])
        try:
            outcome, sent_at = await context.exchange(
                "POST", context.submit_url, read_submit, self._submit_turn(), body
            )
        except TransportError as exc:
            # Out of retries: this batch is re-submitted later or gets error results; the
            # rest of the call goes on.
            return _failed("ServiceUnavailable", str(exc))
        if isinstance(outcome, NotServed):
            raise EndpointError(
                "the endpoint does not serve this API (404); check the endpoint and api_version",
                status=404,
                code=outcome.code,
                request_id=outcome.request_id,
            )
        if isinstance(outcome, Rejected):
            context.runtime.answered(sent_at)
            return _Rejected(outcome.error, outcome.divisible)
        assert isinstance(outcome, Accepted)
        context.stats.jobs += 1
        job_url = URL(outcome.location, encoded=True)
        context.transport.check_origin(job_url)
        job = context.runtime.job_accepted(sent_at, created_wall=None)
        ordinal = context.jobs_accepted
        context.jobs_accepted += 1
        try:
            with anyio.move_on_after(context.options.job_timeout):
                return await self._wait(job_url, job, ordinal, len(documents), task_ids)
        except TransportError as exc:
            await self._cancel(job_url)
            return _failed("ServiceUnavailable", str(exc))
        except BaseException:
            # Leaving early (the caller stopped, the deadline passed, or something broke): the
            # service keeps running the job unless asked not to; past the deadline nobody
            # will read it.
            if context.options.cancel_remote or context.stopping:
                await self._cancel(job_url)
            raise
        finally:
            context.runtime.job_gone(job)
        await self._cancel(job_url)
        return _failed(
            "Timeout", f"the job did not finish within {context.options.job_timeout:.0f} s"
        )

    async def _wait(
        self,
        job_url: URL,
        job: PolledJob,
        ordinal: int,
        document_count: int,
        task_ids: tuple[int, ...],
    ) -> _Finished:
        context = self._context
        runtime = context.runtime
        subset = [context.tasks[i] for i in task_ids]
        dialect = context.dialect
        url = dialect.results_url(job_url, document_count)

        def read(response: Response) -> Running | Finished | Gone | Throttled | Transient | Refused:
            return read_job(dialect, response, subset)

        polls = 0
        while True:
            context.stats.job_gets += 1
            polls += 1
            # Until the call's first result is out, its first jobs are polled for latency.
            job.eager = ordinal < FIRST_RESULT_JOBS and context.stats.documents == 0
            outcome, sent_at = await context.exchange("GET", url, read, Turn("poll", job))
            if isinstance(outcome, Gone):
                runtime.answered(sent_at)
                return _lost(outcome)
            if isinstance(outcome, Running):
                runtime.job_polled(
                    job,
                    sent_at,
                    status=outcome.status,
                    finished=False,
                    created_wall=outcome.created_wall,
                )
                continue
            assert isinstance(outcome, Finished)
            page = outcome.page
            runtime.job_polled(
                job,
                sent_at,
                status=page.status,
                finished=True,
                created_wall=page.created_wall,
                finished_wall=page.finished_wall,
            )
            request_id = outcome.request_id
            break
        next_link = page.next_link
        while next_link:
            context.stats.job_gets += 1
            following, sent_at = await context.exchange(
                "GET", URL(next_link, encoded=True), read, Turn("urgent")
            )
            runtime.answered(sent_at)
            if isinstance(following, Gone):
                return _lost(following)
            if isinstance(following, Running):
                # A later page of a finished job can only be finished too; read it as lost.
                return _failed("JobLost", "a result page of a finished job said it was running")
            assert isinstance(following, Finished)
            for index, task_page in following.page.tasks.items():
                merged = page.tasks.setdefault(index, TaskPage(task_page.status))
                merged.results.update(task_page.results)
            next_link = following.page.next_link
        logger.info(
            "job %s: %s, %d documents, %d GETs (request id %s)",
            page.job_id,
            page.status,
            document_count,
            polls,
            request_id,
        )
        return _Finished(page, request_id)

    async def _cancel(self, job_url: URL) -> None:
        context = self._context
        cancel_url = context.dialect.cancel_url(job_url)
        if cancel_url is None:
            return
        with anyio.CancelScope(shield=True), anyio.move_on_after(CANCEL_TIMEOUT):
            try:
                outcome, sent_at = await context.exchange(
                    "POST", cancel_url, read_cancel, Turn("urgent")
                )
                context.runtime.answered(sent_at)
                if outcome is True:
                    logger.info("cancelled job %s", job_url.path.rsplit("/", 1)[-1])
            except Exception as exc:  # a failed cancel must not hide why we are leaving
                logger.warning("could not cancel job %s: %s", job_url.path, exc)

    def _collect(
        self, documents: list[Pending], task_ids: tuple[int, ...], finished: _Finished
    ) -> tuple[tuple[int, ...], DocumentError] | None:
        """Record what the job answered; say which tasks failed and why, if any did."""
        page = finished.page
        failed: list[int] = []
        failure: DocumentError | None = None
        for position, task_index in enumerate(task_ids):
            task_page = page.tasks.get(position)
            if task_page is None or task_page.status.lower() not in ("succeeded", "completed"):
                failed.append(task_index)
                if failure is None:
                    failure = _task_error(page, position, finished.request_id)
                continue
            for document in documents:
                outcome = task_page.results.get(str(document.index))
                if outcome is None:
                    outcome = TaskResult(
                        self._context.tasks[task_index],
                        error=DocumentError(
                            "MissingResult",
                            "the service finished the job without a result for this document",
                            None,
                            finished.request_id,
                            page.job_id,
                        ),
                    )
                self._outcomes[document.index][task_index] = outcome
        if failure is None:
            return None
        return tuple(failed), failure

    def _settle(
        self, documents: list[Pending], task_ids: Sequence[int], error: DocumentError
    ) -> None:
        tasks = self._context.tasks
        for document in documents:
            outcomes = self._outcomes.get(document.index)
            if outcomes is None:  # already emitted
                continue
            for task_index in task_ids:
                if outcomes[task_index] is None:
                    outcomes[task_index] = TaskResult(tasks[task_index], error=error)

    async def _emit_finished(self, documents: list[Pending]) -> None:
        finished: list[Result] = []
        for document in documents:
            outcomes = self._outcomes.get(document.index)
            if outcomes is None or any(outcome is None for outcome in outcomes):
                continue
            del self._outcomes[document.index]
            complete: tuple[TaskResult, ...] = tuple(o for o in outcomes if o is not None)
            finished.append(Result(document.id, document.index, complete))
        await self._context.emitter.emit(finished)


def _failed(code: str, message: str) -> _Finished:
    """A job that ended without answers, for a reason worth another submission."""
    return _Finished(JobPage("", "failed", [JobError(code, message)], {}, None), None)


def _lost(gone: Gone) -> _Finished:
    """The job (or a page of it) is gone: run it again. The service's own code (NotFound)
    would read as permanent."""
    return _failed("JobLost", f"the job could not be read: {gone.code}: {gone.message}")


def _task_error(page: JobPage, position: int, request_id: str | None) -> DocumentError:
    chosen: JobError | None = None
    for error in page.errors:
        if error.task_index == position:
            chosen = error
            break
    if chosen is None and page.errors:
        chosen = page.errors[0]
    task_page = page.tasks.get(position)
    status = task_page.status if task_page is not None else page.status
    if chosen is None:
        return DocumentError(
            "TaskFailed" if status.lower() != "cancelled" else "Cancelled",
            f"the task ended {status or 'without a status'} and the service gave no reason",
            None,
            request_id,
            page.job_id or None,
        )
    return DocumentError(chosen.code, chosen.message, None, request_id, page.job_id or None)


def _retryable(error: DocumentError) -> bool:
    return error.code not in PERMANENT_CODES and error.code != "Cancelled"
