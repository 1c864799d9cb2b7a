"""One job on one resource: its submit, its polls (within the job timeout), its result pages,
and its cancel when it is left unfinished. `JobOperation.run` acts on the typed outcomes
`_api.outcomes` reads from each answer and returns one of its own: the job's pages
(`Answered`), its documents refused (`Refusal`), no answer for the retry horizon
(`Unavailable`), or its resource drained (`Moved`). What comes next is the batch runner's.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

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
from .._errors import EndpointError, RetriesExhaustedError, TaskConfigurationError
from .._models import DocumentError
from .._pacing.turns import PolledJob, Turn
from .._resources.call_view import ResourceDownError
from .._resources.links import ResourceLink
from .batching import Pending
from .collecting import early_mistake
from .context import CallContext
from .requests import send
from .wording import configuration_error, lost

logger = logging.getLogger("asyncclassify")

CANCEL_TIMEOUT = 5.0
FIRST_RESULT_JOBS = 4
"""The first jobs of a call are polled for latency until the call has a result."""
JobReader = Callable[[Response], Running | Finished | Gone | Throttled | Transient | Refused]
EMPTY_PAGE = JobPage("", "failed", [], {}, None)
"""What is known of a job that could not be read: nothing (never mutated)."""


@dataclass(frozen=True, slots=True)
class Refusal:
    """The service refused the job's documents (400): `divisible` when it may be one
    document's fault, so that halving the batch helps."""

    error: DocumentError
    divisible: bool


@dataclass(frozen=True, slots=True)
class Answered:
    """The job read to its end (`lost` None), or as far as it could be read."""

    page: JobPage
    request_id: str | None
    lost: DocumentError | None = None


@dataclass(frozen=True, slots=True)
class Unavailable:
    """No answer: a request kept failing for the whole retry horizon."""

    error: DocumentError


@dataclass(frozen=True, slots=True)
class Moved:
    """The resource was drained (or cannot run the tasks): the work goes to another one."""


JobOutcome = Refusal | Answered | Unavailable | Moved


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


