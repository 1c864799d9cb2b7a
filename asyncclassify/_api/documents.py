"""Per-document results inside a task's `results`, as both dialects spell them."""

from __future__ import annotations

from typing import Any

from .._models import DocumentError, Entity, Label, ServiceWarning, Task, TaskResult

_CLASS_FIELDS = ("class", "classifications", "classification", "classes")
"""Every spelling of a classification answer: modern `class` (array, or an object in
2022-04-01-preview), v3.2-preview.2 `classification` (object) / `classifications` (array),
v3.1-preview.ct.1 `classes`."""


def parse_task_results(
    results: dict[str, Any], task: Task, job_id: str, request_id: str | None
) -> dict[str, TaskResult]:
    """Each document's outcome in a task's `results`, keyed by the document's wire id."""
    outcomes: dict[str, TaskResult] = {}
    for document in results.get("documents") or ():
        outcomes[str(document["id"])] = _parse_document(document, task)
    for failure in results.get("errors") or ():
        outcomes[str(failure["id"])] = TaskResult(
            task, error=parse_error(failure.get("error") or {}, job_id, request_id)
        )
    return outcomes


def _parse_document(document: dict[str, Any], task: Task) -> TaskResult:
    listed = document.get("warnings")
    warnings: tuple[ServiceWarning, ...] = ()
    if listed:
        warnings = tuple(
            [
                ServiceWarning(str(item.get("code", "")), str(item.get("message", "")))
                for item in listed
            ]
        )
    if task.kind == "entities":
        entities = tuple(
            Entity(
                item["text"],
                item["category"],
                item["offset"],
                item["length"],
                item["confidenceScore"],
            )
            for item in document.get("entities") or ()
        )
        return TaskResult(task, entities=entities, warnings=warnings)
    answer: Any = None
    for name in _CLASS_FIELDS:
        answer = document.get(name)
        if answer is not None:
            break
    if isinstance(answer, dict):
        answer = (answer,)
    labels = tuple([Label(item["category"], item["confidenceScore"]) for item in answer or ()])
    return TaskResult(task, labels=labels, warnings=warnings)


def parse_error(error: dict[str, Any], job_id: str | None, request_id: str | None) -> DocumentError:
    """A service error object as a `DocumentError` (the innermost code is kept as well)."""
    inner = error.get("innererror") or error.get("innerError")
    inner_code = None
    message = str(error.get("message", ""))
    if isinstance(inner, dict):
        inner_code = inner.get("code")
        if inner.get("message"):
            message = f"{message} {inner['message']}".strip()
    return DocumentError(str(error.get("code", "Unknown")), message, inner_code, request_id, job_id)
