"""The emulator's answers as the service writes them: its headers, a 202 with its
operation-location, an error body, a connection dropped or a body cut short."""

from __future__ import annotations

import asyncio
import socket
import struct
import time
import uuid

from aiohttp import web

from . import errors
from .config import MAX_BODY_BYTES
from .errors import ServiceError

BACKEND_HEADERS = {
    "Content-Type": "application/json; charset=utf-8",
    "x-ms-region": "West US 2",
    "Strict-Transport-Security": "max-age=31536000; includeSubDomains; preload",
    "X-Content-Type-Options": "nosniff",
}
GATEWAY_HEADERS = {"Content-Type": "application/json"}


class DropConnectionError(Exception):
    """Raised by a handler to end the connection without an answer."""

    def __init__(self, *, reset: bool) -> None:
        super().__init__("connection dropped")
        self.reset = reset


class Dropped(web.Response):
    """The placeholder returned for a dropped connection (it is never written)."""


def now() -> float:
    """The event loop's clock."""
    return asyncio.get_running_loop().time()


def origin_of(request: web.Request) -> str:
    """Scheme and host the request came to."""
    return f"{request.scheme}://{request.host}"


def backend_headers(started: float | None = None) -> dict[str, str]:
    """The headers of an answer from the service's backend (a request id each)."""
    headers = dict(BACKEND_HEADERS)
    headers["apim-request-id"] = str(uuid.uuid4())
    elapsed = 0 if started is None else int((time.perf_counter() - started) * 1000)
    headers["x-envoy-upstream-service-time"] = str(elapsed)
    return headers


def json_response(status: int, body: bytes) -> web.Response:
    """A JSON answer with the backend's headers."""
    return web.Response(status=status, body=body, headers=backend_headers())


def accepted(location: str) -> web.Response:
    """A 202 naming the job's status URL."""
    headers = backend_headers()
    del headers["Content-Type"]
    headers["operation-location"] = location
    return web.Response(status=202, headers=headers)


def error_response(exc: ServiceError, started: float) -> web.Response:
    """The answer for `exc`, as the gateway or the backend writes it."""
    if exc.gateway:
        headers = dict(GATEWAY_HEADERS)
        headers["apim-request-id"] = str(uuid.uuid4())
    else:
        headers = backend_headers(started)
        headers["x-ms-error-code"] = exc.code
    headers.update(exc.headers)
    return web.Response(status=exc.status, body=exc.body(), headers=headers)


def too_large(size: int) -> ServiceError:
    """The 413 of a body past the limit."""
    return errors.invalid_request(
        "Request Entity Too Large.",
        "InvalidDocumentBatch",
        f"The request body is {size} bytes; the limit is {MAX_BODY_BYTES} bytes.",
        status=413,
    )


def drop_connection(request: web.Request, *, reset: bool) -> web.Response:
    """Close the request's connection at once (with a TCP reset when `reset`)."""
    transport = request.transport
    if transport is not None:
        if reset:
            sock = transport.get_extra_info("socket")
            if sock is not None:
                sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            transport.abort()
        else:
            transport.close()
    return Dropped(status=599)


async def truncated(request: web.Request, body: bytes) -> web.StreamResponse:
    """Send the headers and half the body, then close the connection mid-body."""
    response = web.StreamResponse(status=200, headers=backend_headers())
    response.content_length = len(body)
    await response.prepare(request)
    await response.write(body[: len(body) // 2])
    if request.transport is not None:
        request.transport.close()
    return response
