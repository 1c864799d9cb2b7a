"""The exception hierarchy.

Problems with single documents are data (a `DocumentError` on the result), not exceptions.
These exceptions are for problems that stop a whole call: bad configuration, a rejected key,
an endpoint that is not the service, a response that points somewhere it must not.
"""

from __future__ import annotations


class AsyncClassifyError(Exception):
    """Base class of every exception this package raises."""


class ConfigurationError(AsyncClassifyError, ValueError):
    """The client or a call was configured in a way that cannot work."""


class UnsupportedApiVersionError(ConfigurationError):
    """The `api_version` is not one the client knows how to speak."""


class ServiceError(AsyncClassifyError):
    """The service answered with an error that stops the whole call."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        request_id: str | None = None,
    ) -> None:
        details = ", ".join(
            f"{name}={value}"
            for name, value in (("status", status), ("code", code), ("request_id", request_id))
            if value is not None
        )
        super().__init__(f"{message} ({details})" if details else message)
        self.status = status
        self.code = code
        self.request_id = request_id


class AuthenticationError(ServiceError):
    """The key or token was refused (401/403), or the endpoint is the wrong region."""


class QuotaExceededError(ServiceError):
    """The service asked to come back later than the client is willing to wait."""


class EndpointError(ServiceError):
    """The endpoint does not serve the requested API (for example 404 on submit)."""


class TaskConfigurationError(ServiceError):
    """A task of the call cannot run on the service (its project or deployment is not there,
    the project is of another kind, its default language is refused), so every document would
    fail: the call stops at once. `task` is the task to blame (None for the language)."""

    def __init__(self, message: str, *, task: object | None, code: str | None = None) -> None:
        super().__init__(message, code=code)
        self.task = task


class UnsafeRedirectError(AsyncClassifyError):
    """The service pointed at another origin; the client refused to send credentials there."""


class TransportError(AsyncClassifyError):
    """A request kept failing after every retry (connection errors, 5xx, broken bodies)."""


class RetriesExhaustedError(TransportError):
    """A request failed transiently for the whole retry horizon; `failing_for` seconds."""

    def __init__(self, message: str, *, failing_for: float, attempts: int) -> None:
        super().__init__(message)
        self.failing_for = failing_for
        self.attempts = attempts


class CallStoppedError(AsyncClassifyError):
    """The call was stopped from outside (its client closed) before every result was out."""


class DeadlineExceededError(AsyncClassifyError, TimeoutError):
    """The call's deadline passed. Raised after the results of every document read so far.

    `documents_read` input documents (positions 0 to documents_read - 1) have had their
    results; the rest of the input was not read, so a later call can start from there.
    """

    def __init__(self, message: str, *, documents_read: int) -> None:
        super().__init__(message)
        self.documents_read = documents_read


class OverloadedError(AsyncClassifyError):
    """Too many documents wait for shared jobs already: the call was refused at once.

    Raised by `Client.classify_one()` / `classify_many()` when taking the call would put more
    than `max_pending` documents in wait. A web application answers 503 (try again later).
    """

    def __init__(self, message: str, *, pending: int, max_pending: int) -> None:
        super().__init__(message)
        self.pending = pending
        self.max_pending = max_pending
