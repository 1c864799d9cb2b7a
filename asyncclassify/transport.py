"""The one place that sends HTTP: credentials, the shared budget, retries, origin checks."""

from __future__ import annotations

import ipaddress
import logging
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import aiohttp
import anyio
import orjson
from multidict import CIMultiDictProxy
from yarl import URL

from .auth import Authenticator
from .budget import RequestBudget
from .errors import (
    AuthenticationError,
    ConfigurationError,
    EndpointError,
    QuotaExceededError,
    TransportError,
    UnsafeRedirectError,
)
from .stats import RunStats

logger = logging.getLogger("asyncclassify")

T = TypeVar("T")

DEFAULT_RETRY_AFTER = 1.0
"""Seconds to wait on a 429 that does not say how long."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How transient failures are retried: exponential backoff with full jitter."""

    max_retries: int = 8
    backoff_base: float = 0.25
    backoff_max: float = 20.0
    max_retry_after: float = 300.0
    """A `Retry-After` longer than this fails fast with `QuotaExceededError`."""
    request_timeout: float = 60.0

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        return random.uniform(0.0, min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))


@dataclass(frozen=True, slots=True)
class Response:
    """A response read whole."""

    status: int
    headers: CIMultiDictProxy[str]
    body: bytes

    @property
    def request_id(self) -> str | None:
        """The service's `apim-request-id`, quoted in errors and logs."""
        return self.headers.get("apim-request-id")


def check_endpoint(endpoint: URL, auth: Authenticator, allow_insecure_http: bool) -> None:
    """Refuse an endpoint that would expose credentials."""
    if endpoint.scheme not in ("http", "https") or not endpoint.host:
        raise ConfigurationError(f"endpoint must be an http(s) URL, got {str(endpoint)!r}")
    if endpoint.scheme == "http":
        if auth.needs_https:
            raise ConfigurationError("Entra ID tokens are only sent over https")
        if not allow_insecure_http and not _is_loopback(endpoint.host):
            raise ConfigurationError(
                f"refusing plain http to {endpoint.host}: the key would travel in clear; "
                "use https, or pass allow_insecure_http=True if you really mean it"
            )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Transport:
    """Sends requests to one endpoint's origin, spending from one shared budget."""

    def __init__(
        self,
        session: aiohttp.ClientSession,
        endpoint: URL,
        auth: Authenticator,
        budget: RequestBudget,
        policy: RetryPolicy,
    ) -> None:
        self._session = session
        self._origin = endpoint.origin()
        self._auth = auth
        self._budget = budget
        self._policy = policy
        self._timeout = aiohttp.ClientTimeout(total=policy.request_timeout)

    def check_origin(self, url: URL) -> None:
        """Refuse a URL (from `operation-location` or `nextLink`) on another origin."""
        if url.origin() != self._origin:
            raise UnsafeRedirectError(
                f"the service pointed at {url.origin()}, which is not the configured endpoint "
                f"{self._origin}; no request was sent there"
            )

    async def send(
        self,
        method: str,
        url: URL,
        stats: RunStats,
        body: bytes | None = None,
        parse: Callable[[Response], T] | None = None,
    ) -> tuple[Response, T | None]:
        """Send until a final answer; return it with `parse(response)` for 2xx answers.

        Connection errors, timeouts, 5xx and bodies that `parse` rejects (ValueError) are
        retried with backoff; 429s wait as asked and are not counted as retries; 401/403 and
        an over-long `Retry-After` raise at once.
        """
        self.check_origin(url)
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        attempt = 0
        while True:
            await self._budget.acquire()
            name, value = await self._auth.header()
            headers[name] = value
            stats.requests += 1
            problem: str
            wait: float | None = None
            try:
                async with self._session.request(
                    method,
                    url,
                    data=body,
                    headers=headers,
                    timeout=self._timeout,
                    allow_redirects=False,
                ) as raw:
                    payload = await raw.read()
                    response = Response(raw.status, raw.headers, payload)
            except (aiohttp.ClientError, TimeoutError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                status = response.status
                logger.debug(
                    "%s %s -> %d (request id %s)", method, url.path, status, response.request_id
                )
                if status == 429:
                    stats.throttled += 1
                    retry_after = _retry_after(response) or DEFAULT_RETRY_AFTER
                    self._raise_if_too_long(retry_after, response)
                    self._budget.throttled(retry_after)
                    continue
                if status < 300 or (300 <= status < 500 and status not in (401, 403, 408)):
                    if parse is None or status >= 300:
                        return response, None
                    try:
                        return response, parse(response)
                    except (ValueError, KeyError, TypeError) as exc:
                        problem = f"unreadable {status} body ({type(exc).__name__})"
                elif status in (401, 403):
                    quota_wait = _retry_after(response)
                    if quota_wait is not None:
                        self._raise_if_too_long(quota_wait, response)
                    raise AuthenticationError(
                        f"the service refused the credentials: {_message(response)}",
                        status=status,
                        code=_code(response),
                        request_id=response.request_id,
                    )
                else:
                    problem = f"HTTP {status}"
                    wait = _retry_after(response)
            attempt += 1
            if attempt > self._policy.max_retries:
                raise TransportError(f"{method} {url.path} failed {attempt} times; last: {problem}")
            stats.retries += 1
            delay = self._policy.backoff(attempt)
            if wait is not None:
                delay = max(delay, wait)
            logger.debug("retrying %s %s in %.2fs after %s", method, url.path, delay, problem)
            await anyio.sleep(delay)

    def _raise_if_too_long(self, retry_after: float, response: Response) -> None:
        if retry_after > self._policy.max_retry_after:
            raise QuotaExceededError(
                f"the service asks to retry after {retry_after:.0f} s, longer than the "
                f"{self._policy.max_retry_after:.0f} s the client waits: {_message(response)}",
                status=response.status,
                code=_code(response),
                request_id=response.request_id,
            )


def raise_for_submit(response: Response) -> None:
    """Turn a submit's non-202 answer that stops everything into an exception."""
    if response.status == 404:
        raise EndpointError(
            "the endpoint does not serve this API (404); check the endpoint and api_version",
            status=404,
            code=_code(response),
            request_id=response.request_id,
        )


def _retry_after(response: Response) -> float | None:
    value = response.headers.get("Retry-After")
    if value is None:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        return None


def error_object(response: Response) -> dict[str, object]:
    """The `error` object of an error body, or an empty dict."""
    try:
        data = orjson.loads(response.body)
    except orjson.JSONDecodeError:
        return {}
    error = data.get("error") if isinstance(data, dict) else None
    return error if isinstance(error, dict) else {}


def _message(response: Response) -> str:
    message = error_object(response).get("message")
    return str(message) if message else f"HTTP {response.status}"


def _code(response: Response) -> str | None:
    code = error_object(response).get("code")
    return str(code) if code is not None else None
