"""The modern dialect: headers, lifecycle and per-version spellings."""

from __future__ import annotations

import re

import anyio
import pytest

from asyncclassify.emulator import Timing
from asyncclassify.emulator.versions import MODERN_VERSIONS

from .conftest import ClientFactory
from .helpers import MODERN_JOBS, Client, documents, modern_body, modern_task

pytestmark = pytest.mark.anyio

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
SECONDS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
TICKS = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z"


async def test_submit_answers_202_with_absolute_operation_location(client: Client) -> None:
    status, body, response = await client.request(
        "POST", f"{MODERN_JOBS}?api-version=2023-04-01", body=modern_body(documents(2))
    )
    assert status == 202
    assert body is None
    assert response.headers["Content-Length"] == "0"
    location = response.headers["operation-location"]
    pattern = (
        rf"{re.escape(client.emulator.endpoint)}{MODERN_JOBS}/({UUID})\?api-version=2023-04-01"
    )
    assert re.fullmatch(pattern, location)
    assert re.fullmatch(UUID, response.headers["apim-request-id"])
    assert response.headers["x-envoy-upstream-service-time"].isdigit()
    assert response.headers["x-ms-region"]


async def test_lifecycle_goes_from_not_started_to_succeeded(emulated: ClientFactory) -> None:
    async with emulated(timing=Timing(queue_delay=0.3, base=0.05)) as client:
        url = await client.submit(modern_body(documents(3)))
        first = await client.get(url)
        assert first["status"] == "notStarted"
        assert first["tasks"] == {
            "completed": 0, "failed": 0, "inProgress": 1, "total": 1, "items": []
        }  # fmt: skip
        assert first["errors"] == []
        done = await client.wait(url)
    assert done["status"] == "succeeded"
    assert list(done) == [
        "jobId", "lastUpdatedDateTime", "createdDateTime", "expirationDateTime",
        "status", "errors", "tasks",
    ]  # fmt: skip
    assert re.fullmatch(SECONDS, done["createdDateTime"])
    assert done["jobId"] == url.split("/")[-1].split("?")[0]
    counters = {k: v for k, v in done["tasks"].items() if k != "items"}
    assert counters == {"completed": 1, "failed": 0, "inProgress": 0, "total": 1}
    (item,) = done["tasks"]["items"]
    assert item["kind"] == "CustomSingleLabelClassificationLROResults"
    assert item["taskName"] == "single"
    assert item["status"] == "succeeded"
    assert re.fullmatch(TICKS, item["lastUpdateDateTime"])
    results = item["results"]
    assert results["projectName"] == "support"
    assert results["deploymentName"] == "prod"
    assert [d["id"] for d in results["documents"]] == ["0", "1", "2"]
    first_doc = results["documents"][0]
    assert list(first_doc) == ["id", "class", "warnings"]
    (label,) = first_doc["class"]
    assert label["category"] == "Billing"
    assert 0 < label["confidenceScore"] <= 1


async def test_task_items_appear_as_tasks_finish(emulated: ClientFactory) -> None:
    timing = Timing(base=0.4, per_document=0, jitter=0.9)
    async with emulated(timing=timing, seed=3) as client:
        body = modern_body(documents(2), modern_task("single"), modern_task("multi"))
        url = await client.submit(body)
        partial = await client.wait(url, {"running"} | {"succeeded"})
        seen_partial = False
        with anyio.fail_after(5):
            while partial["status"] != "succeeded":
                items = partial["tasks"]["items"]
                assert partial["tasks"]["completed"] == len(items)
                assert partial["tasks"]["inProgress"] == 2 - len(items)
                seen_partial = seen_partial or len(items) == 1
                await anyio.sleep(0.005)
                partial = await client.get(url)
    assert seen_partial
    assert [i["taskName"] for i in partial["tasks"]["items"]] == ["single", "multi"]


