"""The service's error envelopes: `{"error": {"code", "message", "target"?, "innererror"?}}`."""

from __future__ import annotations

from typing import Any

import orjson

ErrorObject = dict[str, Any]


def error_object(
    code: str,
    message: str,
    *,
    target: str | None = None,
    inner_code: str | None = None,
    inner_message: str | None = None,
) -> ErrorObject:
    """One `Error` as the service spells it (also used inside job and document results)."""
    error: ErrorObject = {"code": code, "message": message}
    if target is not None:
        error["target"] = target
    if inner_code is not None:
        error["innererror"] = {"code": inner_code, "message": inner_message or message}
    return error


class ServiceError(Exception):
    """An error answer: HTTP status, the JSON envelope and any extra headers.

    `gateway` marks answers produced by the API gateway in front of the service
    (401, 429, unknown routes): their `code` is the status as a string, they carry
    plain `application/json` and no backend timing header.
    """

    def __init__(
        self,
        status: int,
        error: ErrorObject,
        *,
        headers: dict[str, str] | None = None,
        gateway: bool = False,
    ) -> None:
        super().__init__(f"{status} {error['code']}: {error['message']}")
        self.status = status
        self.error = error
        self.headers = headers or {}
        self.gateway = gateway

    @property
    def code(self) -> str:
        """The top-level error code."""
        return str(self.error["code"])

    def body(self) -> bytes:
        """The response body."""
        return orjson.dumps({"error": self.error})


def invalid_request(
    message: str, inner_code: str, inner_message: str | None = None, *, status: int = 400
) -> ServiceError:
    """`InvalidRequest` with an inner code (malformed bodies, bad parameters, limits)."""
    return ServiceError(
        status,
        error_object("InvalidRequest", message, inner_code=inner_code, inner_message=inner_message),
    )


def body_format_error(detail: str) -> ServiceError:
    """A body that is not valid JSON or misses a required field."""
    return invalid_request("Invalid Request.", "InvalidRequestBodyFormat", detail)


def invalid_parameter(detail: str) -> ServiceError:
    """A parameter with a value the service does not accept."""
    return invalid_request("Invalid parameter in request.", "InvalidParameterValue", detail)


def gateway_error(status: int, message: str, *, retry_after: float | None = None) -> ServiceError:
    """An error produced by the gateway: `code` is the HTTP status as a string."""
    headers = {"Retry-After": seconds_text(retry_after)} if retry_after is not None else None
    return ServiceError(
        status, {"code": str(status), "message": message}, headers=headers, gateway=True
    )


def unauthorized() -> ServiceError:
    """401 for a missing or wrong key."""
    error = gateway_error(
        401,
        "Access denied due to invalid subscription key or wrong API endpoint. Make sure to "
        "provide a valid key for an active subscription and use a correct regional API "
        "endpoint for your resource.",
    )
    error.headers["WWW-Authenticate"] = (
        'AzureApiManagementKey realm="https://cognitiveservices.azure.com",'
        'name="Ocp-Apim-Subscription-Key",type="header"'
    )
    return error


def seconds_text(seconds: float) -> str:
    """`2` for whole seconds (as the service sends), `0.3` for the steps of a scaled window."""
    return str(int(seconds)) if float(seconds).is_integer() else f"{seconds:.3g}"


def throttled(retry_after: float) -> ServiceError:
    """429 when the key's request budget is spent."""
    second = "second" if retry_after == 1 else "seconds"
    return gateway_error(
        429,
        "Requests to the Analyze Text operation under Azure Language API have exceeded the "
        "rate limit of your current pricing tier. "
        f"Please retry after {seconds_text(retry_after)} {second}.",
        retry_after=retry_after,
    )


def resource_not_found() -> ServiceError:
    """404 from the gateway for a route or api-version it does not serve."""
    return gateway_error(404, "Resource not found")


def job_not_found(job_id: str) -> ServiceError:
    """404 for an unknown or expired job."""
    return ServiceError(404, error_object("NotFound", f"The job {job_id} was not found."))


def server_error(status: int, *, retry_after: int | None = None) -> ServiceError:
    """An injected 500 / 503."""
    if status == 503:
        error = error_object("ServiceUnavailable", "The service is temporarily unavailable.")
    else:
        error = error_object("InternalServerError", "An unexpected error occurred.")
    headers = {"Retry-After": seconds_text(retry_after)} if retry_after is not None else None
    return ServiceError(status, error, headers=headers)
