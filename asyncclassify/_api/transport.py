"""The one place that sends HTTP: credentials, origin checks, one attempt per call.

Retrying, waiting and deciding belong to the job runner and the pacer; `EndpointSender.send`
makes exactly one attempt, so every attempt is counted and paced. What carries a request is a
transport (`AsyncTransport`): aiohttp for the service (`AiohttpTransport`; its own silent retry
of an idempotent request on a reused connection is turned off), or a function for tests and
simulations (`MockTransport`), so that the client's own code runs without sockets.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import aiohttp
from yarl import URL

from .._errors import ConfigurationError, TransportError, UnsafeRedirectError
from .auth import Authenticator
from .outcomes import Response

logger = logging.getLogger("asyncclassify")


class ConnectionFailedError(TransportError):
    """One attempt got no answer: no connection, a reset, a timeout, a body cut short."""

    def __init__(self, message: str, *, connected: bool) -> None:
        super().__init__(message)
        self.connected = connected
        """False when no connection was made (refused, unknown host): the request never
        reached the service, so a submit cannot have created a job."""


def check_endpoint(endpoint: URL, auth: Authenticator, allow_insecure_http: bool) -> None:
    """Refuse an endpoint that would expose credentials."""
    if endpoint.scheme not in ("http", "https") or not endpoint.host:
        raise ConfigurationError(f"endpoint must be an http(s) URL, got {str(endpoint)!r}")
    if endpoint.scheme == "http":
        if auth.needs_https:
            raise ConfigurationError("Entra ID tokens are only sent over https")
        if not allow_insecure_http and not is_loopback(endpoint.host):
            raise ConfigurationError(
                f"refusing plain http to {endpoint.host}: the key would travel in clear; "
                "use https, or pass allow_insecure_http=True if you really mean it"
            )


def is_loopback(host: str) -> bool:
    """Whether `host` names this machine (plain http to it exposes nothing)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class _NeverRaisedError(Exception):
    pass


_CONNECT_TIMEOUT: type[Exception] = getattr(aiohttp, "ConnectionTimeoutError", _NeverRaisedError)
"""aiohttp's timeout of the connection itself (not a `ClientConnectorError`; aiohttp >= 3.10)."""


def new_session() -> aiohttp.ClientSession:
    """The session a client opens for itself: no connection limit, no silent retries."""
    session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0), raise_for_status=False)
    no_silent_retries(session)
    return session


def no_silent_retries(session: aiohttp.ClientSession) -> None:
    """Turn off aiohttp's own retry on `session` (one the caller passed in, too)."""
    if hasattr(session, "_retry_connection"):
        # Not public: aiohttp retries an idempotent request once on a reused connection that
        # broke, bypassing the budget and the counters. Every attempt must be ours to pace.
        session._retry_connection = False


@dataclass(frozen=True, slots=True)
class Request:
    """One attempt at an HTTP request, as the client makes it (its repr leaves out the
    headers, which carry the credential)."""

    method: str
    url: URL
    headers: Mapping[str, str] = field(repr=False)
    body: bytes | None
    timeout: aiohttp.ClientTimeout


class AsyncTransport(Protocol):
    """Carries one request: its response read whole, or `ConnectionFailedError`."""

    async def handle(self, request: Request) -> Response:
        """Make one attempt at `request` (never retried here)."""
        ...


class AiohttpTransport:
    """Requests over an aiohttp session (with its silent retries turned off)."""

    def __init__(self, session: aiohttp.ClientSession) -> None:
        no_silent_retries(session)
        self._session = session

    async def handle(self, request: Request) -> Response:
        """One attempt over the session."""
        try:
            async with self._session.request(
                request.method,
                request.url,
                data=request.body,
                headers=dict(request.headers),
                timeout=request.timeout,
                allow_redirects=False,
            ) as raw:
                payload = await raw.read()
                return Response(raw.status, raw.headers, payload)
        except (aiohttp.ClientConnectorError, _CONNECT_TIMEOUT) as exc:
            # Refused, unknown host, or no answer to the connection itself: nothing was sent.
            raise ConnectionFailedError(
                f"no connection to {request.url.origin()}: {type(exc).__name__}: {exc}",
                connected=False,
            ) from None
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise ConnectionFailedError(f"{type(exc).__name__}: {exc}", connected=True) from None


class MockTransport:
    """Answers every request with `handler` (an async function of the `Request`), without
    sockets: for tests, and for simulations that run the client's own code."""

    def __init__(self, handler: Callable[[Request], Awaitable[Response]]) -> None:
        self._handler = handler

    async def handle(self, request: Request) -> Response:
        """The handler's answer."""
        return await self._handler(request)


class EndpointSender:
    """Sends requests to one endpoint's origin, with the credentials, one attempt at a time."""

    def __init__(self, transport: AsyncTransport, endpoint: URL, auth: Authenticator) -> None:
        self._transport = transport
        self._origin = endpoint.origin()
        self._auth = auth
        self.answered = False
        """Whether the endpoint has ever answered (any status): until then, a refused
        connection is more likely a wrong endpoint than an outage."""
        self.first_attempt_at: float | None = None
        """When the first attempt left (on the caller's clock), for the first-contact limit."""

    @property
    def origin(self) -> URL:
        """Scheme, host and port of the endpoint."""
        return self._origin

    def check_origin(self, url: URL) -> None:
        """Refuse a URL (from `operation-location` or `nextLink`) on another origin."""
        if url.origin() != self._origin:
            raise UnsafeRedirectError(
                f"the service pointed at {url.origin()}, which is not the configured endpoint "
                f"{self._origin}; no request was sent there"
            )

    async def send(
        self, method: str, url: URL, body: bytes | None = None, *, limits: aiohttp.ClientTimeout
    ) -> Response:
        """One attempt: the response read whole, or `ConnectionFailedError`."""
        self.check_origin(url)
        headers = {"Accept": "application/json"}
        if body is not None:
            headers["Content-Type"] = "application/json"
        name, value = await self._auth.header()
        headers[name] = value
        response = await self._transport.handle(Request(method, url, headers, body, limits))
        self.answered = True
        logger.debug(
            "%s %s -> %d (request id %s)", method, url.path, response.status, response.request_id
        )
        return response
