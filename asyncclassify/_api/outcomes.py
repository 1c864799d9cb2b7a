"""Every answer of the service as a typed outcome: what happened, never what to do about it.

`Transport` hands back a `Response` read whole; a dialect reads it into one of these. The
client's job runner decides (retry, wait, split, settle, stop), the pacer learns from them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import orjson
from multidict import CIMultiDict, CIMultiDictProxy

from .._models import DocumentError, Task
from .base import Dialect, JobPage
from .documents import parse_error

DOCUMENT_FAULTS = frozenset({"InvalidDocument", "InvalidDocumentBatch"})
"""Inner codes of a rejected submit that may be one document's fault."""


@dataclass(frozen=True, slots=True)
class Response:
    """A response read whole."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @classmethod
    def of(
        cls, status: int, body: bytes = b"", headers: Mapping[str, str] | None = None
    ) -> Response:
        """A response made in code (a `MockTransport` handler's answer)."""
        return cls(status, CIMultiDictProxy(CIMultiDict(headers or {})), body)

    @property
    def request_id(self) -> str | None:
        """The service's `apim-request-id`, quoted in errors and logs."""
        return self.headers.get("apim-request-id")


# -- what any request may meet ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Throttled:
    """429: the rate limit; wait `retry_after` seconds (None when the service did not say)."""

    retry_after: float | None
    message: str
    request_id: str | None


@dataclass(frozen=True, slots=True)
class Transient:
    """A failure another attempt may not meet: 5xx, 408, an unreadable body, no connection."""

    problem: str
    retry_after: float | None = None
    request_id: str | None = None
    orphaned: bool = False
    """The failed request left a job on the service that no one will read."""


@dataclass(frozen=True, slots=True)
class Refused:
    """401/403: the credentials were refused (or, with a long `retry_after`, a spent quota)."""

    status: int
    code: str | None
    message: str
    retry_after: float | None
    request_id: str | None


# -- a submit -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Accepted:
    """202: the job exists; `location` is its `operation-location`."""

    location: str
    request_id: str | None


@dataclass(frozen=True, slots=True)
class Rejected:
    """The submit was refused for what it holds (400, 413, other 4xx)."""

    error: DocumentError
    divisible: bool
    """The refusal may be one document's fault: halving the batch finds it."""


@dataclass(frozen=True, slots=True)
class NotServed:
    """404 on a submit: the endpoint does not serve this API (a wrong endpoint or version)."""

    code: str | None
    message: str
    request_id: str | None


# -- a job GET or a result page -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Running:
    """The job is not finished: `notStarted` (queued) or `running`, with its timestamps."""

    status: str
    created_wall: float | None
    """`createdDateTime`, epoch seconds (the service gives whole seconds)."""
    request_id: str | None
    page: JobPage | None = None
    """What the job says so far: the tasks it has finished (failed ones too)."""


@dataclass(frozen=True, slots=True)
class Finished:
    """The job will not change any more: a page of its results."""

    page: JobPage
    request_id: str | None


@dataclass(frozen=True, slots=True)
class Gone:
    """404 on a job or page: it expired, or never reached the store."""

    code: str
    message: str
    request_id: str | None


SubmitOutcome = Accepted | Rejected | NotServed | Throttled | Transient | Refused
JobOutcome = Running | Finished | Gone | Throttled | Transient | Refused
CancelOutcome = bool | Gone | Throttled | Transient | Refused
"""True: the service took the cancel; False: the job had already finished."""


def common(response: Response) -> Throttled | Transient | Refused | None:
    """The outcome any request may meet (429, 5xx, 408, 401, 403), or None."""
    status = response.status
    if status == 429:
        return Throttled(retry_after(response), message(response), response.request_id)
    if status in (401, 403):
        return Refused(
            status, code(response), message(response), retry_after(response), response.request_id
        )
    if status >= 500 or status == 408:
        return Transient(f"HTTP {status}", retry_after(response), response.request_id)
    return None


def read_submit(response: Response) -> SubmitOutcome:
    """What the answer to a submit says."""
    found = common(response)
    if found is not None:
        return found
    if response.status == 202:
        location = response.headers.get("operation-location")
        if location:
            return Accepted(location, response.request_id)
        # A job exists that no one can read; another submit will most likely say where.
        return Transient(
            "the service accepted the job but did not say where it is (no operation-location)",
            request_id=response.request_id,
            orphaned=True,
        )
    if response.status == 404:
        return NotServed(code(response), message(response), response.request_id)
    error = rejection(response)
    divisible = response.status == 413 or error.inner_code in DOCUMENT_FAULTS
    return Rejected(error, divisible)


def read_cancel(response: Response) -> CancelOutcome:
    """What the answer to a cancel says."""
    found = common(response)
    if found is not None:
        return found
    if response.status == 404:
        return Gone(code(response) or "NotFound", message(response), response.request_id)
    return response.status < 300


def rejection(response: Response) -> DocumentError:
    """The error a refused request carries, as a `DocumentError`."""
    error = error_object(response)
    if error:
        return parse_error(error, None, response.request_id)
    return DocumentError(
        f"HTTP{response.status}",
        f"the service answered {response.status}",
        None,
        response.request_id,
    )


def error_object(response: Response) -> dict[str, object]:
    """The `error` object of an error body, or an empty dict."""
    try:
        data = orjson.loads(response.body)
    except orjson.JSONDecodeError:
        return {}
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}


def message(response: Response) -> str:
    """The error body's message, or the status."""
    text = error_object(response).get("message")
    return str(text) if text else f"HTTP {response.status}"


def code(response: Response) -> str | None:
    """The error body's code."""
    value = error_object(response).get("code")
    return str(value) if value is not None else None


def retry_after(response: Response) -> float | None:
    """`Retry-After` in seconds (None when absent or not a number of seconds)."""
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def read_job(dialect: Dialect, response: Response, tasks: Sequence[Task]) -> JobOutcome:
    """What a GET of a job (or of one of its result pages) says."""
    found = common(response)
    if found is not None:
        return found
    if response.status >= 300:
        # 404: expired or never stored; any other refusal leaves the page as unusable.
        return Gone(
            code(response) or f"HTTP{response.status}", message(response), response.request_id
        )
    try:
        page = dialect.parse_job(response.body, tasks, response.request_id)
    except (ValueError, KeyError, TypeError) as exc:
        return Transient(f"unreadable {response.status} body ({type(exc).__name__})")
    if page.terminal:
        return Finished(page, response.request_id)
    return Running(page.status, page.created_wall, response.request_id, page)
