"""`Emulator`: the emulated service running on a local port, plus a foreign origin."""

from __future__ import annotations

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
        retention_seconds: float = 86400.0,
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
            retention_seconds=retention_seconds,
        )
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

    async def stop(self) -> None:
        """Stop listening and close open connections."""
        runners, self._runners = self._runners, []
        for runner in reversed(runners):
            await runner.cleanup()
        self._endpoint = self._foreign_endpoint = None
        self.service.foreign_endpoint = None

    async def _serve(self, app: web.Application, port: int) -> str:
        runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=0.5)
        await runner.setup()
        self._runners.append(runner)
        site = web.TCPSite(runner, self.host, port)
        await site.start()
        bound_port = runner.addresses[0][1]
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{bound_port}"

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