@pytest.mark.parametrize("version", sorted(MODERN_VERSIONS))
async def test_every_version_uses_its_spelling(client: Client, version: str) -> None:
    body = modern_body(documents(1), modern_task("single"), modern_task("multi"))
    url = await client.submit(body, api_version=version)
    assert url.endswith(f"?api-version={version}")
    job = await client.wait(url)
    updated = (
        "lastUpdateDateTime"
        if version in ("2022-04-01-preview", "2022-10-01-preview")
        else "lastUpdatedDateTime"
    )
    assert updated in job
    assert {"lastUpdateDateTime", "lastUpdatedDateTime"} - {updated} - set(job)
    single, multi = (item["results"]["documents"][0] for item in job["tasks"]["items"])
    if version == "2022-04-01-preview":
        assert set(single["class"]) == {"category", "confidenceScore"}
    else:
        assert isinstance(single["class"], list)
        assert len(single["class"]) == 1
    assert isinstance(multi["class"], list)


@pytest.mark.parametrize(
    ("version", "auto", "defaulted_flag"),
    [
        ("2022-05-01", False, False),
        ("2022-10-01-preview", True, True),
        ("2023-04-01", False, False),
        ("2024-11-15-preview", True, False),
        ("2025-11-01", True, False),
    ],
)
async def test_language_auto(
    client: Client, version: str, auto: bool, defaulted_flag: bool
) -> None:
    docs = [{"id": "1", "text": "Mi factura está mal, señor", "language": "auto"}]
    job = await client.wait(await client.submit(modern_body(docs), api_version=version))
    results = job["tasks"]["items"][0]["results"]
    if not auto:
        assert results["documents"] == []
        assert results["errors"][0]["error"]["innererror"]["code"] == "UnsupportedLanguageCode"
        return
    (doc,) = results["documents"]
    assert doc["detectedLanguage"] == {
        "name": "Spanish",
        "iso6391Name": "es",
        "confidenceScore": 0.9,
    }
    assert ("isLanguageDefaulted" in doc) is defaulted_flag


async def test_entities_honour_string_index_type(client: Client) -> None:
    text = "👩‍👩‍👧 e\u0301 Loan of $5,000 to Ana Díaz"
    found = {}
    for unit in ("TextElements_v8", "TextElement_v8", "UnicodeCodePoint", "Utf16CodeUnit", None):
        params = {"stringIndexType": unit} if unit else {}
        body = modern_body([{"id": "n", "text": text}], modern_task("entities", **params))
        job = await client.wait(await client.submit(body))
        (doc,) = job["tasks"]["items"][0]["results"]["documents"]
        assert list(doc) == ["id", "entities", "warnings"]
        found[unit] = {e["text"]: (e["offset"], e["length"]) for e in doc["entities"]}
    amount = "$5,000"
    start = text.index(amount)
    assert found["UnicodeCodePoint"][amount] == (start, len(amount))
    assert found["Utf16CodeUnit"][amount] == (start + 3, len(amount))  # three astral emoji
    assert found["TextElements_v8"][amount][0] < start
    assert found["TextElement_v8"] == found["TextElements_v8"] == found[None]


async def test_show_stats_gives_document_and_task_statistics(client: Client) -> None:
    docs = [*documents(2), {"id": "e", "text": "", "language": "en"}]
    url = await client.submit(modern_body(docs))
    await client.wait(url)
    job = await client.get(url + "&showStats=true")
    results = job["tasks"]["items"][0]["results"]
    assert list(results) == ["statistics", "documents", "errors", "projectName", "deploymentName"]
    assert results["statistics"] == {
        "documentsCount": 3, "validDocumentsCount": 2,
        "erroneousDocumentsCount": 1, "transactionsCount": 2,
    }  # fmt: skip
    assert results["documents"][0]["statistics"] == {
        "charactersCount": len(docs[0]["text"]), "transactionsCount": 1
    }  # fmt: skip
    assert "statistics" not in job


async def test_display_name_is_echoed(client: Client) -> None:
    body = {**modern_body(documents(1)), "displayName": "tickets"}
    job = await client.wait(await client.submit(body))
    assert job["displayName"] == "tickets"


async def test_task_without_name_has_no_task_name(client: Client) -> None:
    task = modern_task()
    del task["taskName"]
    job = await client.wait(await client.submit(modern_body(documents(1), task)))
    assert "taskName" not in job["tasks"]["items"][0]


async def test_cancel_after_cancels_the_job(emulated: ClientFactory) -> None:
    async with emulated(timing=Timing(base=0.4)) as client:
        body = {**modern_body(documents(1)), "cancelAfter": 0.05}
        job = await client.wait(await client.submit(body, api_version="2025-11-01"))
    assert job["status"] == "cancelled"
