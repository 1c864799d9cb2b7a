"""Result pages (`nextLink`) and cancellation in the modern dialect."""

from __future__ import annotations

import pytest

from asyncclassify.emulator import Timing

from .conftest import ClientFactory
from .helpers import Client, documents, modern_body, modern_task

pytestmark = pytest.mark.anyio


def ids(job: dict[str, object], task: int = 0) -> list[str]:
    items = job["tasks"]["items"]  # type: ignore[index]
    return [d["id"] for d in items[task]["results"]["documents"]]


async def test_pages_move_in_lock_step_and_carry_show_stats(client: Client) -> None:
    docs = [*documents(24), {"id": "24", "text": "", "language": "en"}]
    url = await client.submit(modern_body(docs, modern_task("single"), modern_task("multi")))
    await client.wait(url)
    first = await client.get(url + "&showStats=True")
    base, _ = url.split("?")
    assert first["nextLink"] == f"{base}?showStats=True&top=5&skip=20&api-version=2023-04-01"
    assert ids(first, 0) == ids(first, 1) == [str(i) for i in range(20)]
    second = await client.get(first["nextLink"])
    assert "nextLink" not in second
    assert {k: v for k, v in second.items() if k != "tasks"} == {
        k: v for k, v in first.items() if k not in ("tasks", "nextLink")
    }
    assert ids(second, 0) == ids(second, 1) == [str(i) for i in range(20, 24)]
    results = second["tasks"]["items"][0]["results"]
    assert [e["id"] for e in results["errors"]] == ["24"]
    assert results["statistics"]["documentsCount"] == 5
    assert second["tasks"]["completed"] == 2


async def test_page_size_is_the_default_window_and_top_is_clamped(emulated: ClientFactory) -> None:
    async with emulated(page_size=10) as client:
        url = await client.submit(modern_body(documents(25)))
        await client.wait(url)
        first = await client.get(url)
        assert len(ids(first)) == 10
        assert first["nextLink"].endswith("?top=15&skip=10&api-version=2023-04-01")
        second = await client.get(first["nextLink"])
        assert ids(second) == [str(i) for i in range(10, 25)]
        assert "nextLink" not in second
        assert len(ids(await client.get(url + "&top=0"))) == 1
        assert len(ids(await client.get(url + "&top=25"))) == 25
        assert len(ids(await client.get(url + "&top=500"))) == 25
        beyond = await client.get(url + "&skip=40")
        assert ids(beyond) == []
        assert "nextLink" not in beyond
        status, error, _ = await client.request("GET", url + "&skip=-1")
        assert (status, error["error"]["innererror"]["code"]) == (400, "InvalidParameterValue")


async def test_next_link_is_present_while_running(emulated: ClientFactory) -> None:
    async with emulated(timing=Timing(queue_delay=5)) as client:
        url = await client.submit(modern_body(documents(21)))
        job = await client.get(url)
    assert job["status"] == "notStarted"
    assert job["nextLink"].endswith("?top=1&skip=20&api-version=2023-04-01")


async def test_cancel_keeps_finished_tasks(emulated: ClientFactory) -> None:
    async with emulated(timing=Timing(base=1, jitter=0.9), seed=3) as client:
        body = modern_body(documents(2), modern_task("single"), modern_task("multi"))
        url = await client.submit(body)
        running = await client.wait(url, {"running"})
        while not running["tasks"]["items"]:
            running = await client.wait(url, {"running"})
        cancel_url = url.replace("?", ":cancel?")
        status, body_, response = await client.request("POST", cancel_url)
        assert (status, body_) == (202, None)
        assert response.headers["operation-location"] == url
        cancelling = await client.get(url)
        assert cancelling["status"] in ("cancelling", "cancelled")
        done = await client.wait(url)
        assert client.emulator.stats()["jobs_cancelled"] == 1
    assert done["status"] == "cancelled"
    assert done["tasks"]["completed"] == 1
    assert done["tasks"]["inProgress"] == 0
    assert done["tasks"]["total"] == 2
    items = done["tasks"]["items"]
    assert [i["taskName"] for i in items] == ["single", "multi"]
    (finished,) = [i for i in items if i["status"] != "cancelled"]
    (cancelled,) = [i for i in items if i["status"] == "cancelled"]
    assert finished["status"] == "succeeded"
    assert len(finished["results"]["documents"]) == 2
    assert cancelled["status"] == "cancelled"
    assert cancelled["results"]["documents"] == cancelled["results"]["errors"] == []


async def test_cancel_of_finished_or_unknown_job(client: Client) -> None:
    url = await client.submit(modern_body(documents(1)))
    await client.wait(url)
    status, error, _ = await client.request("POST", url.replace("?", ":cancel?"))
    assert (status, error["error"]["code"]) == (400, "InvalidRequest")
    unknown = url.replace(url.split("/")[-1].split("?")[0], "00000000-0000-0000-0000-000000000000")
    status, error, _ = await client.request("POST", unknown.replace("?", ":cancel?"))
    assert (status, error["error"]["code"]) == (404, "NotFound")
    status, error, _ = await client.request("GET", unknown)
    assert (status, error["error"]["code"]) == (404, "NotFound")
