"""Job pages as JSON, in either dialect's shape (reference §5 and §9)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson

from .errors import error_object
from .jobs import Job, Snapshot, TaskOutput, TaskRun
from .model import Classification, EntityMatch
from .submission import InputDocument
from .versions import Spelling

RESULT_KINDS = {
    "single": "CustomSingleLabelClassificationLROResults",
    "multi": "CustomMultiLabelClassificationLROResults",
    "entities": "CustomEntityRecognitionLROResults",
}
LEGACY_ROUTES = {
    "single": "custom/classification/singlelabel",
    "multi": "custom/classification/multilabel",
    "entities": "custom/entities/general",
}


def iso_seconds(wall: float) -> str:
    """`2024-03-01T10:00:03Z` (the job-level timestamp precision)."""
    return datetime.fromtimestamp(int(wall), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def iso_ticks(wall: float) -> str:
    """`2024-03-01T10:00:03.1234567Z` (the task-level timestamp precision)."""
    seconds = int(wall)
    ticks = int((wall - seconds) * 10_000_000)
    base = datetime.fromtimestamp(seconds, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{base}.{ticks:07d}Z"


@dataclass(frozen=True, slots=True)
class PageRequest:
    """Which window of a job's documents to render, and how."""

    skip: int
    top: int
    """Requested window (already clamped and limited to the page size)."""
    show_stats: bool
    show_stats_raw: str | None
    """`showStats` exactly as sent (carried into the next link), or None."""


NextLink = Callable[[int, int], str]
"""Builds the link to the page at (skip, top)."""


def render_page(
    job: Job, snap: Snapshot, spelling: Spelling, page: PageRequest, next_link: NextLink
) -> bytes:
    """The job at `snap` as the JSON body of one result page."""
    documents = job.documents
    window = documents[page.skip : page.skip + page.top]
    first = min(page.skip, len(documents))
    body: dict[str, Any] = {
        "jobId": job.id,
        spelling.job_timestamp: iso_seconds(job.wall(snap.last_update)),
        "createdDateTime": iso_seconds(job.wall(job.created_at)),
        "expirationDateTime": iso_seconds(job.wall(job.expires_at)),
        "status": snap.status,
        "errors": _job_errors(job, snap, spelling),
    }
    if job.request.display_name is not None:
        body["displayName"] = job.request.display_name
    body["tasks"] = _tasks(job, snap, spelling, window, first, page.show_stats)
    end = page.skip + page.top
    if end < len(documents):
        body[spelling.next_link] = next_link(end, len(documents) - end)
    return orjson.dumps(body)


def _job_errors(job: Job, snap: Snapshot, spelling: Spelling) -> list[dict[str, Any]]:
    failed = [i for i in snap.finished if job.tasks[i].failure is not None]
    result = []
    for i in failed:
        task = job.tasks[i]
        assert task.failure is not None
        if spelling.legacy:
            routes = ", ".join(
                f"{spelling.version}/{LEGACY_ROUTES[job.tasks[j].spec.kind]}" for j in failed
            )
            message = (
                f"{len(failed)} out of {len(job.tasks)} job tasks failed. "
                f"Failed job tasks : {routes}. {task.failure.message}"
            )
            target = f"#/tasks/{task.spec.family_key}/{task.spec.family_index}"
            result.append(error_object("InternalServerError", message, target=target))
        else:
            target = f"#/tasks/items/{i}"
            result.append(error_object(task.failure.code, task.failure.message, target=target))
    return result


def _counters(job: Job, snap: Snapshot) -> dict[str, Any]:
    failed = sum(1 for i in snap.finished if job.tasks[i].failure is not None)
    completed = len(snap.finished) - failed
    in_progress = 0 if snap.cancelled else len(job.tasks) - len(snap.finished)
    return {
        "completed": completed,
        "failed": failed,
        "inProgress": in_progress,
        "total": len(job.tasks),
    }


