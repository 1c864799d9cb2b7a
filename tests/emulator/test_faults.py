"""Seeded fault injection: each kind, and determinism."""

from __future__ import annotations

import time

import aiohttp
import pytest

from asyncclassify.emulator import Faults

from .conftest import ClientFactory
from .helpers import MODERN_JOBS, documents, modern_body, modern_task

pytestmark = pytest.mark.anyio

SUBMIT = f"{MODERN_JOBS}?api-version=2023-04-01"


@pytest.mark.parametrize("retry_after", [0.0, 1.0])
async def test_submit_error(emulated: ClientFactory, retry_after: float) -> None:
    faults = Faults(submit_error=1, retry_after_on_error=retry_after)
    async with emulated(faults=faults) as client:
        status, body, response = await client.request(
            "POST", SUBMIT, body=modern_body(documents(1))
        )
        assert status in (500, 503)
        assert body["error"]["code"] in ("InternalServerError", "ServiceUnavailable")
        assert ("Retry-After" in response.headers) is bool(retry_after)
        stats = client.emulator.stats()
    assert stats["jobs_created"] == 0
    assert stats["faults"]["submit_error"] == 1


async def test_get_error(emulated: ClientFactory) -> None:
    async with emulated(faults=Faults(get_error=1)) as client:
        url = await client.submit(modern_body(documents(1)))
        status, _, _ = await client.request("GET", url)
    assert status in (500, 503)


async def test_connection_reset(emulated: ClientFactory) -> None:
    async with emulated(faults=Faults(connection_reset=1)) as client:
        with pytest.raises(aiohttp.ClientConnectionError):
            await client.request("POST", SUBMIT, body=modern_body(documents(1)))
        stats = client.emulator.stats()
    assert stats["jobs_created"] == 0
    assert stats["requests"] == {}
    assert stats["faults"]["connection_reset"] == 1


async def test_lost_submit_response_still_creates_the_job(emulated: ClientFactory) -> None:
    async with emulated(faults=Faults(lost_submit_response=1)) as client:
        with pytest.raises(aiohttp.ClientConnectionError):
            await client.request("POST", SUBMIT, body=modern_body(documents(3)))
        stats = client.emulator.stats()
    assert stats["jobs_created"] == 1
    assert stats["documents_received"] == 3


async def test_slow_response(emulated: ClientFactory) -> None:
    async with emulated(faults=Faults(slow_response=1, slow_seconds=0.2)) as client:
        started = time.perf_counter()
        await client.submit(modern_body(documents(1)))
    assert time.perf_counter() - started >= 0.2


async def test_job_failed(emulated: ClientFactory) -> None:
    async with emulated(faults=Faults(job_failed=1)) as client:
        job = await client.wait(await client.submit(modern_body(documents(1))))
    assert job["status"] == "failed"
    assert job["errors"][0]["target"] == "#/tasks/items/0"


async def test_task_failed_makes_a_multi_task_job_partial(emulated: ClientFactory) -> None:
    async with emulated(faults=Faults(task_failed=1)) as client:
        single = await client.wait(await client.submit(modern_body(documents(1))))
        body = modern_body(documents(1), modern_task("single"), modern_task("multi"))
        job = await client.wait(await client.submit(body))
    assert single["status"] == "succeeded"
    assert job["status"] == "partiallyCompleted"
    assert sorted(i["status"] for i in job["tasks"]["items"]) == ["failed", "succeeded"]
    assert len(job["errors"]) == 1


async def test_truncated_body(emulated: ClientFactory) -> None:
    async with emulated(faults=Faults(truncated_body=1)) as client:
        url = await client.submit(modern_body(documents(5)))
        with pytest.raises(aiohttp.ClientPayloadError):
            await client.request("GET", url)


async def test_foreign_operation_location(emulated: ClientFactory) -> None:
    async with emulated(faults=Faults(foreign_operation_location=1)) as client:
        url = await client.submit(modern_body(documents(1)))
        assert url.startswith(client.emulator.foreign_endpoint + MODERN_JOBS)
        status, _, _ = await client.request("GET", url, headers={})
        assert status == 404
        await client.request("GET", url)
        stats = client.emulator.stats()
        real = url.replace(client.emulator.foreign_endpoint, client.emulator.endpoint)
        assert (await client.request("GET", real))[0] == 200
    assert (stats["foreign_requests"], stats["foreign_requests_with_key"]) == (2, 1)


async def test_faults_are_deterministic_for_a_seed(emulated: ClientFactory) -> None:
    outcomes = []
    for _ in range(2):
        async with emulated(faults=Faults(submit_error=0.5), seed=7) as client:
            statuses = []
            for _ in range(12):
                status, _, _ = await client.request("POST", SUBMIT, body=modern_body(documents(1)))
                statuses.append(status)
            outcomes.append(statuses)
    assert outcomes[0] == outcomes[1]
    assert {202} < set(outcomes[0])
