"""One batch's way through the service: submit, poll, collect, re-submit, give every result.

The runner acts on the typed outcomes `_api.outcomes` reads from each answer: it waits for its
turn from the pacer before each request, tells the pacer what each answer said, and decides
what comes next (wait, split the batch, submit again what failed, settle with errors, stop).
What a finished job means for each document is `collecting`'s to say.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import anyio
from yarl import URL

from .._api.base import JobPage, TaskPage
from .._api.outcomes import (
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
from .._call.batching import Batch, Pending
from .._call.context import CallContext, ResourceDownError
from .._errors import EndpointError, RetriesExhaustedError, TaskConfigurationError
from .._models import DocumentError, Result, TaskResult
from .._pacing.turns import PolledJob, Turn
from .._resources.links import ResourceLink
from .collecting import collect, early_mistake
from .mistakes import Mistake
from .retrying import FailureSpell

logger = logging.getLogger("asyncclassify")

CANCEL_TIMEOUT = 5.0
FIRST_RESULT_JOBS = 4
"""The first jobs of a call are polled for latency until the call has a result."""
JobReader = Callable[[Response], Running | Finished | Gone | Throttled | Transient | Refused]
_EMPTY_PAGE = JobPage("", "failed", [], {}, None)
"""What is known of a job that could not be read: nothing (never mutated)."""
DEADLINE_ERROR = DocumentError(
    "DeadlineExceeded", "the call's deadline passed before this document's job finished"
)


@dataclass(slots=True)
class _Work:
    """Documents to submit for some tasks, and the run of failures that brought them back."""

    documents: list[Pending]
    task_ids: tuple[int, ...]
    spell: FailureSpell


@dataclass(slots=True)
class _RunClock:
    """When a job was first seen running: its timeout counts from then (queued time not)."""

    running_since: float | None = None

    def deadline(self, status: str, now: float, timeout: float) -> float:
        """When the job times out, having been seen `status` at `now`."""
        if status == "notStarted":
            return now + timeout
        if self.running_since is None:
            self.running_since = now
        return self.running_since + timeout


@dataclass(slots=True)
class _Rejected:
    error: DocumentError
    divisible: bool
    """True when the rejection may be one document's fault, so halving the batch helps."""


@dataclass(slots=True)
class _Read:
    """A job read to its end (`lost` None), or as far as it could be read."""

    page: JobPage
    request_id: str | None
    lost: DocumentError | None = None


@dataclass(slots=True)
class _Unavailable:
    """No answer: a request kept failing for the whole retry horizon."""

    error: DocumentError


@dataclass(slots=True)
class _Moved:
    """The resource was drained: the same work goes to another one."""


