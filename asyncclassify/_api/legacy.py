"""The retired Text Analytics v3.x `analyze` API: `text/analytics/{version}/analyze`."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from yarl import URL

from .._errors import ConfigurationError
from .._models import Task, TaskKind
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

LEGACY_VERSIONS = ("v3.1-preview.ct.1", "v3.2-preview.2")

_MULTI_FAMILY = "customMultiClassificationTasks"
_ENTITY_FAMILY = "customEntityRecognitionTasks"
_TARGET = re.compile(r"#/tasks/(\w+)/(\d+)")


class LegacyDialect(Dialect):
    """`POST {endpoint}/text/analytics/{version}/analyze`; no cancel, `$top`/`$skip` paging."""

    top_parameter = "$top"
    hides_missing_projects = True

    def __init__(self, api_version: str) -> None:
        self.api_version = api_version
        self._uses_model_id = api_version == "v3.1-preview.ct.1"
        single = (
            "customClassificationTasks"
            if self._uses_model_id
            else ("customSingleClassificationTasks")
        )
        self._families: dict[TaskKind, str] = {
            "single": single,
            "multi": _MULTI_FAMILY,
            "entities": _ENTITY_FAMILY,
        }

    def submit_url(self, endpoint: URL) -> URL:
        return endpoint / f"text/analytics/{self.api_version}/analyze"

    def validate_tasks(self, tasks: Sequence[Task]) -> None:
        for task in tasks:
            if self._uses_model_id and not task.model_id:
                raise ConfigurationError(
                    f"api-version {self.api_version} names models, not projects: "
                    f"give every task a model_id; got {task!r}"
                )
            if not self._uses_model_id and (not task.project or not task.deployment):
                raise ConfigurationError(
                    f"api-version {self.api_version} needs a project and a deployment "
                    f"for every task; got {task!r}"
                )

    def body_template(self, tasks: Sequence[Task], display_name: str | None) -> BodyTemplate:
        families: dict[str, list[dict[str, Any]]] = {}
        for index, task in enumerate(tasks):
            parameters: dict[str, Any]
            if self._uses_model_id:
                parameters = {"modelId": task.model_id}
            else:
                parameters = {"project-name": task.project, "deployment-name": task.deployment}
            if task.kind == "entities":
                parameters["stringIndexType"] = "UnicodeCodePoint"
            families.setdefault(self._families[task.kind], []).append(
                {"taskName": str(index), "parameters": parameters}
            )
        return BodyTemplate.around(families, display_name)

    def parse_job(
        self, payload: bytes, tasks: Sequence[Task], request_id: str | None = None
    ) -> JobPage:
        data = load_job(payload)
        job_id = str(data.get("jobId", ""))
        by_family = self._tasks_by_family(tasks)
        errors = [self._job_error(item, by_family) for item in data.get("errors") or ()]
        pages: dict[int, TaskPage] = {}
        counters = data.get("tasks") or {}
        stamps: list[object] = []
        for family, indices in by_family.items():
            entries = counters.get(family)
            if entries is None and family == "customSingleClassificationTasks":
                entries = counters.get("customClassificationTasks")
            for position, entry in enumerate(entries or ()):
                stamps.append(entry.get("lastUpdateDateTime"))
                name = entry.get("taskName")
                if isinstance(name, str) and name.isdigit() and int(name) in indices:
                    index = int(name)
                elif position < len(indices):
                    index = indices[position]
                else:
                    continue
                page = TaskPage(str(entry.get("state") or entry.get("status") or ""))
                results = entry.get("results")
                if isinstance(results, dict):
                    page.results = parse_task_results(results, tasks[index], job_id, request_id)
                pages[index] = page
        next_link = data.get("@nextLink") or data.get("nextLink")
        status = str(data["status"])
        created, finished = job_times(data, stamps, status.lower() in TERMINAL_STATUSES)
        return JobPage(job_id, status, errors, pages, next_link or None, created, finished)

    def _tasks_by_family(self, tasks: Sequence[Task]) -> dict[str, list[int]]:
        by_family: dict[str, list[int]] = {}
        for index, task in enumerate(tasks):
            by_family.setdefault(self._families[task.kind], []).append(index)
        return by_family

    def _job_error(self, item: dict[str, Any], by_family: dict[str, list[int]]) -> JobError:
        error = JobError(str(item.get("code", "Unknown")), str(item.get("message", "")))
        match = _TARGET.search(str(item.get("target", "")))
        if match:
            family, position = match.group(1), int(match.group(2))
            if family == "customClassificationTasks":
                family = self._families["single"]
            indices = by_family.get(family, [])
            if position < len(indices):
                error.task_index = indices[position]
        return error
