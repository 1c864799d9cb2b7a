"""A client whose life follows a web application's: opened at start-up, closed at shutdown.

One client per application (per process) lets `Client.classify_one()` / `classify_many()`
pack the documents of concurrent requests into shared jobs. With aiohttp::

    from aiohttp import web
    import asyncclassify
    from asyncclassify.web import client_context, overload_middleware

    CLIENT = web.AppKey("client", asyncclassify.Client)
    TASK = asyncclassify.SingleLabel("support", "prod")

    async def classify(request: web.Request) -> web.Response:
        texts = (await request.json())["texts"]
        results = await request.app[CLIENT].classify_many(texts, TASK)
        return web.json_response({"labels": [r.labels[0].category for r in results]})

    app = web.Application(middlewares=[overload_middleware])
    app.cleanup_ctx.append(client_context(CLIENT, endpoint, key))
    app.router.add_post("/classify", classify)

With FastAPI or Starlette, open the client in the lifespan and map `OverloadedError` to 503::

    @contextlib.asynccontextmanager
    async def lifespan(app):
        async with asyncclassify.Client(endpoint, key) as client:
            app.state.client = client
            yield

    app = FastAPI(lifespan=lifespan)

    @app.exception_handler(asyncclassify.OverloadedError)
    async def overloaded(request, exc):
        return JSONResponse({"error": str(exc)}, status_code=503, headers={"Retry-After": "1"})
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from aiohttp import web
from aiohttp.typedefs import Handler

from ._client import Client
from ._errors import OverloadedError

__all__ = ["RETRY_AFTER", "client_context", "overload_middleware"]

RETRY_AFTER = "1"
"""Seconds an overloaded server asks callers to wait (the `Retry-After` of its 503s)."""


def client_context(
    app_key: web.AppKey[Client], *args: Any, **client_kwargs: Any
) -> Callable[[web.Application], AsyncIterator[None]]:
    """An aiohttp `cleanup_ctx` entry: `Client(*args, **client_kwargs)` stored under `app_key`
    while the application runs, closed (its calls stopped, its session closed) at shutdown."""

    async def context(app: web.Application) -> AsyncIterator[None]:
        async with Client(*args, **client_kwargs) as client:
            app[app_key] = client
            yield

    return context


@web.middleware
async def overload_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Answer 503 with `Retry-After` when a handler meets `OverloadedError`."""
    try:
        return await handler(request)
    except OverloadedError as exc:
        return web.Response(
            body=orjson.dumps({"error": "overloaded", "message": str(exc)}),
            status=503,
            content_type="application/json",
            headers={"Retry-After": RETRY_AFTER},
        )
