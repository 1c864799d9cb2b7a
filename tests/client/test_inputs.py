"""Bad documents and failing tasks: every document gets the right result, none is lost."""

from __future__ import annotations

from typing import Any

import pytest

import asyncclassify as ac
from asyncclassify._job.mistakes import TRANSIENT_STRIKES

from .conftest import EmulatorFactory, assert_model_answer, key_of, task_for

pytestmark = pytest.mark.anyio

MAX_CHARACTERS = 125_000
SOME_VERSIONS = ["2023-04-01", "2022-04-01-preview", "v3.2-preview.2", "v3.1-preview.ct.1"]


def _client(emu: Any, api_version: str = "2023-04-01") -> ac.Client:
    return ac.Client(
        emu.endpoint, key_of(emu), api_version=api_version, pacing=ac.Pacing(first_poll=0.02)
    )


async def test_bad_inputs_get_errors_and_the_rest_succeed(emulator: EmulatorFactory) -> None:
    good = "My invoice is wrong"
    inputs: list[Any] = [
        good,  # 0: plain string, id "0"
        "",  # 1: empty
        "   \n\t",  # 2: blank
        {"id": "a", "text": "The app crashes on start"},  # 3
        {"id": "a", "text": "Another text with the same id"},  # 4: duplicate id
        {"id": "b", "text": 42},  # 5: text is not a str
        {"text": "No id at all"},  # 6: missing id
        ("c", "Shipping was late"),  # 7: (id, text) pair
        ac.Document("d", "Please close my account", "en"),  # 8
        3.5,  # 9: not a document at all
        {"id": "", "text": "Empty id"},  # 10
        {"id": 7, "text": "Integer ids are fine"},  # 11
    ]
    task = task_for("single", "2023-04-01")
    async with emulator() as emu, _client(emu) as client:
        results = await client.classify(inputs, task)
        received = emu.stats()["documents_received"]

    assert [result.index for result in results] == list(range(len(inputs)))
    assert [r.id for r in results] == [
        "0",
        "1",
        "2",
        "a",
        "a",
        "b",
        "#6",
        "c",
        "d",
        "#9",
        "#10",
        "7",
    ]
    ok = {0, 3, 7, 8, 11}
    assert {result.index for result in results if result.ok} == ok
    assert received == len(ok)  # bad documents never reach the service
    for result in results:
        if result.ok:
            continue
        error = result.error
        assert error is not None
        assert error.code == "InvalidInput"
        assert len(result.tasks) == 1
        assert result.tasks[0].task == task
    messages = {result.index: result.error.message for result in results if result.error}
    assert "empty" in messages[1]
    assert "empty" in messages[2]
    assert "duplicate id" in messages[4]
    assert "text must be a str" in messages[5]
    assert "int" in messages[5]
    assert "missing or empty id" in messages[6]
    assert "float" in messages[9]
    assert "missing or empty id" in messages[10]
    texts = {0: good, 3: "The app crashes on start", 7: "Shipping was late"}
    for index, text in texts.items():
        assert_model_answer(results[index].tasks[0], text)


async def test_duplicate_id_check_can_be_turned_off(emulator: EmulatorFactory) -> None:
    # The client sends its own wire ids, so repeated caller ids are harmless when allowed.
    inputs = [{"id": "same", "text": f"Invoice number {i} is wrong"} for i in range(3)]
    async with emulator() as emu, _client(emu) as client:
        results = await client.classify(
            inputs, task_for("single", "2023-04-01"), check_duplicate_ids=False
        )
    assert [result.id for result in results] == ["same"] * 3
    for result, item in zip(results, inputs, strict=True):
        assert_model_answer(result.tasks[0], item["text"])


@pytest.mark.parametrize("api_version", SOME_VERSIONS)
async def test_too_long_document_fails_alone(emulator: EmulatorFactory, api_version: str) -> None:
    too_long = "x" * (MAX_CHARACTERS + 1)
    texts = ["Refund my payment please", too_long, "Login does not work"]
    async with emulator() as emu, _client(emu, api_version) as client:
        results = await client.classify(texts, task_for("single", api_version))
        stats = emu.stats()

    assert [result.index for result in results] == [0, 1, 2]
    assert results[1].error is not None
    assert results[1].error.code == "InvalidInput"
    message = results[1].error.message
    assert str(MAX_CHARACTERS) in message
    assert str(MAX_CHARACTERS + 1) in message
    for index in (0, 2):
        assert_model_answer(results[index].tasks[0], texts[index])
    assert stats["documents_received"] == 2
    assert stats["requests"].get("POST 400", 0) == 0


