"""The official Azure SDK (`azure-ai-textanalytics`) cannot tell the emulator from the service.

Each test drives the SDK's async client the way an application would and checks that what the
SDK hands back is exactly the emulator model's answer, or the error the SDK maps from the
service's error responses.
"""

from __future__ import annotations

import math
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest
from azure.ai.textanalytics import (
    MultiLabelClassifyAction,
    RecognizeCustomEntitiesAction,
    SingleLabelClassifyAction,
)
from azure.ai.textanalytics.aio import AsyncAnalyzeActionsLROPoller
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from asyncclassify.emulator import Emulator, Timing
from asyncclassify.emulator.model import (
    Classification,
    EntityMatch,
    classify_multi,
    classify_single,
    recognize_entities,
)
from asyncclassify.emulator.textunits import grapheme_count

from .sdk_support import (
    API_VERSIONS,
    CORPUS,
    POLLING,
    classes,
    corpus,
    documents,
    entities,
    project,
    sdk_client,
)

pytestmark = pytest.mark.anyio

SINGLE = project("single")
MULTI = project("multi")
LOANS = project("entities")


@pytest.fixture(params=API_VERSIONS)
def api_version(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def emulator(language_emulator: Emulator) -> Emulator:
    """A running emulator with the default settings."""
    return language_emulator


def single_action() -> SingleLabelClassifyAction:
    return SingleLabelClassifyAction(project_name=SINGLE.name, deployment_name=SINGLE.deployment)


def entities_action() -> RecognizeCustomEntitiesAction:
    return RecognizeCustomEntitiesAction(project_name=LOANS.name, deployment_name=LOANS.deployment)


def expected_single(text: str) -> list[Classification]:
    return [classify_single(text, SINGLE.labels)]


def expected_entities(text: str, unit: str = "UnicodeCodePoint") -> list[EntityMatch]:
    return recognize_entities(text, LOANS.labels, unit)


async def collect(paged: Any) -> list[Any]:
    return [item async for item in paged]


async def collect_pages(paged: Any) -> list[list[Any]]:
    return [[item async for item in page] async for page in paged.by_page()]


# -- the three custom tasks ---------------------------------------------------------------------


async def test_single_label_classify(emulator: Emulator, api_version: str) -> None:
    async with sdk_client(emulator, api_version) as client:
        poller = await client.begin_single_label_classify(
            documents(CORPUS), SINGLE.name, SINGLE.deployment, **POLLING
        )
        results = await collect(await poller.result())
    assert poller.status() == "succeeded"
    assert [r.id for r in results] == [d["id"] for d in documents(CORPUS)]
    for result, text in zip(results, CORPUS, strict=True):
        assert result.kind == "CustomDocumentClassification"
        assert classes(result) == expected_single(text)


async def test_multi_label_classify(emulator: Emulator, api_version: str) -> None:
    expected = [classify_multi(text, MULTI.labels) for text in CORPUS]
    assert [] in expected
    assert any(len(labels) > 1 for labels in expected)
    async with sdk_client(emulator, api_version) as client:
        poller = await client.begin_multi_label_classify(
            documents(CORPUS), MULTI.name, MULTI.deployment, **POLLING
        )
        results = await collect(await poller.result())
    assert [r.id for r in results] == [d["id"] for d in documents(CORPUS)]
    assert not any(r.is_error for r in results)
    assert [classes(r) for r in results] == expected


@pytest.mark.parametrize(
    ("sdk_unit", "unit"),
    [
        (None, "UnicodeCodePoint"),  # the SDK's default for Python strings
        ("Utf16CodeUnit", "Utf16CodeUnit"),
        ("TextElement_v8", "TextElements_v8"),
    ],
)
async def test_recognize_custom_entities_in_each_string_index_type(
    emulator: Emulator, api_version: str, sdk_unit: str | None, unit: str
) -> None:
    expected = [expected_entities(text, unit) for text in CORPUS]
    other_units = {"UnicodeCodePoint", "Utf16CodeUnit", "TextElements_v8"} - {unit}
    for other in other_units:  # the corpus tells the units apart
        assert expected != [expected_entities(text, other) for text in CORPUS]
    options: dict[str, Any] = {} if sdk_unit is None else {"string_index_type": sdk_unit}
    async with sdk_client(emulator, api_version) as client:
        poller = await client.begin_recognize_custom_entities(
            documents(CORPUS), LOANS.name, LOANS.deployment, **options, **POLLING
        )
        results = await collect(await poller.result())
    assert [r.id for r in results] == [d["id"] for d in documents(CORPUS)]
    assert [entities(r) for r in results] == expected
    if unit == "UnicodeCodePoint":
        for result, text in zip(results, CORPUS, strict=True):
            for entity in result.entities:
                assert text[entity.offset : entity.offset + entity.length] == entity.text


async def test_analyze_actions_gives_each_document_every_action(
    emulator: Emulator, api_version: str
) -> None:
    async with sdk_client(emulator, api_version) as client:
        poller = await client.begin_analyze_actions(
            documents(CORPUS), [single_action(), entities_action()], **POLLING
        )
        results = await collect(await poller.result())
    assert poller.status() == "succeeded"
    assert len(results) == len(CORPUS)
    for (classified, recognized), doc in zip(results, documents(CORPUS), strict=True):
        assert classified.id == recognized.id == doc["id"]
        assert (classified.kind, recognized.kind) == (
            "CustomDocumentClassification",
            "CustomEntityRecognition",
        )
        assert classes(classified) == expected_single(doc["text"])
        assert entities(recognized) == expected_entities(doc["text"])


# -- pagination -----------------------------------------------------------------------------


PAGINATION = [
    pytest.param(page_size, method, id=f"{method}-page{page_size}")
    for page_size in (20, 7)
    for method in ("single_label", "actions")
]


@pytest.mark.parametrize(("page_size", "method"), PAGINATION)
async def test_25_documents_come_back_in_order_across_pages(
    api_version: str, page_size: int, method: str
) -> None:
    texts = corpus(25)
    docs = documents(texts)
    async with Emulator(page_size=page_size) as emulator:
        async with sdk_client(emulator, api_version) as client:
            if method == "single_label":
                classify_poller = await client.begin_single_label_classify(
                    docs, SINGLE.name, SINGLE.deployment, show_stats=True, **POLLING
                )
                pages = await collect_pages(await classify_poller.result())
            else:
                actions_poller = await client.begin_analyze_actions(
                    docs, [single_action(), entities_action()], show_stats=True, **POLLING
                )
                pages = await collect_pages(await actions_poller.result())
        stats = emulator.stats()
    assert len(pages) >= 2
    assert len(pages[0]) == page_size
    assert stats["requests"] == {"POST 202": 1, "GET 200": stats["job_gets"]}
    results = [item for page in pages for item in page]
    per_action = [[r] for r in results] if method == "single_label" else results
    action_count = 1 if method == "single_label" else 2
    assert [[r.id for r in actions] for actions in per_action] == [
        [d["id"]] * action_count for d in docs
    ]
    for actions, text in zip(per_action, texts, strict=True):
        assert classes(actions[0]) == expected_single(text)
        if method == "actions":
            assert entities(actions[1]) == expected_entities(text)
        for result in actions:
            characters = grapheme_count(text)
            assert result.statistics.character_count == characters
            assert result.statistics.transaction_count == math.ceil(characters / 1000)


# -- per-document errors --------------------------------------------------------------------


async def test_invalid_documents_become_document_errors_in_every_action(
    emulator: Emulator, api_version: str
) -> None:
    docs = documents(CORPUS[:4])
    docs[1]["text"] = ""
    docs[3]["language"] = "xx"
    async with sdk_client(emulator, api_version) as client:
        poller = await client.begin_analyze_actions(
            docs, [single_action(), entities_action()], **POLLING
        )
        results = await collect(await poller.result())
    assert poller.status() == "succeeded"
    assert [[r.id for r in actions] for actions in results] == [[d["id"]] * 2 for d in docs]
    codes = [[r.error.code if r.is_error else None for r in actions] for actions in results]
    assert codes == [
        [None, None],
        ["InvalidDocument", "InvalidDocument"],
        [None, None],
        ["UnsupportedLanguageCode", "UnsupportedLanguageCode"],
    ]
    for i in (0, 2):
        classified, recognized = results[i]
        assert classes(classified) == expected_single(docs[i]["text"])
        assert entities(recognized) == expected_entities(docs[i]["text"])


# -- cancellation ---------------------------------------------------------------------------


async def test_cancel_ends_the_poller_and_the_job(api_version: str) -> None:
    docs = documents(CORPUS[:3])
    async with Emulator(timing=Timing(base=2)) as emulator:
        async with sdk_client(emulator, api_version) as client:
            poller = await client.begin_single_label_classify(
                docs, SINGLE.name, SINGLE.deployment, **POLLING
            )
            await poller.cancel()
            with anyio.fail_after(5):
                results = await collect(await poller.result())
        stats = emulator.stats()
    assert poller.done()
    assert poller.status() == "cancelled"
    assert stats["jobs_cancelled"] == 1
    assert stats["requests"]["POST 202"] == 2  # the submit and the cancel
    assert [r.id for r in results] == [d["id"] for d in docs]
    assert all(r.is_error for r in results)
    assert poller.details["actions_succeeded_count"] == 0
    assert poller.details["actions_in_progress_count"] == 0


async def test_cancel_of_a_finished_job_raises(emulator: Emulator, api_version: str) -> None:
    async with sdk_client(emulator, api_version) as client:
        poller = await client.begin_single_label_classify(
            documents(CORPUS[:2]), SINGLE.name, SINGLE.deployment, **POLLING
        )
        await poller.wait()
        with pytest.raises(HttpResponseError) as raised:
            await poller.cancel()
    assert raised.value.status_code == 400
    assert raised.value.error is not None
    assert raised.value.error.code == "InvalidRequest"
    assert emulator.stats()["jobs_cancelled"] == 0


# -- errors the SDK raises ------------------------------------------------------------------


async def test_wrong_key_is_an_authentication_error(emulator: Emulator, api_version: str) -> None:
    async with sdk_client(emulator, api_version, key="not-the-key") as client:
        with pytest.raises(ClientAuthenticationError) as raised:
            await client.begin_single_label_classify(
                documents(CORPUS[:1]), SINGLE.name, SINGLE.deployment, **POLLING
            )
    assert raised.value.status_code == 401
    assert raised.value.error is not None
    assert raised.value.error.code == "401"
    stats = emulator.stats()
    assert (stats["requests"], stats["jobs_created"]) == ({"POST 401": 1}, 0)


async def test_more_than_25_documents_is_an_invalid_batch(
    emulator: Emulator, api_version: str
) -> None:
    async with sdk_client(emulator, api_version) as client:
        with pytest.raises(HttpResponseError) as raised:
            await client.begin_multi_label_classify(
                documents(corpus(26)), MULTI.name, MULTI.deployment, **POLLING
            )
    assert not isinstance(raised.value, ClientAuthenticationError)
    assert raised.value.status_code == 400
    assert raised.value.error is not None
    assert raised.value.error.code == "InvalidDocumentBatch"
    assert emulator.stats()["jobs_created"] == 0


@pytest.mark.parametrize(
    ("project_name", "deployment_name"), [("missing", "prod"), ("support", "staging")]
)
async def test_unknown_project_fails_the_job(
    emulator: Emulator, api_version: str, project_name: str, deployment_name: str
) -> None:
    async with sdk_client(emulator, api_version) as client:
        poller = await client.begin_single_label_classify(
            documents(CORPUS[:2]), project_name, deployment_name, **POLLING
        )
        with pytest.raises(HttpResponseError) as raised:
            await poller.result()
    assert poller.status() == "failed"
    assert str(raised.value).startswith("(NotFound) ")
    assert poller.details["actions_failed_count"] == 1


async def test_unknown_project_among_actions_is_a_failed_action(
    emulator: Emulator, api_version: str
) -> None:
    missing = MultiLabelClassifyAction(project_name="missing", deployment_name="prod")
    docs = documents(CORPUS[:3])
    async with sdk_client(emulator, api_version) as client:
        poller = await client.begin_analyze_actions(docs, [single_action(), missing], **POLLING)
        results = await collect(await poller.result())
    assert poller.status() == "partiallyCompleted"
    assert (poller.details["actions_succeeded_count"], poller.details["actions_failed_count"]) == (
        1,
        1,
    )
    for (classified, failed), doc in zip(results, docs, strict=True):
        assert classes(classified) == expected_single(doc["text"])
        assert failed.is_error
        assert failed.id == doc["id"]
        assert failed.error.code == "NotFound"


# -- poller metadata ------------------------------------------------------------------------


async def test_poller_metadata_parses_from_the_job(emulator: Emulator, api_version: str) -> None:
    async with sdk_client(emulator, api_version) as client:
        before = datetime.now(UTC).replace(microsecond=0)
        started = await client.begin_analyze_actions(
            documents(CORPUS[:2]), [single_action()], display_name="tickets", **POLLING
        )
        assert isinstance(started, AsyncAnalyzeActionsLROPoller)
        poller = started
        job_id = poller.id  # from operation-location until a job body arrives
        await poller.wait()
        after = datetime.now(UTC)
    details = poller.details
    assert str(uuid.UUID(job_id)) == job_id
    assert details["id"] == poller.id == job_id
    assert details["display_name"] == poller.display_name == "tickets"
    created, modified, expires = (
        details["created_on"],
        details["last_modified_on"],
        details["expires_on"],
    )
    assert created == poller.created_on
    assert modified == poller.last_modified_on
    assert expires == poller.expires_on
    assert created.utcoffset() == timedelta(0)
    assert before <= created <= modified <= after
    assert expires - created == timedelta(hours=24)
    assert (
        details["total_actions_count"],
        details["actions_succeeded_count"],
        details["actions_failed_count"],
        details["actions_in_progress_count"],
    ) == (1, 1, 0, 0)


async def test_continuation_token_resumes_the_operation(
    emulator: Emulator, api_version: str
) -> None:
    async with sdk_client(emulator, api_version) as client:
        poller = await client.begin_multi_label_classify(
            documents(CORPUS), MULTI.name, MULTI.deployment, **POLLING
        )
        assert isinstance(poller, AsyncAnalyzeActionsLROPoller)
        token = poller.continuation_token()
        resumed = await client.begin_multi_label_classify(
            None,  # type: ignore[arg-type]
            None,  # type: ignore[arg-type]
            None,  # type: ignore[arg-type]
            continuation_token=token,
            **POLLING,
        )
        results = await collect(await resumed.result())
    assert isinstance(resumed, AsyncAnalyzeActionsLROPoller)
    assert resumed.id == poller.id
    assert [classes(r) for r in results] == [classify_multi(t, MULTI.labels) for t in CORPUS]
    assert emulator.stats()["jobs_created"] == 1
