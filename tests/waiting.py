"""Event-driven waits shared by the test packages: on conditions, and on the client's tasks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import anyio


def client_tasks(baseline: set[asyncio.Task[Any]]) -> set[asyncio.Task[Any]]:
    """Tasks started since `baseline`, still running, that are not the emulator's server."""
    extra = set()
    for task in asyncio.all_tasks() - baseline:
        if task.done() or task is asyncio.current_task():
            continue
        code = getattr(task.get_coro(), "cr_code", None)
        filename = code.co_filename if code is not None else ""
        if "aiohttp" in filename and "web_protocol" in filename:
            continue  # a server connection kept alive for the client's session
        extra.add(task)
    return extra


async def wait_until(condition: Callable[[], bool], seconds: float = 5) -> None:
    """Wait until `condition()` holds, checked after each short pause; fail after `seconds`."""
    with anyio.fail_after(seconds):
        while True:
            if condition():
                return
            await anyio.sleep(0.002)


async def wait_for_no_client_tasks(baseline: set[asyncio.Task[Any]]) -> None:
    """Wait until every task the client started since `baseline` has ended."""
    await wait_until(lambda: not client_tasks(baseline))
