"""What a finished (or lost) job leaves for each of its documents: an answer to keep, an
error to keep, or a failure another submission may turn into an answer. Pure logic.

`collect` reads a job's merged pages into a `Collected`: `answers` to record, `retry` groups
(documents that share the tasks left to run, and why) and `mistake`, when what the job said
would fail every document of the call.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from .._api.base import JobError, JobPage
from .._models import DocumentError, Task, TaskResult
from .batching import Pending
from .mistakes import TRANSIENT_CODES, UNSUPPORTED_LANGUAGE, Mistake, MistakeWatch

SUCCEEDED = frozenset({"succeeded", "completed"})


@dataclass(slots=True)
class Collected:
    """What one job left for its documents."""

    answers: list[tuple[Pending, int, TaskResult]] = field(default_factory=list)
    """(document, task index, outcome): answers, and errors another try would only repeat."""
    retry: list[tuple[list[Pending], tuple[int, ...], DocumentError]] = field(default_factory=list)
    """Documents to submit again for these tasks, and the failure that left them unanswered."""
    mistake: Mistake | None = None


def collect(
    page: JobPage,
    documents: Sequence[Pending],
    task_ids: Sequence[int],
    tasks: Sequence[Task],
    watch: MistakeWatch,
    *,
    request_id: str | None,
    lost: DocumentError | None = None,
) -> Collected:
    """Sort what `page` (a finished job's merged pages, possibly cut short: `lost` says why)
    says about each document and task of the job."""
    collected = Collected()
    unanswered: dict[int, dict[int, DocumentError]] = {}
    """document index -> task index -> the failure to retry."""

    def retry(document: Pending, task_index: int, error: DocumentError) -> None:
        unanswered.setdefault(document.index, {})[task_index] = error

    for position, task_index in enumerate(task_ids):
        task_page = page.tasks.get(position)
        if task_page is None and lost is not None:
            for document in documents:
                retry(document, task_index, lost)
            continue
        status = task_page.status.lower() if task_page is not None else ""
        if task_page is None or status not in SUCCEEDED:
            error = task_error(page, position, request_id)
            mistake = watch.task_failed(task_index, error.code, error.message)
            if mistake is not None:
                collected.mistake = mistake
                return collected
            if watch.permanent(error.code):
                final = TaskResult(tasks[task_index], error=error)
                collected.answers.extend((document, task_index, final) for document in documents)
            else:
                for document in documents:
                    retry(document, task_index, error)
            continue
        watch.task_succeeded(task_index)
        answered = unsupported = other = 0
        language_message = ""
        for document in documents:
            outcome = task_page.results.get(str(document.index))
            if outcome is None:
                retry(document, task_index, lost or _missing(page, request_id))
                continue
            problem = outcome.error
            if problem is not None and problem.code in TRANSIENT_CODES:
                retry(document, task_index, problem)
                continue
            collected.answers.append((document, task_index, outcome))
            if document.default_language:
                if problem is None:
                    answered += 1
                elif UNSUPPORTED_LANGUAGE in (problem.code, problem.inner_code):
                    unsupported += 1
                    language_message = problem.message
                else:
                    other += 1
        mistake = watch.default_language(
            answered=answered, unsupported=unsupported, other=other, message=language_message
        )
        if mistake is not None:
            collected.mistake = mistake
            return collected
    groups: dict[tuple[int, ...], tuple[list[Pending], DocumentError]] = {}
    for document in documents:
        failures = unanswered.get(document.index)
        if not failures:
            continue
        key = tuple(sorted(failures))
        group = groups.get(key)
        if group is None:
            groups[key] = ([document], failures[key[0]])
        else:
            group[0].append(document)
    collected.retry = [(docs, key, error) for key, (docs, error) in groups.items()]
    return collected


def early_mistake(
    page: JobPage, task_ids: Sequence[int], watch: MistakeWatch, request_id: str | None
) -> Mistake | None:
    """A mistake a running job already shows: a task failed for good before any success."""
    for position, task_page in page.tasks.items():
        if task_page.status.lower() == "failed" and position < len(task_ids):
            error = task_error(page, position, request_id)
            mistake = watch.failed_early(task_ids[position], error.code, error.message)
            if mistake is not None:
                return mistake
    return None


def task_error(page: JobPage, position: int, request_id: str | None) -> DocumentError:
    """Why the task at `position` of a job failed: its job-level error, or its status."""
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


def _missing(page: JobPage, request_id: str | None) -> DocumentError:
    return DocumentError(
        "MissingResult",
        "the service finished the job without a result for this document",
        None,
        request_id,
        page.job_id or None,
    )
