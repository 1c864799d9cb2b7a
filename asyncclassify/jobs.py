"""One batch's way through the service: submit, poll, collect, re-submit, give every result."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import anyio
from yarl import URL

from .api.base import BodyTemplate, Dialect, JobError, JobPage, TaskPage
from .api.documents import parse_error
from .batching import Batch, Pending
from .budget import RequestBudget
from .emitting import Emitter
from .errors import TransportError
from .models import DocumentError, Result, Task, TaskResult
from .polling import PollSchedule
from .stats import RunStats
from .transport import Response, Transport, error_object, raise_for_submit

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
DOCUMENT_FAULTS = frozenset({"InvalidDocument", "InvalidDocumentBatch"})
"""Inner codes of a rejected submit that may be one document's fault."""
CANCEL_TIMEOUT = 5.0
DEADLINE_ERROR = DocumentError(
    "DeadlineExceeded", "the call's deadline passed before this document's job finished"
)


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
        schedule: PollSchedule,
        budget: RequestBudget,
        stats: RunStats,
        emitter: Emitter,
        options: JobOptions,
    ) -> None:
        self.transport = transport
        self.dialect = dialect
        self.submit_url = dialect.submit_url(endpoint)
        self.tasks = tuple(tasks)
        self.schedule = schedule
        self.budget = budget
        self.stats = stats
        self.emitter = emitter
        self.options = options
        self.stopping = False
        """Set when the call must wind down (its deadline passed): no new work starts."""
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


class JobRunner:
    """Runs one batch to the end: every document of it gets exactly one result."""

    def __init__(self, context: CallContext, batch: Batch) -> None:
        self._context = context
        self._batch = batch
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

    async def _attempt(
        self, documents: list[Pending], task_ids: tuple[int, ...]
    ) -> _Rejected | _Finished:
        context = self._context
        body = context.template(task_ids).render([document.encoded for document in documents])
        try:
            response, _ = await context.transport.send(
                "POST", context.submit_url, context.stats, body
            )
        except TransportError as exc:
            # Out of retries: this batch is re-submitted later or gets error results; the
            # rest of the call goes on.
            return _failed("ServiceUnavailable", str(exc))
        if response.status != 202:
            raise_for_submit(response)
            error = _rejection(response)
            divisible = response.status == 413 or error.inner_code in DOCUMENT_FAULTS
            return _Rejected(error, divisible)
        context.stats.jobs += 1
        location = response.headers.get("operation-location")
        if not location:
            return _Rejected(
                DocumentError(
                    "MissingOperationLocation",
                    "the service accepted the job but did not say where it is",
                    None,
                    response.request_id,
                ),
                divisible=False,
            )
        job_url = URL(location, encoded=True)
        context.transport.check_origin(job_url)
        try:
            with anyio.move_on_after(context.options.job_timeout):
                return await self._wait(job_url, len(documents), task_ids)
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
        await self._cancel(job_url)
        return _failed(
            "Timeout", f"the job did not finish within {context.options.job_timeout:.0f} s"
        )

    async def _wait(
        self, job_url: URL, document_count: int, task_ids: tuple[int, ...]
    ) -> _Finished:
        context = self._context
        subset = [context.tasks[i] for i in task_ids]
        thrifty = context.budget.busy
        done: bool | None = None
        first_delay = context.schedule.first_delay(thrifty)
        try:
            await anyio.sleep(first_delay)
            url = context.dialect.results_url(job_url, document_count)
            page, request_id = await self._get(url, subset)
            done = page.terminal
        finally:
            context.schedule.observe_first_poll(thrifty, done, first_delay)
        polls = 1
        while not page.terminal:
            await anyio.sleep(context.schedule.follow_up_delay(polls))
            page, request_id = await self._get(url, subset)
            polls += 1
        next_link = page.next_link
        while next_link:
            following, _ = await self._get(URL(next_link, encoded=True), subset)
            for index, task_page in following.tasks.items():
                merged = page.tasks.setdefault(index, TaskPage(task_page.status))
                merged.results.update(task_page.results)
            next_link = following.next_link
        logger.info(
            "job %s: %s, %d documents, %d GETs (request id %s)",
            page.job_id,
            page.status,
            document_count,
            polls,
            request_id,
        )
        return _Finished(page, request_id)

    async def _get(self, url: URL, subset: Sequence[Task]) -> tuple[JobPage, str | None]:
        context = self._context
        context.stats.job_gets += 1

        def parse(response: Response) -> JobPage:
            return context.dialect.parse_job(response.body, subset, response.request_id)

        response, page = await context.transport.send("GET", url, context.stats, parse=parse)
        if page is None:
            # The job is gone (expired, or never reached the store): run it again. The
            # service's own code (NotFound) would read as permanent.
            error = _rejection(response)
            lost = JobError("JobLost", f"the job could not be read: {error.code}: {error.message}")
            return JobPage("", "failed", [lost], {}, None), response.request_id
        return page, response.request_id

    async def _cancel(self, job_url: URL) -> None:
        context = self._context
        cancel_url = context.dialect.cancel_url(job_url)
        if cancel_url is None:
            return
        with anyio.CancelScope(shield=True), anyio.move_on_after(CANCEL_TIMEOUT):
            try:
                await context.transport.send("POST", cancel_url, context.stats)
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


def _rejection(response: Response) -> DocumentError:
    error = error_object(response)
    if error:
        return parse_error(error, None, response.request_id)
    return DocumentError(
        f"HTTP{response.status}",
        f"the service answered {response.status}",
        None,
        response.request_id,
    )
