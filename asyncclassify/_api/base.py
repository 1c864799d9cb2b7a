"""What every API dialect provides, and the parsed shape of a job page."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import orjson
from yarl import URL

from .._models import DocumentError, Task, TaskResult

TERMINAL_STATUSES = frozenset(
    {"succeeded", "partiallycompleted", "partiallysucceeded", "failed", "cancelled", "rejected"}
)
"""Statuses after which a job or task never changes again (compared lower-case)."""


@dataclass(frozen=True, slots=True)
class Limits:
    """What one job request may hold."""

    max_documents: int = 25
    max_characters: int = 125_000
    """Counted in grapheme clusters, summed over the request's documents."""
    max_request_bytes: int = 1_000_000


@dataclass(slots=True)
class JobError:
    """A job-level error; `task_index` is the task it points at, when it points at one."""

    code: str
    message: str
    task_index: int | None = None


@dataclass(slots=True)
class TaskPage:
    """One task's part of a job page: its status and the documents of this page."""

    status: str
    results: dict[str, TaskResult] = field(default_factory=dict)
    """Keyed by the document's wire id."""


@dataclass(slots=True)
class JobPage:
    """One parsed GET of a job."""

    job_id: str
    status: str
    errors: list[JobError]
    tasks: dict[int, TaskPage]
    """Finished tasks so far, keyed by the task's position in the call."""
    next_link: str | None
    created_wall: float | None = None
    """`createdDateTime`, epoch seconds (whole seconds)."""
    finished_wall: float | None = None
    """When the job finished on the service's clock, epoch seconds: the last of its finished
    tasks' `lastUpdateDateTime` (to a tenth of a microsecond), for a terminal job."""

    @property
    def terminal(self) -> bool:
        """True when the job will not change any more."""
        return self.status.lower() in TERMINAL_STATUSES


class BodyTemplate:
    """A submit body with the documents left out: rendering it costs one join."""

    __slots__ = ("_prefix", "_suffix")

    def __init__(self, prefix: bytes, suffix: bytes) -> None:
        self._prefix = prefix
        self._suffix = suffix

    @property
    def overhead(self) -> int:
        """Bytes of the body besides the documents and the commas between them."""
        return len(self._prefix) + len(self._suffix)

    @classmethod
    def around(cls, tasks: object, display_name: str | None) -> BodyTemplate:
        """The body both dialects share: documents, then the dialect's `tasks` value."""
        suffix = b']},"tasks":' + orjson.dumps(tasks)
        if display_name is not None:
            suffix += b',"displayName":' + orjson.dumps(display_name)
        return cls(b'{"analysisInput":{"documents":[', suffix + b"}")

    def render(self, documents: Sequence[bytes]) -> bytes:
        """The body holding `documents` (each already serialized)."""
        return self._prefix + b",".join(documents) + self._suffix


def epoch(timestamp: object) -> float | None:
    """An ISO-8601 timestamp of the service as epoch seconds (None when absent or unreadable).

    Task timestamps carry seven fractional digits, one more than Python keeps: the tenth of
    a microsecond is dropped.
    """
    if not isinstance(timestamp, str) or not timestamp:
        return None
    text = timestamp
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    dot = text.find(".")
    if dot != -1:
        end = dot + 1
        while end < len(text) and text[end].isdigit():
            end += 1
        text = text[: min(end, dot + 7)] + text[end:]
    try:
        return datetime.fromisoformat(text).timestamp()
    except ValueError:
        return None


def job_times(
    data: dict[str, Any], task_stamps: Sequence[object], terminal: bool
) -> tuple[float | None, float | None]:
    """(created, finished) of a job body, epoch seconds; finished only for a terminal job:
    the last task's `lastUpdateDateTime`, else the job's own timestamp (either spelling)."""
    created = epoch(data.get("createdDateTime"))
    if not terminal:
        return created, None
    stamps = [stamp for stamp in map(epoch, task_stamps) if stamp is not None]
    if stamps:
        return created, max(stamps)
    job_stamp = data.get("lastUpdatedDateTime") or data.get("lastUpdateDateTime")
    return created, epoch(job_stamp)


def load_job(payload: bytes) -> dict[str, Any]:
    """A job GET's body as JSON (raises ValueError on a body that is not a job)."""
    data = orjson.loads(payload)
    if not isinstance(data, dict) or "status" not in data:
        raise ValueError("the body is not a job")
    return data


def encode_document(wire_id: str, text: str, language: str) -> bytes:
    """One document of `analysisInput.documents`, serialized (both dialects share it).

    Copied to its own size: orjson hands back its whole output buffer (4 KiB at least), and
    a document is held until its job's results are out, so thousands may be in flight.
    """
    return bytes(memoryview(orjson.dumps({"id": wire_id, "language": language, "text": text})))


class Dialect(ABC):
    """One API dialect of the service: its URLs, bodies, limits and response shapes."""

    api_version: str
    limits: Limits = Limits()
    supports_cancel: bool = False
    default_page_size: int = 20
    top_parameter: str = "top"
    """The query parameter that sets a page's size."""
    hides_missing_projects: bool = False
    """The dialect reports a task whose project is not there as an internal error."""

    @abstractmethod
    def submit_url(self, endpoint: URL) -> URL:
        """Where jobs are submitted."""

    @abstractmethod
    def validate_tasks(self, tasks: Sequence[Task]) -> None:
        """Raise `ConfigurationError` when a task lacks what this dialect needs."""

    @abstractmethod
    def body_template(self, tasks: Sequence[Task], display_name: str | None) -> BodyTemplate:
        """The submit body for `tasks`, ready to take documents."""

    def results_url(self, job_url: URL, document_count: int) -> URL:
        """The job URL asking for all `document_count` documents in one page."""
        if document_count <= self.default_page_size:
            return job_url
        return job_url.update_query({self.top_parameter: document_count})

    def cancel_url(self, job_url: URL) -> URL | None:
        """Where to cancel the job, or None when the dialect cannot cancel."""
        return None

    @abstractmethod
    def parse_job(
        self, payload: bytes, tasks: Sequence[Task], request_id: str | None = None
    ) -> JobPage:
        """Parse a GET of the job (raises ValueError on a body that is not a job)."""


def task_failure(job_id: str, request_id: str | None, error: JobError | None) -> DocumentError:
    """The error each document of a failed task gets."""
    if error is None:
        return DocumentError(
            "TaskFailed", "The task failed without saying why.", None, request_id, job_id
        )
    return DocumentError(error.code, error.message, None, request_id, job_id)