async def test_long_documents_are_spread_over_jobs(emulator: EmulatorFactory) -> None:
    # Three documents of 60,000 characters cannot share one request (125,000 at most);
    # one of 130,000 code points is only 65,000 grapheme clusters, which is what counts.
    clustered = "e\u0301" * 65_000
    texts = ["a" * 60_000, "b" * 60_000, "c" * 60_000, clustered]
    async with emulator() as emu, _client(emu) as client:
        results = await client.classify(texts, task_for("multi", "2023-04-01"))
        stats = emu.stats()

    for result, text in zip(results, texts, strict=True):
        assert_model_answer(result.tasks[0], text)
    assert stats["jobs_created"] >= 2
    assert stats["requests"].get("POST 400", 0) == 0
    assert stats["documents_received"] == 4


@pytest.mark.parametrize("api_version", SOME_VERSIONS)
async def test_unsupported_language_is_a_service_error(
    emulator: EmulatorFactory, api_version: str
) -> None:
    inputs = [
        {"id": "ok-1", "text": "My bill is too high"},
        {"id": "klingon", "text": "Heghlu'meH QaQ jajvam", "language": "tlh"},
        {"id": "ok-2", "text": "Sehr gut, danke", "language": "de"},
    ]
    task = task_for("single", api_version)
    async with emulator() as emu, _client(emu, api_version) as client:
        results = await client.classify(inputs, task)

    assert [result.id for result in results] == ["ok-1", "klingon", "ok-2"]
    assert_model_answer(results[0].tasks[0], "My bill is too high")
    assert_model_answer(results[2].tasks[0], "Sehr gut, danke")
    error = results[1].error
    assert error is not None
    assert error.code == "InvalidArgument"
    assert error.inner_code == "UnsupportedLanguageCode"
    assert "tlh" in error.message


@pytest.mark.parametrize("api_version", SOME_VERSIONS)
@pytest.mark.parametrize("alone", [True, False], ids=["alone", "among-others"])
async def test_an_unknown_project_stops_the_call(
    emulator: EmulatorFactory, api_version: str, alone: bool
) -> None:
    texts = [f"Where is my parcel number {i}?" for i in range(30)]
    missing = task_for("multi", api_version, project="no-such-project")
    tasks = [missing] if alone else [task_for("entities", api_version), missing]
    async with emulator(page_size=3) as emu, _client(emu, api_version) as client:
        with pytest.raises(ac.TaskConfigurationError) as raised:
            await client.classify(texts, *tasks)
        stats = emu.stats()

    message = str(raised.value)
    assert "no-such-project" in message
    assert raised.value.task == missing
    if api_version.startswith("v3."):
        # The legacy API reports a missing project as an internal error (reference §7): the
        # call stops once a few jobs in a row, before any success, have failed so.
        assert raised.value.code == "InternalServerError"
        assert "not there" in message
        assert stats["jobs_created"] <= TRANSIENT_STRIKES + 2
    else:
        assert raised.value.code == "NotFound"
        assert stats["jobs_created"] <= 2


async def test_a_text_where_documents_belong_is_refused_and_a_task_may_be_a_string(
    emulator: EmulatorFactory,
) -> None:
    task = task_for("single", "2023-04-01")
    spec = f"single:{task.project}:{task.deployment}"
    text = "My invoice is wrong"
    async with emulator() as emu, _client(emu) as client:
        # One text where documents belong would be read a character at a time: refused.
        with pytest.raises(TypeError, match=r"not one str .* pass \[text\]"):
            await client.classify(text, task)
        with pytest.raises(TypeError, match="not one bytes"):
            client.stream(text.encode(), task)
        with pytest.raises(TypeError, match="not one str"):
            await client.classify_many(text, task)
        assert emu.stats()["documents_received"] == 0
        # A task as the command line spells it is that task...
        (by_string,) = await client.classify([text], spec)
        assert by_string.tasks == (await client.classify([text], task))[0].tasks
        assert (await client.classify_one(text, spec)).tasks == by_string.tasks
        assert ac.parse_task(spec) == task
        # ...and one that is no task is refused by name.
        with pytest.raises(ac.ConfigurationError, match="'sentiment:a:b'"):
            client.stream([text], "sentiment:a:b")
        with pytest.raises(TypeError, match="not int: 42"):
            await client.classify_one(text, 42)  # type: ignore[arg-type]
    assert_model_answer(by_string.tasks[0], text)
