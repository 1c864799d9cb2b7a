"""The current Language API: `language/analyze-text/jobs?api-version=...`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from yarl import URL

from .._errors import ConfigurationError
from .._models import Task
from .base import (
    TERMINAL_STATUSES,
    BodyTemplate,
    Dialect,
    JobError,
    JobPage,
    TaskPage,
    job_times,
    load_job,
)
from .documents import parse_task_results

MODERN_VERSIONS = (
    "2022-04-01-preview",
    "2022-05-01",
    "2022-10-01-preview",
    "2023-04-01",
    "2023-04-15-preview",
    "2023-11-15-preview",
    "2024-05-15-preview",
    "2024-11-01",
    "2024-11-15-preview",
    "2025-05-15-preview",
    "2025-11-01",
    "2025-11-15-preview",
)

_TASK_KINDS = {
    "single": "CustomSingleLabelClassification",
    "multi": "CustomMultiLabelClassification",
    "entities": "CustomEntityRecognition",
}
_RESULT_KINDS = {f"{kind}LROResults": name for name, kind in _TASK_KINDS.items()}
_TARGET = re.compile(r"#/tasks/items/(\d+)")


class ModernDialect(Dialect):
    """`POST {endpoint}/language/analyze-text/jobs?api-version=V` and its job URLs."""

    supports_cancel = True

    def __init__(self, api_version: str) -> None:
        self.api_version = api_version

    def submit_url(self, endpoint: URL) -> URL:
        return (endpoint / "language/analyze-text/jobs").with_query(
            {"api-version": self.api_version}
        )

    def validate_tasks(self, tasks: Sequence[Task]) -> None:
        for task in tasks:
            if not task.project or not task.deployment:
                raise ConfigurationError(
                    f"api-version {self.api_version} needs a project and a deployment "
                    f"for every task; got {task!r}"
                )

    def body_template(self, tasks: Sequence[Task], display_name: str | None) -> BodyTemplate:
        wire_tasks: list[dict[str, Any]] = []
        for index, task in enumerate(tasks):
            parameters: dict[str, Any] = {
                "projectName": task.project,
                "deploymentName": task.deployment,
            }
            if task.kind == "entities":
                # Offsets in code points index the Python string the user passed in.
                parameters["stringIndexType"] = "UnicodeCodePoint"
            wire_tasks.append(
                {"kind": _TASK_KINDS[task.kind], "taskName": str(index), "parameters": parameters}
            )
        return BodyTemplate.around(wire_tasks, display_name)

    def cancel_url(self, job_url: URL) -> URL | None:
        return job_url.with_path(job_url.path + ":cancel", keep_query=True)

    def parse_job(
        self, payload: bytes, tasks: Sequence[Task], request_id: str | None = None
    ) -> JobPage:
        data = load_job(payload)
        job_id = str(data.get("jobId", ""))
        errors = [_job_error(item) for item in data.get("errors") or ()]
        pages: dict[int, TaskPage] = {}
        items = (data.get("tasks") or {}).get("items") or ()
        stamps: list[object] = []
        for item in items:
            stamps.append(item.get("lastUpdateDateTime"))
            index = _task_index(item, tasks)
            if index is None:
                continue
            status = str(item.get("status", ""))
            results = item.get("results")
            page = TaskPage(status)
            if isinstance(results, dict):
                page.results = parse_task_results(results, tasks[index], job_id, request_id)
            pages[index] = page
        next_link = data.get("nextLink")
        status = str(data["status"])
        created, finished = job_times(data, stamps, status.lower() in TERMINAL_STATUSES)
        return JobPage(job_id, status, errors, pages, next_link or None, created, finished)


def _task_index(item: dict[str, Any], tasks: Sequence[Task]) -> int | None:
    name = item.get("taskName")
    if isinstance(name, str) and name.isdigit() and int(name) < len(tasks):
        return int(name)
    # The service echoes the names we send; without one, only an unambiguous kind maps.
    kind = _RESULT_KINDS.get(str(item.get("kind", "")))
    same_kind = [i for i, task in enumerate(tasks) if task.kind == kind]
    return same_kind[0] if len(same_kind) == 1 else None


def _job_error(item: dict[str, Any]) -> JobError:
    match = _TARGET.search(str(item.get("target", "")))
    return JobError(
        str(item.get("code", "Unknown")),
        str(item.get("message", "")),
        int(match.group(1)) if match else None,
    )
