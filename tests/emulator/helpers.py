"""Raw-HTTP helpers for the emulator's tests."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
import anyio
import orjson

from asyncclassify.emulator import Emulator

MODERN_JOBS = "/language/analyze-text/jobs"
TERMINAL = {"succeeded", "partiallyCompleted", "failed", "cancelled"}


def documents(count: int, text: str = "My invoice is wrong", **extra: str) -> list[dict[str, str]]:
    """`count` documents with ids "0".."count-1"."""
    return [{"id": str(i), "text": f"{text} {i}", "language": "en", **extra} for i in range(count)]


def modern_task(kind: str = "single", **parameters: Any) -> dict[str, Any]:
    """A modern task against one of the default projects."""
    names = {
        "single": ("CustomSingleLabelClassification", "support"),
        "multi": ("CustomMultiLabelClassification", "genres"),
        "entities": ("CustomEntityRecognition", "loans"),
    }
    task_kind, project = names[kind]
    params = {"projectName": project, "deploymentName": "prod", **parameters}
    return {"kind": task_kind, "taskName": kind, "parameters": params}


def modern_body(docs: list[dict[str, str]], *tasks: dict[str, Any]) -> dict[str, Any]:
    """A modern submit body (single-label task unless tasks are given)."""
    return {"analysisInput": {"documents": docs}, "tasks": list(tasks) or [modern_task()]}


async def eventually(check: Callable[[], Awaitable[bool]], within: float = 2) -> None:
    """Poll `check` until it holds (failing after `within` seconds)."""
    with anyio.fail_after(within):
        while True:
            if await check():
                return
            await anyio.sleep(0.01)


class Client:
    """A thin raw-HTTP client for one emulator."""

    def __init__(self, emulator: Emulator, session: aiohttp.ClientSession) -> None:
        self.emulator = emulator
        self.session = session
        self.headers = {"Ocp-Apim-Subscription-Key": emulator.key or ""}

    async def request(
        self,
        method: str,
        url: str,
        *,
        body: Any = None,
        raw: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, Any, aiohttp.ClientResponse]:
        """Send a request; returns status, parsed JSON body (or None) and the response."""
        if not url.startswith("http"):
            url = self.emulator.endpoint + url
        data = raw if raw is not None else (orjson.dumps(body) if body is not None else None)
        send_headers = dict(self.headers if headers is None else headers)
        if data is not None:
            send_headers["Content-Type"] = "application/json"
        async with self.session.request(method, url, data=data, headers=send_headers) as response:
            content = await response.read()
            parsed = orjson.loads(content) if content else None
            return response.status, parsed, response

    async def submit(self, body: Any, api_version: str = "2023-04-01") -> str:
        """Submit a modern job; returns its operation-location."""
        status, _, response = await self.request(
            "POST", f"{MODERN_JOBS}?api-version={api_version}", body=body
        )
        assert status == 202
        return response.headers["operation-location"]

    async def submit_legacy(self, body: Any, version: str = "v3.2-preview.2") -> str:
        """Submit a legacy job; returns its operation-location."""
        status, _, response = await self.request(
            "POST", f"/text/analytics/{version}/analyze", body=body
        )
        assert status == 202, response
        return response.headers["operation-location"]

    async def get(self, url: str) -> dict[str, Any]:
        """GET a job page that must answer 200."""
        status, body, _ = await self.request("GET", url)
        assert status == 200, body
        assert isinstance(body, dict)
        return body

    async def wait(
        self, url: str, statuses: set[str] = TERMINAL, within: float = 5
    ) -> dict[str, Any]:
        """Poll `url` until the job's status is in `statuses`."""
        with anyio.fail_after(within):
            while True:
                job = await self.get(url)
                if job["status"] in statuses:
                    return job
                await anyio.sleep(0.005)
