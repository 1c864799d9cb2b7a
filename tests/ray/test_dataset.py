"""`asyncclassify.ray.classify_dataset` on a local Ray cluster, against two emulated resources:
one row per input row, every answer the model's, the work spread over both."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anyio
import anyio.to_thread
import pytest

import asyncclassify as ac
from asyncclassify.emulator import Emulator

from ..resilience.conftest import ENTITIES, FAST, SINGLE, corpus, expected

ray = pytest.importorskip("ray")

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        yield
    finally:
        ray.shutdown()


@pytest.fixture
async def resources() -> AsyncIterator[tuple[list[ac.Resource], list[Emulator]]]:
    async with Emulator(timing=FAST) as one, Emulator(timing=FAST, seed=1) as other:
        emulators = [one, other]
        yield (
            [
                ac.Resource(emu.endpoint, emu.key or "", 100_000, rate_window=1.0, name=f"r{n}")
                for n, emu in enumerate(emulators)
            ],
            emulators,
        )


async def _classified(items: list[dict[str, Any]], *tasks: ac.Task, **options: Any) -> Any:
    """Every output row of `classify_dataset` over `items` (run off the event loop, which
    keeps serving the emulators)."""
    from asyncclassify.ray import classify_dataset

    labelled = classify_dataset(
        ray.data.from_items(items),
        *tasks,
        batch_size=100,
        pacing=ac.Pacing(first_poll=0.02),
        **options,
    )
    with anyio.fail_after(120):
        return await anyio.to_thread.run_sync(labelled.take_all)


@pytest.mark.usefixtures("cluster")
async def test_every_row_gets_the_models_answers_from_both_resources(
    resources: tuple[list[ac.Resource], list[Emulator]],
) -> None:
    given, emulators = resources
    documents = corpus(1_500)
    items: list[dict[str, Any]] = [{"id": doc_id, "text": text} for doc_id, text in documents]
    items.append({"id": "empty", "text": None})  # a row that cannot be sent still comes back
    rows = await _classified(items, SINGLE, ENTITIES, resources=given, names=["route", "loans"])
    by_id = {row["id"]: row for row in rows}
    assert len(rows) == len(by_id) == len(items)
    for doc_id, text in documents:
        row = by_id[doc_id]
        assert row["route_error"] is None, row
        assert row["loans_error"] is None, row
        single = expected(SINGLE, text)
        assert row["route"] == single.labels[0].category
        assert row["route_confidence"] == single.labels[0].confidence
        entities = expected(ENTITIES, text).entities
        assert [entity["text"] for entity in row["loans"]] == [e.text for e in entities]
        assert [entity["offset"] for entity in row["loans"]] == [e.offset for e in entities]
    assert by_id["empty"]["route"] is None
    assert by_id["empty"]["route_error"].startswith("InvalidInput")
    # Which actor takes which block is Ray's to say: the jobs may all be one actor's.
    created = [emu.stats()["jobs_created"] for emu in emulators]
    assert sum(created) >= (len(items) - 1) // 25, created


@pytest.mark.usefixtures("cluster")
async def test_one_actor_spreads_its_jobs_over_both_resources(
    resources: tuple[list[ac.Resource], list[Emulator]],
) -> None:
    given, emulators = resources
    documents = corpus(1_000)
    items = [{"id": doc_id, "text": text} for doc_id, text in documents]
    rows = await _classified(items, SINGLE, resources=given, actors=1)
    assert sorted(row["id"] for row in rows) == sorted(doc_id for doc_id, _ in documents)
    assert all(row[SINGLE.project + "_error"] is None for row in rows)
    created = [emu.stats()["jobs_created"] for emu in emulators]
    assert all(jobs > 0 for jobs in created), created


@pytest.mark.usefixtures("cluster")
async def test_every_row_is_answered_when_one_resource_refuses_every_actor(
    resources: tuple[list[ac.Resource], list[Emulator]],
) -> None:
    (good, refusing), emulators = resources
    refusing = dataclasses.replace(refusing, credential="stale-key")
    documents = corpus(1_000)
    items = [{"id": doc_id, "text": text} for doc_id, text in documents]
    # Two actors: each one drains the refusing resource and sends its jobs to the good one.
    rows = await _classified(items, SINGLE, resources=[good, refusing], actors=2)
    assert sorted(row["id"] for row in rows) == sorted(doc_id for doc_id, _ in documents)
    assert [row for row in rows if row[SINGLE.project + "_error"] is not None] == []
    assert emulators[0].stats()["jobs_created"] >= len(documents) // 25
    assert emulators[1].stats()["jobs_created"] == 0
