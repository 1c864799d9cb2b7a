"""A deadline for a whole call: what was read gets its results, then a clear error."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Iterator

import anyio
import pytest

import asyncclassify as ac
from asyncclassify.emulator import Emulator, Timing

from .conftest import SINGLE, check_exactly_once, corpus, fast_client

pytestmark = pytest.mark.anyio

SLOW = Timing(base=0.5, per_document=0.0, jitter=0.0)


async def _drain(stream: ac.ResultStream, into: list[ac.Result]) -> None:
    async for result in stream:
        into.append(result)


async def test_past_the_deadline_every_read_document_has_one_result() -> None:
    documents = corpus(2000)
    taken: list[tuple[str, str]] = []

    def source() -> Iterator[tuple[str, str]]:
        for document in documents:
            taken.append(document)
            yield document

    received: list[ac.Result] = []
    async with (
        Emulator(timing=SLOW, rate_limit=None) as emu,
        fast_client(
            emu.endpoint, emu.key or "", pacing=ac.Pacing(first_poll=0.02, max_jobs_in_flight=4)
        ) as client,
    ):
        with anyio.fail_after(10), pytest.raises(ac.DeadlineExceededError) as raised:
            await _drain(client.stream(source(), SINGLE, deadline=0.3), received)
        # The jobs nobody will read are cancelled on the service.
        assert emu.stats()["jobs_cancelled"] > 0

    read = raised.value.documents_read
    assert 0 < read < len(documents)
    assert read <= len(taken)
    assert sorted(result.index for result in received) == list(range(read))
    errors = check_exactly_once(
        received, documents[:read], (SINGLE,), allowed_error_codes=frozenset({"DeadlineExceeded"})
    )
    assert errors["DeadlineExceeded"] > 0


async def test_a_slow_async_source_is_not_waited_for_past_the_deadline() -> None:
    async def source() -> AsyncIterator[str]:
        for number in itertools.count():
            if number == 3:
                await anyio.sleep_forever()
            yield f"text number {number}"

    async with (
        Emulator(timing=Timing(base=0.0), rate_limit=None) as emu,
        fast_client(emu.endpoint, emu.key or "") as client,
    ):
        received: list[ac.Result] = []
        with anyio.fail_after(5), pytest.raises(ac.DeadlineExceededError) as raised:
            await _drain(client.stream(source(), SINGLE, deadline=0.5), received)
    assert raised.value.documents_read == 3
    assert sorted(result.index for result in received) == [0, 1, 2]
    assert all(result.ok for result in received)


async def test_a_call_that_finishes_in_time_is_not_affected() -> None:
    documents = corpus(60)
    async with (
        Emulator(timing=Timing(base=0.0), rate_limit=None) as emu,
        fast_client(emu.endpoint, emu.key or "") as client,
    ):
        with anyio.fail_after(10):
            results = [r async for r in client.stream(documents, SINGLE, deadline=30)]
    check_exactly_once(results, documents, (SINGLE,))