class JobRunner:
    """Runs one batch to the end: every document of it gets exactly one result."""

    def __init__(
        self, context: CallContext, batch: Batch, admitted: Turn | None, link: ResourceLink
    ) -> None:
        self._context = context
        self._batch = batch
        self._admitted: Turn | None = admitted
        """The granted turn of the batch's first submit (on `link`'s resource)."""
        self._link = link
        """The resource of the current attempt."""
        self._outcomes: dict[int, list[TaskResult | None]] = {
            document.index: [None] * len(context.tasks) for document in batch.documents
        }
        self._stop_for: TaskConfigurationError | None = None

    async def run(self) -> None:
        """Submit, poll and collect, submitting again what failed transiently (for as long
        as the retry horizon), then emit every result."""
        context = self._context
        policy = context.retry
        all_tasks = tuple(range(len(context.tasks)))
        work = [_Work(self._batch.documents, all_tasks, FailureSpell())]
        while work and not context.stopping:
            item = work.pop()
            outcome: _Rejected | _Read | _Unavailable | _Moved | None = None
            with context.interruptible():
                if item.spell.attempts:
                    await anyio.sleep(policy.backoff(item.spell.attempts))
                outcome = await self._attempt(item.documents, item.task_ids)
            if outcome is None:
                break
            if isinstance(outcome, _Moved):
                context.stats.resubmits += 1
                work.append(item)
                continue
            if isinstance(outcome, _Rejected):
                if outcome.divisible and len(item.documents) > 1:
                    # One bad document must not sink the others: find it by halving.
                    middle = len(item.documents) // 2
                    for half in (item.documents[middle:], item.documents[:middle]):
                        work.append(_Work(half, item.task_ids, replace(item.spell)))
                    continue
                self._settle(item.documents, item.task_ids, outcome.error)
            elif isinstance(outcome, _Unavailable):
                self._settle(item.documents, item.task_ids, outcome.error)
            else:
                work.extend(self._collect(item, outcome))
            await self._emit_finished(item.documents)
            if self._stop_for is not None:
                raise self._stop_for
        if context.stopping:
            self._settle(self._batch.documents, all_tasks, DEADLINE_ERROR)
            await self._emit_finished(self._batch.documents)

    def _collect(self, item: _Work, read: _Read) -> list[_Work]:
        """Record what the job answered; the work to submit again (the rest gets errors)."""
        context = self._context
        collected = collect(
            read.page,
            item.documents,
            item.task_ids,
            context.tasks,
            context.mistakes(self._link),
            request_id=read.request_id,
            lost=read.lost,
        )
        for document, task_index, result in collected.answers:
            outcomes = self._outcomes.get(document.index)
            if outcomes is not None and outcomes[task_index] is None:
                outcomes[task_index] = result
        if collected.mistake is not None:
            stop = self._mistake(collected.mistake)
            if context.leave_out(self._link, stop):
                return [item]  # its resource cannot run the tasks; another may
            # Every document would fail so: stop, once what this job answered is out.
            self._stop_for = stop
            return []
        now = context.runtime.now()
        again: list[_Work] = []
        for documents, task_ids, error in collected.retry:
            spell = replace(item.spell)
            spell.failed(now)
            if spell.outlasts(context.retry.horizon, now):
                self._settle(documents, task_ids, _gave_up(error, spell, now))
                continue
            context.stats.resubmits += 1
            logger.debug(
                "submitting %d documents again: %s: %s", len(documents), error.code, error.message
            )
            again.append(_Work(documents, task_ids, spell))
        return again

    def _mistake(self, mistake: Mistake) -> TaskConfigurationError:
        tasks = self._context.tasks
        if mistake.task_index is None:
            return TaskConfigurationError(
                f"the service refuses the default language {self._context.default_language!r} "
                f"for every document: {mistake.message}; give each document its language, or "
                "choose another default",
                task=None,
                code=mistake.code,
            )
        task = tasks[mistake.task_index]
        where = (
            f"model {task.model_id!r}"
            if task.model_id
            else f"project {task.project!r}, deployment {task.deployment!r}"
        )
        hint = ""
        if not self._context.mistakes(self._link).permanent(mistake.code):
            hint = (
                " (every job so far failed it so; the service reports a project or deployment "
                "that is not there this way, or it is failing)"
            )
        where += f" on {self._link.label}" if len(self._context.links) > 1 else ""
        return TaskConfigurationError(
            f"the {task.kind} task on {where} cannot run: {mistake.code}: {mistake.message}{hint}",
            task=task,
            code=mistake.code,
        )

    def _route(self) -> tuple[ResourceLink, Turn]:
        """The resource of the next attempt, and the turn of its submit: the first goes where
        the batch was admitted; others to the usable resource that starts them soonest."""
        turn, self._admitted = self._admitted, None
        if turn is not None:
            return self._link, turn
        context = self._context
        link = context.choose(context.runtime.now(), self._link) or self._link
        self._link = link
        return link, Turn("urgent")

    async def _attempt(
        self, documents: list[Pending], task_ids: tuple[int, ...]
    ) -> _Rejected | _Read | _Unavailable | _Moved:
        context = self._context
        link, turn = self._route()
        runtime = link.runtime
        body = context.template(task_ids).render([document.encoded for document in documents])
        try:
            outcome, sent_at = await context.exchange(
                link, "POST", context.submit_url(link), read_submit, turn, body, submit=True
            )
            if isinstance(outcome, NotServed):
                origin = link.sender(context.transport).origin
                raise context.drain_instead(
                    link,
                    EndpointError(
                        f"the endpoint {origin} does not serve this API (404); "
                        "check the endpoint and api_version",
                        status=404,
                        code=outcome.code,
                        request_id=outcome.request_id,
                    ),
                )
        except RetriesExhaustedError as exc:
            return _Unavailable(DocumentError("ServiceUnavailable", str(exc)))
        except ResourceDownError:
            return _Moved()
        if isinstance(outcome, Rejected):
            runtime.answered(sent_at)
            return _Rejected(outcome.error, outcome.divisible)
        assert isinstance(outcome, Accepted)
        context.stats.jobs += 1
        context.stats.resource(link.label).jobs += 1
        job_url = URL(outcome.location, encoded=True)
        link.sender(context.transport).check_origin(job_url)
        job = runtime.job_accepted(sent_at, created_wall=None)
        ordinal = context.jobs_accepted
        context.jobs_accepted += 1
        try:
            return await self._follow(job_url, job, ordinal, len(documents), task_ids)
        except RetriesExhaustedError as exc:
            await self._abandon(job_url)
            return _Unavailable(DocumentError("ServiceUnavailable", str(exc)))
        except ResourceDownError:
            # One line at the drain says so; a line per job would be a thousand of them.
            self._orphaned(job_url, "its resource was drained", level=logging.INFO)
            return _Moved()
        except TaskConfigurationError as exc:
            if context.leave_out(link, exc):
                await self._cancel(job_url)
                return _Moved()
            if context.options.cancel_remote or context.stopping:
                await self._cancel(job_url)
            raise
        except BaseException:
            # Leaving early (the caller stopped, the deadline passed, or something broke): the
            # service keeps running the job unless asked not to; past the deadline nobody
            # will read it.
            if context.options.cancel_remote or context.stopping:
                await self._cancel(job_url)
            raise
        finally:
            runtime.job_gone(job)

    async def _follow(
        self,
        job_url: URL,
        job: PolledJob,
        ordinal: int,
        document_count: int,
        task_ids: tuple[int, ...],
    ) -> _Read:
        """Poll the job until it finishes, within `job_timeout` of running; past it, read it
        once more, cancel it, and keep whatever it finished."""
        context = self._context
        url = context.dialect.results_url(job_url, document_count)
        timeout = context.options.job_timeout
        clock = _RunClock()
        deadline = anyio.current_time() + timeout
        while True:
            with anyio.CancelScope(deadline=deadline) as limit:
                return await self._wait(url, job, ordinal, task_ids, limit, clock)
            read = await self._read_now(url, task_ids, job)
            if isinstance(read, _Read):
                return read
            if not isinstance(read, Running):
                break
            deadline = clock.deadline(read.status, anyio.current_time(), timeout)
            if deadline <= anyio.current_time():
                break
        cancelled = await self._cancel(job_url)
        if cancelled is False:  # it finished meanwhile
            read = await self._read_now(url, task_ids, job)
            if isinstance(read, _Read):
                return read
        elif cancelled is None:
            self._orphaned(job_url, "its cancel failed after the job timeout")
        message = f"the job ran longer than the job timeout of {timeout:.0f} s"
        return _Read(_EMPTY_PAGE, None, DocumentError("Timeout", message))

    def _reader(self, task_ids: tuple[int, ...]) -> JobReader:
        dialect = self._context.dialect
        subset = [self._context.tasks[i] for i in task_ids]

        def read(response: Response) -> Running | Finished | Gone | Throttled | Transient | Refused:
            return read_job(dialect, response, subset)

        return read

    async def _wait(
        self,
        url: URL,
        job: PolledJob,
        ordinal: int,
        task_ids: tuple[int, ...],
        limit: anyio.CancelScope,
        clock: _RunClock,
    ) -> _Read:
        context = self._context
        runtime = self._link.runtime
        read = self._reader(task_ids)
        polls = 0
        while True:
            context.stats.job_gets += 1
            polls += 1
            # Until the call's first result is out, its first jobs are polled for latency.
            job.eager = ordinal < FIRST_RESULT_JOBS and context.stats.documents == 0
            outcome, sent_at = await context.exchange(
                self._link, "GET", url, read, Turn("poll", job)
            )
            if isinstance(outcome, Gone):
                runtime.job_lost(job, sent_at)
                return _Read(_EMPTY_PAGE, outcome.request_id, _lost(outcome))
            if isinstance(outcome, Running):
                runtime.job_polled(
                    job,
                    sent_at,
                    status=outcome.status,
                    finished=False,
                    created_wall=outcome.created_wall,
                )
                limit.deadline = clock.deadline(
                    outcome.status, anyio.current_time(), context.options.job_timeout
                )
                if outcome.page is not None and outcome.page.tasks:
                    mistake = early_mistake(
                        outcome.page, task_ids, context.mistakes(self._link), outcome.request_id
                    )
                    if mistake is not None:
                        raise self._mistake(mistake)
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
            logger.info(
                "job %s: %s, %d GETs (request id %s)",
                page.job_id,
                page.status,
                polls,
                outcome.request_id,
            )
            return await self._pages(outcome, task_ids, job)

    async def _read_now(
        self, url: URL, task_ids: tuple[int, ...], job: PolledJob
    ) -> _Read | Running | None:
        """One urgent GET of the job: what it finished, how it runs, or None (unreadable)."""
        context = self._context
        context.stats.job_gets += 1
        try:
            outcome, sent_at = await context.exchange(
                self._link, "GET", url, self._reader(task_ids), Turn("urgent")
            )
        except RetriesExhaustedError:
            return None
        self._link.runtime.answered(sent_at)
        if isinstance(outcome, Finished):
            return await self._pages(outcome, task_ids, job)
        if isinstance(outcome, Running):
            return outcome
        if isinstance(outcome, Gone):
            self._link.runtime.job_lost(job, sent_at)
            return _Read(_EMPTY_PAGE, outcome.request_id, _lost(outcome))
        return None

    async def _pages(self, first: Finished, task_ids: tuple[int, ...], job: PolledJob) -> _Read:
        """Every result page of a finished job, merged; cut short (`lost`) when a page is
        gone, with the pages read so far."""
        context = self._context
        read = self._reader(task_ids)
        page = first.page
        next_link = page.next_link
        while next_link:
            context.stats.job_gets += 1
            try:
                following, sent_at = await context.exchange(
                    self._link, "GET", URL(next_link, encoded=True), read, Turn("urgent")
                )
            except (RetriesExhaustedError, ResourceDownError) as exc:
                # Keep what the pages read so far answered; the rest goes out again.
                return _Read(page, first.request_id, DocumentError("ServiceUnavailable", str(exc)))
            if isinstance(following, Gone):
                self._link.runtime.job_lost(job, sent_at)
                return _Read(page, first.request_id, _lost(following))
            self._link.runtime.answered(sent_at)
            if isinstance(following, Running):
                # A later page of a finished job can only be finished too: it cannot be trusted.
                lost = DocumentError(
                    "JobLost", "a result page of a finished job said it was still running"
                )
                return _Read(page, first.request_id, lost)
            assert isinstance(following, Finished)
            for index, task_page in following.page.tasks.items():
                merged = page.tasks.setdefault(index, TaskPage(task_page.status))
                merged.results.update(task_page.results)
            next_link = following.page.next_link
        return _Read(page, first.request_id)

    async def _abandon(self, job_url: URL) -> None:
        """Give up on a job that can no longer be read: cancel it, or count it an orphan."""
        if await self._cancel(job_url) is None:
            self._orphaned(job_url, "it could not be read or cancelled")

    def _orphaned(self, job_url: URL, why: str, *, level: int = logging.WARNING) -> None:
        self._context.stats.orphans += 1
        job_id = job_url.path.rsplit("/", 1)[-1]
        logger.log(level, "job %s is left to run unread: %s", job_id, why)

    async def _cancel(self, job_url: URL) -> bool | None:
        """Ask the service to cancel the job: True if it took the cancel, False if the job
        runs no more (finished already, or gone), None when the cancel failed (or the dialect
        has none)."""
        context = self._context
        cancel_url = context.dialect.cancel_url(job_url)
        if cancel_url is None:
            return None
        with anyio.CancelScope(shield=True), anyio.move_on_after(CANCEL_TIMEOUT):
            try:
                # A drained resource is still asked: its job should not run on unread.
                outcome, sent_at = await context.exchange(
                    self._link,
                    "POST",
                    cancel_url,
                    read_cancel,
                    Turn("urgent"),
                    even_if_drained=True,
                )
            except Exception as exc:  # a failed cancel must not hide why we are leaving
                logger.warning("could not cancel job %s: %s", job_url.path, exc)
                return None
            self._link.runtime.answered(sent_at)
            if not isinstance(outcome, bool):  # gone: expired, or never stored
                return False
            if outcome:
                logger.info("cancelled job %s", job_url.path.rsplit("/", 1)[-1])
            return outcome
        return None

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
            if outcomes is None:
                continue
            complete: list[TaskResult] = []
            for outcome in outcomes:
                if outcome is None:
                    break
                complete.append(outcome)
            else:
                del self._outcomes[document.index]
                finished.append(Result(document.id, document.index, tuple(complete)))
        await self._context.emitter.emit(finished)


def _gave_up(error: DocumentError, spell: FailureSpell, now: float) -> DocumentError:
    """The last failure's error, saying how long the document has failed so."""
    return DocumentError(
        error.code,
        f"{error.message} (failing for {spell.lasted(now):.0f} s, {spell.attempts} attempts)",
        error.inner_code,
        error.request_id,
        error.job_id,
    )


def _lost(gone: Gone) -> DocumentError:
    """The job (or a page of it) is gone: its unanswered documents are run again. The
    service's own code (NotFound) would read as permanent."""
    return DocumentError("JobLost", f"the job could not be read: {gone.code}: {gone.message}")
