"""Every task kind in every API dialect gives the emulator model's exact answers."""

from __future__ import annotations

import pytest

import asyncclassify as ac
from asyncclassify.emulator.model import recognize_entities

from .conftest import (
    PROJECTS,
    EmulatorFactory,
    assert_model_answer,
    expected_entities,
    key_of,
    task_for,
)

pytestmark = pytest.mark.anyio

CORPUS = (
    "My invoice is wrong, I was charged twice",
    "The app crashes when I open the settings page",
    "Loan for Maria Garcia of $1,200 due 12 March 2024",
    "👩\u200d👩\u200d👧 family account: José Núñez sent 300 EUR to anna@example.com",
    "Cafe\u0301 owner Zoë Ångström 🇫🇷 paid 45 dollars",
    "東京銀行 approved 500 yen for 山田太郎 on Friday",
    "e\u0301e\u0301 Rene\u0301e Dubois owes 70 euros",
    "👍🏽👍🏽 Thanks, Olga Petrova! A funny and touching romance",
)
"""Short documents: ASCII tickets, and NER text with ZWJ emoji, flags, skin tones,
combining marks and CJK before its entities."""

KINDS = ("single", "multi", "entities")
PAGE_SIZE = 3


def test_corpus_tells_the_units_apart() -> None:
    # Otherwise a client asking for the wrong string index type could pass unnoticed.
    categories = PROJECTS["entities"].labels
    for unit in ("Utf16CodeUnit", "TextElements_v8"):
        differ = [
            text
            for text in CORPUS
            if [(e.offset, e.length) for e in recognize_entities(text, categories, unit)]
            != [(e.offset, e.length) for e in expected_entities(text)]
        ]
        assert len(differ) >= 3, unit
    assert sum(len(expected_entities(text)) for text in CORPUS) >= 10


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("api_version", ac.API_VERSIONS)
async def test_each_kind_matches_the_model(
    emulator: EmulatorFactory, api_version: str, kind: str
) -> None:
    async with (
        emulator(page_size=PAGE_SIZE) as emu,
        ac.Client(
            emu.endpoint, key_of(emu), api_version=api_version, pacing=ac.Pacing(first_poll=0.02)
        ) as client,
    ):
        task = task_for(kind, api_version)
        results = await client.classify(list(CORPUS), task)
        stats = emu.stats()

    assert [result.index for result in results] == list(range(len(CORPUS)))
    assert [result.id for result in results] == [str(i) for i in range(len(CORPUS))]
    for result, text in zip(results, CORPUS, strict=True):
        assert result.ok, result.error
        assert len(result.tasks) == 1
        assert result.tasks[0].task == task
        assert_model_answer(result.tasks[0], text)
    if kind == "single":
        assert all(len(result.labels) == 1 for result in results)
    # One job of 8 documents whose first page holds 3: the rest came through the next link.
    assert stats["jobs_created"] == 1
    assert stats["job_gets"] >= 2


@pytest.mark.parametrize("api_version", ac.API_VERSIONS)
async def test_several_tasks_in_one_job(emulator: EmulatorFactory, api_version: str) -> None:
    tasks = [task_for(kind, api_version) for kind in ("entities", "single", "multi")]
    async with (
        emulator(page_size=PAGE_SIZE) as emu,
        ac.Client(
            emu.endpoint, key_of(emu), api_version=api_version, pacing=ac.Pacing(first_poll=0.02)
        ) as client,
    ):
        results = await client.classify(list(CORPUS), *tasks)
        stats = emu.stats()

    assert stats["jobs_created"] == 1
    assert len(results) == len(CORPUS)
    for result, text in zip(results, CORPUS, strict=True):
        assert result.ok, result.error
        assert [outcome.task for outcome in result.tasks] == tasks
        for outcome in result.tasks:
            assert_model_answer(outcome, text)
        assert result.entities == result.tasks[0].entities


@pytest.mark.parametrize("api_version", ["2023-04-01", "v3.2-preview.2", "v3.1-preview.ct.1"])
async def test_pages_of_many_jobs_are_merged(emulator: EmulatorFactory, api_version: str) -> None:
    # 60 documents: jobs of 25, 25 and 10, each read back in pages of 4.
    texts = [f"{CORPUS[i % len(CORPUS)]} #{i}" for i in range(60)]
    tasks = [task_for("single", api_version), task_for("entities", api_version)]
    async with (
        emulator(page_size=4) as emu,
        ac.Client(
            emu.endpoint, key_of(emu), api_version=api_version, pacing=ac.Pacing(first_poll=0.02)
        ) as client,
    ):
        results = await client.classify(texts, *tasks)
        stats = emu.stats()

    assert stats["jobs_created"] == 3
    assert stats["documents_received"] == 60
    assert len(results) == 60
    for result, text in zip(results, texts, strict=True):
        assert result.ok, result.error
        for outcome in result.tasks:
            assert_model_answer(outcome, text)