class JobOperation:
    """One job of `documents` for the tasks `task_ids` on `link`'s resource, its submit sent
    on `turn`: run it to one `JobOutcome`. Raises `TaskConfigurationError` when what the job
    said would fail every document of the call (and no other resource can run it)."""

    def __init__(
        self,
        context: CallContext,
        link: ResourceLink,
        documents: list[Pending],
        task_ids: tuple[int, ...],
        turn: Turn,
    ) -> None:
        self._context = context
        self._link = link
        self._documents = documents
        self._task_ids = task_ids
        self._turn = turn
        subset = [context.tasks[i] for i in task_ids]
        dialect = context.dialect

        def read(response: Response) -> Running | Finished | Gone | Throttled | Transient | Refused:
            return read_job(dialect, response, subset)

        self._read: JobReader = read

    async def run(self) -> JobOutcome:
        """Submit the job, follow it to its end, and say what came of it."""
        context, link = self._context, self._link
        runtime = link.runtime
        body = context.template(self._task_ids).render(
            [document.encoded for document in self._documents]
        )
        try:
            outcome, sent_at = await send(
                context,
                link,
                "POST",
                context.submit_url(link),
                read_submit,
                self._turn,
                body,
                submit=True,
            )
            if isinstance(outcome, NotServed):
                origin = link.sender(context.transport).origin
                context.resources.give_up(
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
            return Unavailable(DocumentError("ServiceUnavailable", str(exc)))
        except ResourceDownError:
            return Moved()
        if isinstance(outcome, Rejected):
            runtime.answered(sent_at)
            return Refusal(outcome.error, outcome.divisible)
        assert isinstance(outcome, Accepted)
        context.stats.jobs += 1
        context.stats.resource(link.label).jobs += 1
        job_url = URL(outcome.location, encoded=True)
        link.sender(context.transport).check_origin(job_url)
        job = runtime.job_accepted(sent_at, created_wall=None)
        ordinal = context.accept_job()
        try:
            return await self._follow(job_url, job, ordinal)
        except RetriesExhaustedError as exc:
            await self._abandon(job_url)
            return Unavailable(DocumentError("ServiceUnavailable", str(exc)))
        except ResourceDownError:
            # One line at the drain says so; a line per job would be a thousand of them.
            self._orphaned(job_url, "its resource was drained", level=logging.INFO)
            return Moved()
        except TaskConfigurationError as exc:
            if context.resources.leave_out(link, exc):
                await self._cancel(job_url)
                return Moved()
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
            runtime.job_ended(job)

    async def _follow(self, job_url: URL, job: PolledJob, ordinal: int) -> Answered:
        """Poll the job until it finishes, within `job_timeout` of running; past it, read it
        once more, cancel it, and keep whatever it finished."""
        context = self._context
        url = context.dialect.results_url(job_url, len(self._documents))
        timeout = context.options.job_timeout
        clock = _RunClock()
        deadline = anyio.current_time() + timeout
        while True:
            with anyio.CancelScope(deadline=deadline) as limit:
                return await self._poll(url, job, ordinal, limit, clock)
            read = await self._read_now(url, job)
            if isinstance(read, Answered):
                return read
            if not isinstance(read, Running):
                break
            deadline = clock.deadline(read.status, anyio.current_time(), timeout)
            if deadline <= anyio.current_time():
                break
        cancelled = await self._cancel(job_url)
        if cancelled is False:  # it finished meanwhile
            read = await self._read_now(url, job)
            if isinstance(read, Answered):
                return read
        elif cancelled is None:
            self._orphaned(job_url, "its cancel failed after the job timeout")
        message = f"the job ran longer than the job timeout of {timeout:.0f} s"
        return Answered(EMPTY_PAGE, None, DocumentError("Timeout", message))

    async def _poll(
        self,
        url: URL,
        job: PolledJob,
        ordinal: int,
        limit: anyio.CancelScope,
        clock: _RunClock,
    ) -> Answered:
        """Poll on the pacer's turns until the job finishes (or is gone)."""
        context = self._context
        runtime = self._link.runtime
        polls = 0
        while True:
            context.stats.job_gets += 1
            polls += 1
            # Until the call's first result is out, its first jobs are polled for latency.
            job.eager = ordinal < FIRST_RESULT_JOBS and context.stats.documents == 0
            outcome, sent_at = await send(
                context, self._link, "GET", url, self._read, Turn("poll", job)
            )
            if isinstance(outcome, Gone):
                runtime.job_lost(job, sent_at)
                return Answered(EMPTY_PAGE, outcome.request_id, lost(outcome))
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
                        outcome.page,
                        self._task_ids,
                        context.mistakes(self._link),
                        outcome.request_id,
                    )
                    if mistake is not None:
                        raise configuration_error(context, self._link, mistake)
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
            return await self._pages(outcome, job)

    async def _read_now(self, url: URL, job: PolledJob) -> Answered | Running | None:
        """One urgent GET of the job: what it finished, how it runs, or None (unreadable)."""
        context = self._context
        context.stats.job_gets += 1
        try:
            outcome, sent_at = await send(
                context, self._link, "GET", url, self._read, Turn("urgent")
            )
        except RetriesExhaustedError:
            return None
        self._link.runtime.answered(sent_at)
        if isinstance(outcome, Finished):
            return await self._pages(outcome, job)
        if isinstance(outcome, Running):
            return outcome
        if isinstance(outcome, Gone):
            self._link.runtime.job_lost(job, sent_at)
            return Answered(EMPTY_PAGE, outcome.request_id, lost(outcome))
        return None

    async def _pages(self, first: Finished, job: PolledJob) -> Answered:
        """Every result page of a finished job, merged; cut short (`lost`) when a page is
        gone, with the pages read so far."""
        context = self._context
        page = first.page
        next_link = page.next_link
        while next_link:
            context.stats.job_gets += 1
            try:
                following, sent_at = await send(
                    context,
                    self._link,
                    "GET",
                    URL(next_link, encoded=True),
                    self._read,
                    Turn("urgent"),
                )
            except (RetriesExhaustedError, ResourceDownError) as exc:
                # Keep what the pages read so far answered; the rest goes out again.
                unread = DocumentError("ServiceUnavailable", str(exc))
                return Answered(page, first.request_id, unread)
            if isinstance(following, Gone):
                self._link.runtime.job_lost(job, sent_at)
                return Answered(page, first.request_id, lost(following))
            self._link.runtime.answered(sent_at)
            if isinstance(following, Running):
                # A later page of a finished job can only be finished too: it cannot be trusted.
                untrusted = DocumentError(
                    "JobLost", "a result page of a finished job said it was still running"
                )
                return Answered(page, first.request_id, untrusted)
            assert isinstance(following, Finished)
            for index, task_page in following.page.tasks.items():
                merged = page.tasks.setdefault(index, TaskPage(task_page.status))
                merged.results.update(task_page.results)
            next_link = following.page.next_link
        return Answered(page, first.request_id)

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
                outcome, sent_at = await send(
                    context,
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
