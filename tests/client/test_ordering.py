"""Results in completion order by default, in input order with `ordered=True`."""

from __future__ import annotations

import anyio
import pytest

import asyncclassify as ac
from asyncclassify.emulator import Timing

from .conftest import EmulatorFactory, assert_model_answer, key_of, task_for

pytestmark = pytest.mark.anyio

# Jobs take 10 ms per document: the first job (25 documents) takes 0.25 s, the second
# (the 5 left over) 0.05 s, so the second finishes well before the first.
BY_SIZE = Timing(base=0.0, per_document=0.01, jitter=0)
COUNT = 30


def _text(i: int) -> str:
    return f"Order {i} arrived damaged, refund please"


async def _run(emulator: EmulatorFactory, *, ordered: bool, inputs: list[str]) -> list[ac.Result]:
    async with (
        emulator(timing=BY_SIZE) as emu,
        ac.Client(emu.endpoint, key_of(emu), pacing=ac.Pacing(first_poll=0.02)) as client,
    ):
        with anyio.fail_after(10):
            async with client.stream(
                inputs, task_for("single", "2023-04-01"), ordered=ordered
            ) as stream:
                return [result async for result in stream]


async def test_default_order_is_completion_order(emulator: EmulatorFactory) -> None:
    inputs = [_text(i) for i in range(COUNT)]
    results = await _run(emulator, ordered=False, inputs=inputs)
    indices = [result.index for result in results]
    assert sorted(indices) == list(range(COUNT))
    assert indices != list(range(COUNT))
    # The small job's documents come out first.
    assert set(indices[: COUNT - 25]) == set(range(25, COUNT))
    for result in results:
        assert_model_answer(result.tasks[0], inputs[result.index])


async def test_ordered_gives_input_order(emulator: EmulatorFactory) -> None:
    inputs = [_text(i) for i in range(COUNT)]
    results = await _run(emulator, ordered=True, inputs=inputs)
    assert [result.index for result in results] == list(range(COUNT))
    assert [result.id for result in results] == [str(i) for i in range(COUNT)]
    for result in results:
        assert_model_answer(result.tasks[0], inputs[result.index])


async def test_ordered_keeps_rejected_documents_in_place(emulator: EmulatorFactory) -> None:
    # Bad documents get their error at once; in ordered mode they still wait their turn.
    inputs = [_text(i) if i % 7 else "" for i in range(COUNT)]
    results = await _run(emulator, ordered=True, inputs=inputs)
    assert [result.index for result in results] == list(range(COUNT))
    for result in results:
        if result.index % 7:
            assert_model_answer(result.tasks[0], inputs[result.index])
        else:
            assert result.error is not None
            assert result.error.code == "InvalidInput"


async def test_classify_is_in_input_order(emulator: EmulatorFactory) -> None:
    inputs = [(f"id-{COUNT - i}", _text(i)) for i in range(COUNT)]
    async with (
        emulator(timing=BY_SIZE) as emu,
        ac.Client(emu.endpoint, key_of(emu), pacing=ac.Pacing(first_poll=0.02)) as client,
    ):
        results = await client.classify(inputs, task_for("single", "2023-04-01"))
    assert [result.id for result in results] == [doc_id for doc_id, _ in inputs]
