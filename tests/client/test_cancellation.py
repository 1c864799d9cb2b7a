"""Leaving early (break, cancel, aclose) stops every task, and remote jobs when asked: at once
when the stream is left through `async with` or `aclose()`, at the client's close otherwise
(its calls run in its task group)."""

from __future__ import annotations

import asyncio
from typing import Any

import anyio
import pytest

import asyncclassify as ac
from asyncclassify.emulator import Emulator, Timing

from ..waiting import client_tasks, wait_for_no_client_tasks, wait_until
from .conftest import (
    EmulatorFactory,
    key_of,
    task_for,
)

pytestmark = pytest.mark.anyio

SLOW = Timing(base=30.0, per_document=0.0, jitter=0)
"""Jobs that are still running whenever the caller leaves."""
JOBS = 3

# The first document is rejected at once, so a result is out while the jobs still run.
INPUTS = ["", *(f"Ticket {i}: my invoice is wrong" for i in range(JOBS * 25))]


def _client(emu: Emulator, api_version: str = "2023-04-01") -> ac.Client:
    return ac.Client(
        emu.endpoint, key_of(emu), api_version=api_version, pacing=ac.Pacing(first_poll=0.02)
    )


async def _jobs_running(emu: Emulator) -> None:
    await wait_until(lambda: emu.stats()["jobs_created"] >= JOBS)


def _baseline() -> set[asyncio.Task[Any]]:
    return set(asyncio.all_tasks())


@pytest.mark.parametrize("cancel_remote", [True, False])
async def test_a_stream_left_open_stops_when_the_client_closes(
    emulator: EmulatorFactory, cancel_remote: bool
) -> None:
    async with emulator(timing=SLOW) as emu:
        baseline = _baseline()
        async with _client(emu) as client:
            task = task_for("single", "2023-04-01")
            async for result in client.stream(INPUTS, task, cancel_remote=cancel_remote):
                assert result.index == 0
                await _jobs_running(emu)
                break
            assert client_tasks(baseline)  # the call is the client's until it closes
        # Leaving the client waited for its calls, remote cancels included.
        assert client_tasks(baseline) == set()
        cancelled = emu.stats()["jobs_cancelled"]
        assert cancelled > 0 if cancel_remote else cancelled == 0


@pytest.mark.parametrize("cancel_remote", [True, False])
async def test_leaving_async_with_waits_for_wind_down(
    emulator: EmulatorFactory, cancel_remote: bool
) -> None:
    async with emulator(timing=SLOW) as emu, _client(emu) as client:
        baseline = _baseline()
        task = task_for("multi", "2023-04-01")
        async with client.stream(INPUTS, task, cancel_remote=cancel_remote) as stream:
            async for _ in stream:
                await _jobs_running(emu)
                break
        # No waiting here: leaving the block waited for the call, remote cancels included.
        assert client_tasks(baseline) == set()
        cancelled = emu.stats()["jobs_cancelled"]
        assert cancelled > 0 if cancel_remote else cancelled == 0


async def test_cancel_scope_around_the_loop(emulator: EmulatorFactory) -> None:
    async with emulator(timing=SLOW) as emu, _client(emu) as client:
        baseline = _baseline()
        received = 0
        with anyio.CancelScope() as scope:
            task = task_for("entities", "2023-04-01")
            async with client.stream(INPUTS, task, cancel_remote=True) as stream:
                async for _ in stream:
                    received += 1
                    await _jobs_running(emu)
                    scope.cancel()
                    await anyio.sleep(5)  # cancelled at once
        assert scope.cancel_called
        assert received == 1
        await wait_for_no_client_tasks(baseline)
        await wait_until(lambda: emu.stats()["jobs_cancelled"] > 0)


async def test_timeout_around_async_with(emulator: EmulatorFactory) -> None:
    async with emulator(timing=SLOW) as emu, _client(emu) as client:
        baseline = _baseline()
        received: list[ac.Result] = []
        task = task_for("single", "2023-04-01")
        with anyio.move_on_after(10) as scope:
            async with client.stream(INPUTS, task, cancel_remote=True) as stream:
                async for result in stream:
                    received.append(result)
                    await _jobs_running(emu)
                    # The deadline strikes while the loop waits for the next result.
                    scope.deadline = anyio.current_time() + 0.05
        assert scope.cancelled_caught
        assert [result.index for result in received] == [0]
        assert client_tasks(baseline) == set()
        assert emu.stats()["jobs_cancelled"] > 0


async def test_aclose_stops_a_stream_still_referenced(emulator: EmulatorFactory) -> None:
    async with emulator(timing=SLOW) as emu, _client(emu) as client:
        baseline = _baseline()
        stream = client.stream(INPUTS, task_for("single", "2023-04-01"), cancel_remote=True)
        first = await stream.__anext__()
        assert first.index == 0
        await _jobs_running(emu)
        assert client_tasks(baseline)  # the call is at work
        await stream.aclose()
        assert client_tasks(baseline) == set()
        assert emu.stats()["jobs_cancelled"] > 0
        with pytest.raises(anyio.ClosedResourceError):
            await stream.__anext__()


async def test_closing_the_client_stops_its_calls(emulator: EmulatorFactory) -> None:
    async with emulator(timing=SLOW) as emu:
        baseline = _baseline()
        consumer_done = anyio.Event()
        received: list[ac.Result] = []

        async def consume(client: ac.Client) -> None:
            task = task_for("single", "2023-04-01")
            stream = client.stream(INPUTS, task, cancel_remote=True)

            async def drain() -> None:
                async for result in stream:
                    received.append(result)

            with pytest.raises(ac.CallStoppedError):
                await drain()
            consumer_done.set()

        async with anyio.create_task_group() as group:
            async with _client(emu) as client:
                group.start_soon(consume, client)
                await wait_until(lambda: bool(received))
                await _jobs_running(emu)
            # The client closed while another task still read its stream.
            with anyio.fail_after(5):
                await consumer_done.wait()
        assert [result.index for result in received] == [0]
        await wait_for_no_client_tasks(baseline)
        assert emu.stats()["jobs_cancelled"] > 0


@pytest.mark.parametrize("api_version", ["v3.2-preview.2", "v3.1-preview.ct.1"])
async def test_legacy_jobs_cannot_be_cancelled_but_the_work_stops(
    emulator: EmulatorFactory, api_version: str
) -> None:
    async with emulator(timing=SLOW) as emu, _client(emu, api_version) as client:
        baseline = _baseline()
        task = task_for("single", api_version)
        async with client.stream(INPUTS, task, cancel_remote=True) as stream:
            async for _ in stream:
                await _jobs_running(emu)
                break
        assert client_tasks(baseline) == set()
        stats = emu.stats()
        assert stats["jobs_cancelled"] == 0
        assert set(stats["requests"]) <= {"POST 202", "GET 200"}
