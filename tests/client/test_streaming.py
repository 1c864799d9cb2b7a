"""Streaming: large lazy inputs in bounded memory, slow async sources, one client shared."""

from __future__ import annotations

from collections import Counter
from collections.abc import AsyncIterator, Iterator

import anyio
import pytest

import asyncclassify as ac
from asyncclassify._call.streaming import RESULT_BUFFER
from asyncclassify.emulator import RateLimit

from .conftest import EmulatorFactory, assert_model_answer, key_of, task_for

pytestmark = pytest.mark.anyio

DOCUMENTS_PER_JOB = 25


def _ticket(i: int) -> str:
    topics = ("invoice", "crash", "password", "parcel", "thanks")
    return f"Ticket {i}: a question about my {topics[i % len(topics)]}"


async def test_ten_thousand_documents_in_bounded_memory(emulator: EmulatorFactory) -> None:
    count = 10_000
    max_concurrency = 8
    consumed = 0

    def source() -> Iterator[str]:
        nonlocal consumed
        for i in range(count):
            consumed += 1
            yield _ticket(i)

    seen: Counter[str] = Counter()
    async with (
        emulator(rate_limit=RateLimit(requests=1_000_000, per_seconds=60)) as emu,
        ac.Client(
            emu.endpoint,
            key_of(emu),
            pacing=ac.Pacing(first_poll=0.01, max_jobs_in_flight=max_concurrency),
            requests_per_minute=1_000_000,
        ) as client,
    ):
        with anyio.fail_after(30):
            async with client.stream(source(), task_for("single", "2023-04-01")) as stream:
                async for result in stream:
                    assert result.ok, result.error
                    if result.index % 997 == 0:
                        assert_model_answer(result.tasks[0], _ticket(result.index))
                        # The source is read lazily: never further ahead of the results
                        # than the jobs in flight, the result buffer and two batches.
                        ahead = consumed - sum(seen.values())
                        assert ahead <= (max_concurrency + 2) * DOCUMENTS_PER_JOB + RESULT_BUFFER
                    seen[result.id] += 1
        stats = stream.stats
        served = emu.stats()

    assert len(seen) == count
    assert set(seen.values()) == {1}
    assert set(seen) == {str(i) for i in range(count)}
    assert stats.documents_ok == count
    assert 0 < stats.peak_documents_in_flight <= max_concurrency * DOCUMENTS_PER_JOB
    assert served["documents_received"] == count
    assert served["max_jobs_in_flight"] <= max_concurrency


async def test_slow_async_source_is_flushed_after_the_linger(emulator: EmulatorFactory) -> None:
    first_result = anyio.Event()
    source_finished = False

    async def source() -> AsyncIterator[str]:
        nonlocal source_finished
        for i in range(3):
            yield _ticket(i)
        # Nothing more until a result is out: only a flush of the partial batch gets one.
        await first_result.wait()
        for i in range(3, 5):
            yield _ticket(i)
        source_finished = True

    received: list[ac.Result] = []
    finished_at_first: bool | None = None
    async with (
        emulator() as emu,
        ac.Client(emu.endpoint, key_of(emu), pacing=ac.Pacing(first_poll=0.01)) as client,
    ):
        with anyio.fail_after(10):
            async with client.stream(source(), task_for("single", "2023-04-01")) as stream:
                async for result in stream:
                    if finished_at_first is None:
                        finished_at_first = source_finished
                    received.append(result)
                    first_result.set()
        stats = emu.stats()

    assert finished_at_first is False
    assert {result.index for result in received[:3]} == {0, 1, 2}
    assert sorted(result.index for result in received) == [0, 1, 2, 3, 4]
    for result in received:
        assert_model_answer(result.tasks[0], _ticket(result.index))
    assert stats["jobs_created"] == 2


async def test_async_source_with_full_batches(emulator: EmulatorFactory) -> None:
    async def source() -> AsyncIterator[dict[str, str]]:
        for i in range(130):
            yield {"id": f"doc-{i}", "text": _ticket(i)}
            if i % 10 == 0:
                await anyio.lowlevel.checkpoint()

    async with (
        emulator() as emu,
        ac.Client(emu.endpoint, key_of(emu), pacing=ac.Pacing(first_poll=0.01)) as client,
    ):
        results = await client.classify(source(), task_for("multi", "2023-04-01"))
    assert [result.id for result in results] == [f"doc-{i}" for i in range(130)]
    for result in results:
        assert_model_answer(result.tasks[0], _ticket(result.index))


async def test_one_client_shared_by_concurrent_calls(emulator: EmulatorFactory) -> None:
    calls = {
        "alpha": (task_for("single", "2023-04-01"), 60),
        "beta": (task_for("entities", "2023-04-01"), 45),
        "gamma": (task_for("multi", "2023-04-01"), 30),
    }

    def text(name: str, i: int) -> str:
        return f"{name.title()} Corp owes Anna Lee {i} dollars for ticket {i}"

    collected: dict[str, list[ac.Result]] = {}

    async def run(client: ac.Client, name: str) -> None:
        task, count = calls[name]
        inputs = [(f"{name}-{i}", text(name, i)) for i in range(count)]
        async with client.stream(inputs, task) as stream:
            collected[name] = [result async for result in stream]

    async with (
        emulator() as emu,
        ac.Client(emu.endpoint, key_of(emu), pacing=ac.Pacing(first_poll=0.01)) as client,
    ):
        with anyio.fail_after(10):
            async with anyio.create_task_group() as group:
                for name in calls:
                    group.start_soon(run, client, name)

    for name, (task, count) in calls.items():
        results = collected[name]
        assert sorted(result.id for result in results) == sorted(
            f"{name}-{i}" for i in range(count)
        )
        for result in results:
            assert result.tasks[0].task == task
            assert_model_answer(result.tasks[0], text(name, result.index))
