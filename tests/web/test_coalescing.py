"""Many concurrent small calls share jobs; each caller gets exactly its own results."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import anyio
import pytest

import asyncclassify as ac
from asyncclassify.emulator import Timing

from ..waiting import client_tasks, wait_until
from .conftest import (
    MULTI,
    SINGLE,
    client_for,
    expected_multi,
    expected_single,
    fast_emulator,
    text_for,
)

pytestmark = pytest.mark.anyio

CALLERS = 500
BATCH = 25
MARGIN = 3
"""Partly filled jobs allowed beyond the full ones (a linger may run out between arrivals)."""


async def test_500_callers_share_full_jobs() -> None:
    async with fast_emulator() as emu, client_for(emu) as client:
        answers: dict[int, ac.Result] = {}

        async def caller(number: int) -> None:
            # Every caller uses the same id: ids need only be unique within one call.
            answers[number] = await client.classify_one(("ticket", text_for(number)), SINGLE)

        with anyio.fail_after(20):
            async with anyio.create_task_group() as group:
                for number in range(CALLERS):
                    group.start_soon(caller, number)

        assert len(answers) == CALLERS
        for number, result in answers.items():
            assert result.id == "ticket"
            assert result.index == 0
            assert result.ok, result.error
            assert result.labels == expected_single(text_for(number))
        stats = emu.stats()
        assert stats["documents_received"] == CALLERS
        assert stats["jobs_created"] <= math.ceil(CALLERS / BATCH) + MARGIN
        assert client.coalesced_pending == 0


async def test_classify_many_keeps_each_callers_order_ids_and_errors() -> None:
    async with fast_emulator() as emu, client_for(emu) as client:
        calls: dict[int, list[Any]] = {}
        answers: dict[int, list[ac.Result]] = {}

        async def caller(number: int) -> None:
            size = 1 + number % 3
            documents: list[Any] = [(f"d{i}", text_for(number * 3 + i)) for i in range(size)]
            if number % 10 == 0:
                documents.append(("d-empty", "   "))  # this caller's own bad input
            if number % 10 == 5:
                documents.append(documents[0])  # a repeated id within one call
            calls[number] = documents
            answers[number] = await client.classify_many(documents, SINGLE, MULTI)

        with anyio.fail_after(20):
            async with anyio.create_task_group() as group:
                for number in range(100):
                    group.start_soon(caller, number)

        for number, documents in calls.items():
            results = answers[number]
            assert [r.id for r in results] == [doc_id for doc_id, _ in documents]
            assert [r.index for r in results] == list(range(len(documents)))
            for result, (doc_id, text) in zip(results, documents, strict=True):
                if doc_id == "d-empty" or (result.index > 0 and doc_id == documents[0][0]):
                    assert result.error is not None
                    assert result.error.code == "InvalidInput"
                    continue
                assert result.ok, result.error
                assert result.tasks[0].labels == expected_single(text)
                assert result.tasks[1].labels == expected_multi(text)
        valid = sum(min(len(d), 1 + n % 3) for n, d in calls.items())
        assert emu.stats()["documents_received"] == valid


async def test_a_lone_caller_does_not_wait_for_a_full_job() -> None:
    async with (
        fast_emulator() as emu,
        client_for(emu, coalescing=ac.Coalescing(linger=0.03)) as client,
    ):
        answered = anyio.Event()

        async def first() -> None:
            result = await client.classify_one("my invoice was charged twice", SINGLE)
            assert result.labels == expected_single("my invoice was charged twice")
            answered.set()

        with anyio.fail_after(10):
            async with anyio.create_task_group() as group:
                group.start_soon(first)
                # Callers keep trickling in, closer together than the linger: the first
                # caller's job still leaves a linger after its document, not 25 documents later.
                for number in range(BATCH - 1):
                    if answered.is_set():
                        break
                    group.start_soon(client.classify_one, text_for(number), SINGLE)
                    await anyio.sleep(0.02)
                assert answered.is_set()


async def test_cancelled_callers_leave_the_others_alone_and_nothing_leaks() -> None:
    slow = Timing(base=0.3, per_document=0.0, jitter=0)
    async with fast_emulator(timing=slow) as emu:
        baseline = set(asyncio.all_tasks())
        answers: dict[int, ac.Result] = {}
        scopes: dict[int, anyio.CancelScope] = {}

        # Few jobs in flight: some of the cancelled callers' documents are still queued.
        with anyio.fail_after(15):
            async with client_for(
                emu, pacing=ac.Pacing(first_poll=0.02, max_jobs_in_flight=2)
            ) as client:

                async def caller(number: int) -> None:
                    with anyio.CancelScope() as scope:
                        scopes[number] = scope
                        answers[number] = await client.classify_one(
                            ("same-id", text_for(number)), SINGLE
                        )

                async with anyio.create_task_group() as group:
                    for number in range(100):
                        group.start_soon(caller, number)
                    await wait_until(lambda: emu.stats()["jobs_created"] >= 2)
                    assert client.coalesced_pending == 100
                    for number in range(0, 100, 3):  # these clients disconnect mid-flight
                        scopes[number].cancel()

                cancelled = set(range(0, 100, 3))
                assert set(answers) == set(range(100)) - cancelled
                for number, result in answers.items():
                    assert result.id == "same-id"
                    assert result.labels == expected_single(text_for(number))
                # The cancelled callers' documents were processed; their results were dropped.
                await wait_until(lambda: client.coalesced_pending == 0)
                assert emu.stats()["documents_received"] == 100
                assert client_tasks(baseline), "the shared stream runs until the client closes"
            assert not client_tasks(baseline)


async def test_overload_is_refused_at_once() -> None:
    never = Timing(base=30.0, per_document=0.0, jitter=0)
    async with fast_emulator(timing=never) as emu:
        outcomes: list[BaseException | None] = []

        async def waiting(client: ac.Client, documents: list[str]) -> None:
            try:
                await client.classify_many(documents, SINGLE)
            except ac.AsyncClassifyError as exc:
                outcomes.append(exc)
            else:
                outcomes.append(None)

        async with (
            anyio.create_task_group() as group,
            client_for(emu, coalescing=ac.Coalescing(max_pending=30)) as client,
        ):
            group.start_soon(waiting, client, [text_for(i) for i in range(BATCH)])
            for number in range(5):
                group.start_soon(waiting, client, [text_for(100 + number)])
            await wait_until(lambda: client.coalesced_pending == 30)

            with anyio.fail_after(0.5), pytest.raises(ac.OverloadedError) as refused:
                await client.classify_one("one more", SINGLE)
            assert refused.value.pending == 30
            assert refused.value.max_pending == 30
            with pytest.raises(ac.OverloadedError):
                await client.classify_many(["a", "b"], SINGLE)
            # Input that never needs the service is still answered.
            (empty,) = await client.classify_many([""], SINGLE)
            assert empty.error is not None
            assert empty.error.code == "InvalidInput"
        # Closing the client stopped the shared work: every waiting caller learns it.

        assert len(outcomes) == 6
        assert all(isinstance(outcome, ac.CallStoppedError) for outcome in outcomes)


async def test_a_rejected_key_reaches_every_caller() -> None:
    async with fast_emulator() as emu:
        baseline = set(asyncio.all_tasks())
        outcomes: list[BaseException | None] = []
        async with client_for(emu, key="not-the-key") as client:

            async def caller(number: int) -> None:
                try:
                    await client.classify_one(text_for(number), SINGLE)
                except ac.AsyncClassifyError as exc:
                    outcomes.append(exc)
                else:
                    outcomes.append(None)

            with anyio.fail_after(10):
                async with anyio.create_task_group() as group:
                    for number in range(60):
                        group.start_soon(caller, number)

            assert len(outcomes) == 60
            assert all(isinstance(outcome, ac.AuthenticationError) for outcome in outcomes)
            assert "not-the-key" not in str(outcomes[0])
            assert client.coalesced_pending == 0
            # A later call starts over, and learns the same.
            with anyio.fail_after(10), pytest.raises(ac.AuthenticationError):
                await client.classify_one("later", SINGLE)
        await wait_until(lambda: not client_tasks(baseline))


async def test_calls_need_a_task_and_check_it() -> None:
    async with fast_emulator() as emu, client_for(emu) as client:
        with pytest.raises(ac.ConfigurationError):
            await client.classify_one("text")
        with pytest.raises(ac.ConfigurationError):
            await client.classify_one("text", ac.SingleLabel())
        assert client.coalesced_pending == 0
        assert await client.classify_many([], SINGLE) == []
    with pytest.raises(ac.ConfigurationError):
        ac.Coalescing(max_pending=0)
    with pytest.raises(ac.ConfigurationError):
        ac.Coalescing(linger=-1)


async def test_closing_at_once_stops_callers_whose_shared_stream_never_began() -> None:
    async with fast_emulator() as emu:
        outcome: list[BaseException] = []

        async def caller(client: ac.Client) -> None:
            try:
                await client.classify_one("my invoice was charged twice", SINGLE)
            except ac.CallStoppedError as exc:
                outcome.append(exc)

        with anyio.fail_after(5):
            async with anyio.create_task_group() as group, client_for(emu) as client:
                group.start_soon(caller, client)
                await asyncio.sleep(0)  # the caller queues its document, starts the shared stream
                assert client.coalesced_pending == 1
                # The client closed before the shared stream's task had run at all.
        assert len(outcome) == 1
        assert client.coalesced_pending == 0
        assert emu.stats()["documents_received"] == 0
