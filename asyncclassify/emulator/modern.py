"""The modern dialect: `language/analyze-text/jobs?api-version=…` bodies and links."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

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
from .versions import MODERN_VERSIONS, Spelling

JOBS_PATH = "/language/analyze-text/jobs"

TASK_KINDS: dict[str, ProjectKind] = {
    "CustomSingleLabelClassification": "single",
    "CustomMultiLabelClassification": "multi",
    "CustomEntityRecognition": "entities",
}


def spelling_for(api_version: str | None) -> Spelling:
    """The spelling of `api-version`; an unknown or missing version is the gateway's 404."""
    spelling = MODERN_VERSIONS.get(api_version or "")
    if spelling is None:
        raise errors.ServiceError(
            404,
            {
                "code": "404",
                "message": "Resource not found. The api-version "
                f"'{api_version}' is not supported; use one of: " + ", ".join(MODERN_VERSIONS),
            },
            gateway=True,
        )
    return spelling


def parse_submit(
    body: object, spelling: Spelling, projects: dict[tuple[str, str], Project]
) -> JobRequest:
    """Validate a modern submit body (request-level errors raise `ServiceError`)."""
    root = require_object(body, "body")
    if "analysisInput" not in root:
        raise errors.body_format_error("The required field 'analysisInput' is missing.")
    raw_tasks = root.get("tasks")
    if not isinstance(raw_tasks, list) or not raw_tasks:
        raise errors.body_format_error("The required field 'tasks' is missing or empty.")
    tasks = [_parse_task(raw, projects) for raw in raw_tasks]
    display_name = optional_string(root, "displayName")
    default_language: str | None = None
    cancel_after: float | None = None
    if spelling.request_options:
        default_language = optional_string(root, "defaultLanguage")
        raw_cancel = root.get("cancelAfter")
        if raw_cancel is not None:
            if not isinstance(raw_cancel, int | float) or raw_cancel < 0:
                raise errors.invalid_parameter("'cancelAfter' must be a non-negative number.")
            cancel_after = float(raw_cancel)
    project = next((t.project for t in tasks if t.project is not None), None)
    documents = parse_documents(
        root["analysisInput"],
        legacy=False,
        default_language=default_language or (project.language if project else "en"),
        language_auto=spelling.language_auto,
        auto_default=default_language,
    )
    return JobRequest(documents, tasks, display_name, cancel_after)


def _parse_task(raw: object, projects: dict[tuple[str, str], Project]) -> TaskSpec:
    task = require_object(raw, "tasks[]")
    kind_name = task.get("kind")
    if not isinstance(kind_name, str):
        raise errors.body_format_error("Every task needs a 'kind'.")
    kind = TASK_KINDS.get(kind_name)
    if kind is None:
        raise errors.invalid_parameter(
            f"Task kind '{kind_name}' is not supported. Supported kinds: " + ", ".join(TASK_KINDS)
        )
    parameters: dict[str, Any] = require_object(task.get("parameters"), "tasks[].parameters")
    project_name = require_string(parameters, "projectName", "parameters")
    deployment_name = require_string(parameters, "deploymentName", "parameters")
    unit = string_index_type(parameters) if kind == "entities" else TEXT_ELEMENTS
    return TaskSpec(
        kind=kind,
        task_name=optional_string(task, "taskName"),
        project_name=project_name,
        deployment_name=deployment_name,
        project=projects.get((project_name, deployment_name)),
        string_index_type=unit,
    )


def job_url(base: str, job_id: str, api_version: str) -> str:
    """The job's GET URL (the `operation-location` of submit and cancel)."""
    return f"{base}{JOBS_PATH}/{job_id}?api-version={quote(api_version)}"


def next_link(
    base: str, job_id: str, api_version: str, show_stats_raw: str | None, skip: int, top: int
) -> str:
    """`nextLink` as the service writes it: showStats (if sent), top, skip, api-version."""
    stats = f"showStats={quote(show_stats_raw)}&" if show_stats_raw is not None else ""
    return (
        f"{base}{JOBS_PATH}/{job_id}?{stats}top={top}&skip={skip}&api-version={quote(api_version)}"
    )
