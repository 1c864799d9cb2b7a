"""A small web service that classifies texts; concurrent requests share jobs.

    python examples/aiohttp_app.py --emulator        # against an embedded emulator
    AZURE_LANGUAGE_KEY=... python examples/aiohttp_app.py --endpoint https://NAME.cognitiveservices.azure.com

    curl -s localhost:8080/classify -d '{"texts": ["My invoice is wrong", "The app crashes"]}'
    {"results":[{"labels":[{"category":"Billing","confidenceScore":0.97}]},{"labels":[...]}]}

`POST /classify` takes `{"texts": [str, ...]}` (1 to 25 texts) and answers one entry per text,
in order: its labels, or the error that the service or the input check gave it. One client
serves the whole application; `classify_many()` packs the texts of concurrent requests into
shared jobs, so a request costs a fraction of a job instead of a job of its own. When too many
texts wait already, the answer is 503 with `Retry-After`. `--per-request` sends each request
as its own job instead (`client.classify()`), for comparison.

The first line printed is the server's base URL (useful with `--port 0`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import orjson
from aiohttp import web

import asyncclassify as ac
from asyncclassify.emulator import Emulator
from asyncclassify.web import client_context, overload_middleware

MAX_TEXTS = 25
"""Texts one request may carry."""


@dataclass(frozen=True, slots=True)
class Settings:
    """What the handler needs besides the client."""

    task: ac.Task
    coalesce: bool = True


CLIENT = web.AppKey("client", ac.Client)
SETTINGS = web.AppKey("settings", Settings)


def create_app(
    endpoint: str,
    credential: str,
    *,
    task: ac.Task | None = None,
    coalesce: bool = True,
    **client_kwargs: Any,
) -> web.Application:
    """The application: one client, opened at start-up and closed at shutdown."""
    app = web.Application(middlewares=[overload_middleware])
    app[SETTINGS] = Settings(task or ac.SingleLabel("support", "prod"), coalesce)
    app.cleanup_ctx.append(client_context(CLIENT, endpoint, credential, **client_kwargs))
    app.router.add_post("/classify", classify)
    return app


async def classify(request: web.Request) -> web.Response:
    """`{"texts": [...]}` -> `{"results": [{"labels": [...]} | {"error": {...}}, ...]}`."""
    texts = _texts(await request.read())
    if isinstance(texts, str):
        return _json({"error": "bad_request", "message": texts}, status=400)
    client = request.app[CLIENT]
    settings = request.app[SETTINGS]
    try:
        if settings.coalesce:
            results = await client.classify_many(texts, settings.task)
        else:
            results = await client.classify(texts, settings.task)
    except ac.CallStoppedError as exc:  # the server is shutting down
        return _json({"error": "unavailable", "message": str(exc)}, status=503)
    except (ac.ServiceError, ac.TransportError) as exc:
        return _json({"error": "upstream", "message": str(exc)}, status=502)
    return _json({"results": [_answer(result) for result in results]})


def _texts(body: bytes) -> list[str] | str:
    """The request's texts, or what is wrong with the request."""
    try:
        payload = orjson.loads(body)
    except orjson.JSONDecodeError:
        return "the body must be JSON"
    texts = payload.get("texts") if isinstance(payload, dict) else None
    if not isinstance(texts, list) or not all(isinstance(text, str) for text in texts):
        return 'the body must be {"texts": [str, ...]}'
    if not 1 <= len(texts) <= MAX_TEXTS:
        return f"send 1 to {MAX_TEXTS} texts"
    return texts


def _answer(result: ac.Result) -> dict[str, Any]:
    error = result.error
    if error is not None:
        return {"error": {"code": error.code, "message": error.message}}
    labels = [
        {"category": label.category, "confidenceScore": label.confidence} for label in result.labels
    ]
    return {"labels": labels}


def _json(payload: dict[str, Any], status: int = 200) -> web.Response:
    return web.Response(body=orjson.dumps(payload), status=status, content_type="application/json")


def build_parser() -> argparse.ArgumentParser:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080, help="0 picks a free port")
    target = parser.add_mutually_exclusive_group(required=True)
    target.add_argument("--emulator", action="store_true", help="start an embedded emulator")
    target.add_argument("--endpoint", help="the resource's endpoint (key: AZURE_LANGUAGE_KEY)")
    parser.add_argument("--api-version", default=ac.DEFAULT_API_VERSION)
    parser.add_argument("--project", default="support")
    parser.add_argument("--deployment", default="prod")
    parser.add_argument(
        "--per-request", action="store_true", help="one job per request (no coalescing)"
    )
    parser.add_argument("--linger", type=float, default=0.03, help="seconds (Coalescing.linger)")
    parser.add_argument("--max-pending", type=int, default=5000, help="texts waiting at most")
    parser.add_argument("--requests-per-minute", type=int, default=1000)
    parser.add_argument("--rate-window", type=float, default=60.0, help="seconds")
    parser.add_argument("--first-poll", type=float, default=1.0, help="seconds")
    parser.add_argument(
        "--shutdown-timeout",
        type=float,
        default=10.0,
        help="seconds requests under way may take to finish at shutdown",
    )
    return parser


async def serve(args: argparse.Namespace) -> None:
    """Serve until SIGINT or SIGTERM, announcing the base URL on stdout."""
    async with contextlib.AsyncExitStack() as stack:
        if args.emulator:
            emulator = await stack.enter_async_context(Emulator())
            endpoint, key = emulator.endpoint, emulator.key or ""
        else:
            endpoint, key = args.endpoint, os.environ.get("AZURE_LANGUAGE_KEY", "")
        app = create_app(
            endpoint,
            key,
            task=ac.SingleLabel(args.project, args.deployment),
            coalesce=not args.per_request,
            api_version=args.api_version,
            coalescing=ac.Coalescing(linger=args.linger, max_pending=args.max_pending),
            requests_per_minute=args.requests_per_minute,
            rate_window=args.rate_window,
            pacing=ac.Pacing(first_poll=args.first_poll),
        )
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=args.shutdown_timeout)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        await web.TCPSite(runner, args.host, args.port).start()
        host, port = runner.addresses[0][:2]
        print(f"http://{host}:{port}", flush=True)
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signum, stop.set)
        await stop.wait()


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        asyncio.run(serve(args))
    except (OSError, ac.ConfigurationError) as exc:
        print(f"aiohttp_app: error: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