def _tasks(
    job: Job,
    snap: Snapshot,
    spelling: Spelling,
    window: list[InputDocument],
    first: int,
    show_stats: bool,
) -> dict[str, Any]:
    tasks = _counters(job, snap)
    shown = range(len(job.tasks)) if snap.cancelled else snap.finished
    finished = set(snap.finished)
    if spelling.legacy:
        for i in shown:
            task = job.tasks[i]
            family = task.spec.family_key or ""
            entry = _task_entry(job, task, i in finished, snap, spelling, window, first, show_stats)
            tasks.setdefault(family, []).append(entry)
    else:
        tasks["items"] = [
            _task_entry(job, job.tasks[i], i in finished, snap, spelling, window, first, show_stats)
            for i in shown
        ]
    return tasks


def _task_entry(
    job: Job,
    task: TaskRun,
    finished: bool,
    snap: Snapshot,
    spelling: Spelling,
    window: list[InputDocument],
    first: int,
    show_stats: bool,
) -> dict[str, Any]:
    spec = task.spec
    entry: dict[str, Any] = {}
    if not spelling.legacy:
        entry["kind"] = RESULT_KINDS[spec.kind]
        if spec.task_name is not None:
            entry["taskName"] = spec.task_name
    when = task.finish_at if finished else snap.last_update
    entry["lastUpdateDateTime"] = iso_ticks(job.wall(when))
    if spelling.legacy and spec.task_name is not None:
        entry["taskName"] = spec.task_name
    if not finished:
        entry[spelling.task_state] = "cancelled"
        entry["results"] = _results(spec.project_name, spec.deployment_name, [], [], None)
        return entry
    if task.failure is not None:
        entry[spelling.task_state] = "failed"
        return entry
    entry[spelling.task_state] = "succeeded"
    outputs = task.outputs(job.documents)[first : first + len(window)]
    documents: list[dict[str, Any]] = []
    errors: list[dict[str, Any]] = []
    valid_transactions = 0
    for doc, output in zip(window, outputs, strict=True):
        if doc.error is not None or output is None:
            errors.append({"id": doc.id, "error": doc.error})
            continue
        documents.append(_document(doc, spec.kind, output, spelling, show_stats))
        valid_transactions += doc.transactions
    statistics = None
    if show_stats:
        statistics = {
            "documentsCount": len(window),
            "validDocumentsCount": len(documents),
            "erroneousDocumentsCount": len(errors),
            "transactionsCount": valid_transactions,
        }
    entry["results"] = _results(
        spec.project_name, spec.deployment_name, documents, errors, statistics
    )
    return entry


def _results(
    project: str,
    deployment: str,
    documents: list[dict[str, Any]],
    errors: list[dict[str, Any]],
    statistics: dict[str, int] | None,
) -> dict[str, Any]:
    results: dict[str, Any] = {}
    if statistics is not None:
        results["statistics"] = statistics
    results["documents"] = documents
    results["errors"] = errors
    results["projectName"] = project
    results["deploymentName"] = deployment
    return results


def _class_json(item: Classification) -> dict[str, Any]:
    return {"category": item.category, "confidenceScore": item.confidence}


def _entity_json(item: EntityMatch) -> dict[str, Any]:
    return {
        "text": item.text,
        "category": item.category,
        "offset": item.offset,
        "length": item.length,
        "confidenceScore": item.confidence,
    }


def _document(
    doc: InputDocument, kind: str, output: TaskOutput, spelling: Spelling, show_stats: bool
) -> dict[str, Any]:
    result: dict[str, Any] = {"id": doc.id}
    if kind == "entities":
        result["entities"] = [_entity_json(e) for e in output if isinstance(e, EntityMatch)]
    else:
        classes = [_class_json(c) for c in output if isinstance(c, Classification)]
        if kind == "single":
            result[spelling.single_field] = classes[0] if spelling.single_as_object else classes
        else:
            result[spelling.multi_field] = classes
    result["warnings"] = []
    if show_stats:
        result["statistics"] = {
            "charactersCount": doc.text_elements,
            "transactionsCount": doc.transactions,
        }
    if doc.detected is not None and not spelling.legacy:
        result["detectedLanguage"] = doc.detected.as_json()
        if spelling.language_defaulted_flag:
            result["isLanguageDefaulted"] = doc.detected.defaulted
    return result
