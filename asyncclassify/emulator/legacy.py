"""The legacy dialect: `text/analytics/{v3.1-preview.ct.1 | v3.2-preview.2}/analyze`."""

from __future__ import annotations

from typing import Any

from . import errors
from .config import Project, ProjectKind
from .submission import (
    JobRequest,
    TaskSpec,
    optional_string,
    parse_documents,
    require_object,
    require_string,
    string_index_type,
)
from .textunits import TEXT_ELEMENTS
from .versions import LEGACY_CT1, LEGACY_VERSIONS, Spelling

FAMILIES: dict[str, ProjectKind] = {
    "customClassificationTasks": "single",
    "customSingleClassificationTasks": "single",
    "customMultiClassificationTasks": "multi",
    "customEntityRecognitionTasks": "entities",
}
"""Task families by `tasks` key; both single-label spellings are accepted."""


def spelling_for(version: str) -> Spelling:
    """The spelling of a legacy version (unknown versions are the gateway's 404)."""
    spelling = LEGACY_VERSIONS.get(version)
    if spelling is None:
        raise errors.resource_not_found()
    return spelling


def parse_submit(
    body: object, spelling: Spelling, projects: dict[tuple[str, str], Project]
) -> JobRequest:
    """Validate a legacy submit body (request-level errors raise `ServiceError`)."""
    root = require_object(body, "body")
    if "analysisInput" not in root:
        raise errors.body_format_error("The required field 'analysisInput' is missing.")
    raw_tasks = require_object(root.get("tasks"), "tasks")
    by_model = {p.model_id: p for p in projects.values()}
    tasks: list[TaskSpec] = []
    for family, entries in raw_tasks.items():
        kind = FAMILIES.get(family)
        if kind is None:
            raise errors.invalid_parameter(
                f"Task type '{family}' is not supported. Supported: " + ", ".join(FAMILIES)
            )
        if not isinstance(entries, list):
            raise errors.body_format_error(f"'tasks.{family}' must be an array.")
        for index, entry in enumerate(entries):
            tasks.append(_parse_task(entry, kind, family, index, spelling, projects, by_model))
    if not tasks:
        raise errors.invalid_request("No tasks in the request.", "InvalidRequestBodyFormat")
    project = next((t.project for t in tasks if t.project is not None), None)
    documents = parse_documents(
        root["analysisInput"],
        legacy=True,
        default_language=project.language if project else "en",
        language_auto=False,
    )
    return JobRequest(documents, tasks, optional_string(root, "displayName"))


def _parse_task(
    raw: object,
    kind: ProjectKind,
    family: str,
    index: int,
    spelling: Spelling,
    projects: dict[tuple[str, str], Project],
    by_model: dict[str | None, Project],
) -> TaskSpec:
    task = require_object(raw, f"tasks.{family}[]")
    parameters: dict[str, Any] = require_object(task.get("parameters"), "parameters")
    unit = string_index_type(parameters) if kind == "entities" else TEXT_ELEMENTS
    if spelling.version == LEGACY_CT1 and "project-name" not in parameters:
        model_id = require_string(parameters, "modelId", "parameters")
        project = by_model.get(model_id)
        project_name = project.name if project else model_id
        deployment_name = project.deployment if project else model_id
    else:
        project_name = require_string(parameters, "project-name", "parameters")
        deployment_name = require_string(parameters, "deployment-name", "parameters")
        project = projects.get((project_name, deployment_name))
    return TaskSpec(
        kind=kind,
        task_name=optional_string(task, "taskName"),
        project_name=project_name,
        deployment_name=deployment_name,
        project=project,
        string_index_type=unit,
        family_key=family,
        family_index=index,
    )


def job_url(base: str, version: str, job_id: str) -> str:
    """The job's GET URL (no query string)."""
    return f"{base}/text/analytics/{version}/analyze/jobs/{job_id}"


def next_link(
    base: str, version: str, job_id: str, show_stats_raw: str | None, skip: int, top: int
) -> str:
    """`@nextLink` as the service writes it: $skip, $top, showStats (if sent)."""
    stats = f"&showStats={show_stats_raw}" if show_stats_raw is not None else ""
    return f"{job_url(base, version, job_id)}?$skip={skip}&$top={top}{stats}"
