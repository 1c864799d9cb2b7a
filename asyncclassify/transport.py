"""What carries the client's requests, for tests and simulations: `Client(transport=...)`.

`MockTransport(handler)` answers every request with an async function of the `Request`,
without sockets (as httpx's `MockTransport` does); the client's retries, pacing and result
assembly all run as they would against the service. A handler returns a `Response` (the
status, headers and body read whole) or raises `ConnectionFailedError` for an attempt that
got no answer.
"""

from ._api.outcomes import Response
from ._api.transport import (
    AiohttpTransport,
    AsyncTransport,
    ConnectionFailedError,
    MockTransport,
    Request,
)

__all__ = [
    "AiohttpTransport",
    "AsyncTransport",
    "ConnectionFailedError",
    "MockTransport",
    "Request",
    "Response",
]
