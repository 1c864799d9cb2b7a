"""The shared sliding-window budget, and job expiry."""

from __future__ import annotations

import pytest

from asyncclassify.emulator import RateLimit

from .conftest import ClientFactory
from .helpers import MODERN_JOBS, documents, eventually, modern_body

pytestmark = pytest.mark.anyio


async def test_submit_get_and_cancel_share_one_window(emulated: ClientFactory) -> None:
    async with emulated(rate_limit=RateLimit(5, 0.5)) as client:
        # 401s are not counted.
        for _ in range(3):
            assert (await client.request("GET", MODERN_JOBS, headers={}))[0] == 401
        url = await client.submit(modern_body(documents(1)))
        await client.request("POST", url.replace("?", ":cancel?"))
        for _ in range(3):
            assert (await client.request("GET", url))[0] == 200
        status, body, response = await client.request("GET", url)
        assert status == 429
        assert body["error"]["code"] == "429"
        retry_after = response.headers["Retry-After"]
        assert retry_after.isdigit()
        assert int(retry_after) >= 1
        assert response.headers["Content-Type"] == "application/json"
        status, _, _ = await client.request(
            "POST", f"{MODERN_JOBS}?api-version=2023-04-01", body=modern_body(documents(1))
        )
        assert status == 429

        async def admitted() -> bool:
            return (await client.request("GET", url))[0] != 429

        await eventually(admitted)
        stats = client.emulator.stats()
    assert stats["throttled"] >= 2
    assert stats["requests"]["GET 429"] >= 1
    assert stats["requests"]["GET 401"] == 3


async def test_stats_and_reset_are_neither_limited_nor_authenticated(
    emulated: ClientFactory,
) -> None:
    async with emulated(rate_limit=RateLimit(1, 60)) as client:
        await client.submit(modern_body(documents(1)))
        for _ in range(3):
            status, stats, _ = await client.request("GET", "/_emulator/stats", headers={})
            assert status == 200
        assert stats["jobs_created"] == 1
        status, _, _ = await client.request("POST", "/_emulator/reset", headers={})
        assert status == 204
        await client.submit(modern_body(documents(1)))  # the window was reset too
        assert client.emulator.stats()["jobs_created"] == 1


async def test_jobs_expire_after_retention(emulated: ClientFactory) -> None:
    async with emulated(retention_seconds=0.2) as client:
        url = await client.submit(modern_body(documents(1)))
        job = await client.get(url)
        assert job["expirationDateTime"] >= job["createdDateTime"]

        async def gone() -> bool:
            return (await client.request("GET", url))[0] == 404

        await eventually(gone)
        assert client.emulator.service.store.get(url.split("/")[-1].split("?")[0], 1e12) is None


async def test_expiration_is_a_day_by_default(emulated: ClientFactory) -> None:
    async with emulated() as client:
        job = await client.get(await client.submit(modern_body(documents(1))))
    created = job["createdDateTime"]
    day, rest = created.split("T")
    assert job["expirationDateTime"].split("T")[1] == rest
    assert job["expirationDateTime"].split("T")[0] != day
