"""`Emulator`: the emulated service running on a local port, plus a foreign origin."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Collection, Sequence
from types import TracebackType
from typing import Any, Self

from aiohttp import web

from .app import EmulatorService
from .config import DEFAULT_PROJECTS, Faults, Project, RateLimit, Timing


class Emulator:
    """A local stand-in for an Azure AI Language resource.

    Use it as an async context manager (or call `start()` / `stop()`)::

        async with Emulator(port=0) as emu:
            ...  # talk to emu.endpoint with the key emu.key

    A result page holds `page_size` documents unless the GET asks for more (`top`), up to
    `top_limit`. `outages` are (start, seconds) pairs, start counted from the first job: the service
    stops listening for that long and comes back empty (see `outage()`).
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        key: str | None = "emulator-key",
        bearer_tokens: Collection[str] = (),
        projects: Sequence[Project] = DEFAULT_PROJECTS,
        rate_limit: RateLimit | None = RateLimit(),  # noqa: B008 - immutable
        timing: Timing = Timing(),  # noqa: B008 - immutable
        faults: Faults = Faults(),  # noqa: B008 - immutable
        seed: int = 0,
        page_size: int = 20,
        top_limit: int = 50,
        retention_seconds: float = 86400.0,
        outages: Sequence[tuple[float, float]] = (),
    ) -> None:
        self.host = host
        self.port = port
        self.key = key
        self.service = EmulatorService(
            key=key,
            bearer_tokens=bearer_tokens,
            projects=projects,
            rate_limit=rate_limit,
            timing=timing,
            faults=faults,
            seed=seed,
            page_size=page_size,
            top_limit=top_limit,
            retention_seconds=retention_seconds,
        )
        for start, seconds in outages:
            if start < 0 or seconds <= 0:
                raise ValueError("an outage needs a start >= 0 and a positive length")
        self._outages = tuple(sorted(outages))
        self._outage_task: asyncio.Task[None] | None = None
        self.outages_served = 0
        """Outages that have begun."""
        self._runners: list[web.AppRunner] = []
        self._endpoint: str | None = None
        self._foreign_endpoint: str | None = None

    @property
    def endpoint(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:8000`` (no trailing slash)."""
        if self._endpoint is None:
            raise RuntimeError("the emulator is not running")
        return self._endpoint

    @property
    def foreign_endpoint(self) -> str:
        """Another origin served by the emulator; it records what reaches it."""
        if self._foreign_endpoint is None:
            raise RuntimeError("the emulator is not running")
        return self._foreign_endpoint

    def stats(self) -> dict[str, Any]:
        """What the emulator served (same JSON as ``GET /_emulator/stats``)."""
        return self.service.stats_json()

    def reset(self) -> None:
        """Forget jobs, counters and the rate window (as ``POST /_emulator/reset``)."""
        self.service.reset()

    async def start(self) -> None:
        """Start listening on the configured host and port (and on a foreign port)."""
        if self._runners:
            raise RuntimeError("the emulator is already running")
        try:
            self._endpoint = await self._serve(self.service.application(), self.port)
            self._foreign_endpoint = await self._serve(self.service.foreign_application(), 0)
        except BaseException:
            await self.stop()
            raise
        self.service.foreign_endpoint = self._foreign_endpoint
        if self._outages:
            self._outage_task = asyncio.create_task(self._scheduled_outages())

    async def outage(self, seconds: float) -> None:
        """Be unreachable for `seconds`: stop listening (open connections are closed), forget
        every job, then listen again on the same port, as a service that restarts empty."""
        if not self._runners:
            raise RuntimeError("the emulator is not running")
        self.outages_served += 1
        runner = self._runners[0]
        port = runner.addresses[0][1]
        await runner.cleanup()
        self.service.store.forget()
        await asyncio.sleep(seconds)
        replacement = await self._runner(self.service.application(), port)
        self._runners[0] = replacement

    async def _scheduled_outages(self) -> None:
        store = self.service.store
        await store.first_job.wait()
        started = asyncio.get_running_loop().time()
        for start, seconds in self._outages:
            await asyncio.sleep(max(0.0, started + start - asyncio.get_running_loop().time()))
            await self.outage(seconds)

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        if self._outage_task is not None:
            self._outage_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._outage_task
            self._outage_task = None
        runners, self._runners = self._runners, []
        for runner in reversed(runners):
            await runner.cleanup()
        self._endpoint = self._foreign_endpoint = None
        self.service.foreign_endpoint = None

    async def _serve(self, app: web.Application, port: int) -> str:
        runner = await self._runner(app, port)
        self._runners.append(runner)
        bound_port = runner.addresses[0][1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{bound_port}"

    async def _runner(self, app: web.Application, port: int) -> web.AppRunner:
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        try:
            await web.TCPSite(runner, self.host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        return runner

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()
