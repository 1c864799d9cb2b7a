"""Accounting (`/_emulator/stats`) and the timing model."""

from __future__ import annotations

import pytest

from asyncclassify.emulator import Emulator, Timing

from .conftest import ClientFactory
from .helpers import documents, modern_body

pytestmark = pytest.mark.anyio

STATS_KEYS = [
    "requests", "throttled", "connections_dropped", "faults", "jobs_created", "jobs_cancelled",
    "documents_received",
    "documents_in_multiple_jobs", "max_jobs_in_flight", "job_gets", "gets_per_job",
    "foreign_requests", "foreign_requests_with_key",
]  # fmt: skip


async def test_stats_count_jobs_documents_and_gets(emulated: ClientFactory) -> None:
    async with emulated(timing=Timing(base=5)) as client:
        first = await client.submit(modern_body(documents(3)))
        await client.submit(modern_body(documents(2)))  # ids 0, 1 with the same texts again
        await client.submit(modern_body([{"id": "0", "text": "other"}]))
        for _ in range(3):
            await client.get(first)
        status, stats, _ = await client.request("GET", "/_emulator/stats", headers={})
    assert status == 200
    assert list(stats) == STATS_KEYS
    assert stats["requests"] == {"POST 202": 3, "GET 200": 3}
    assert stats["jobs_created"] == 3
    assert stats["documents_received"] == 6
    assert stats["documents_in_multiple_jobs"] == 2
    assert stats["max_jobs_in_flight"] == 3
    assert stats["job_gets"] == 3
    assert stats["gets_per_job"] == 1.0


async def test_in_flight_high_water_mark_drops_finished_jobs(emulated: ClientFactory) -> None:
    async with emulated(timing=Timing(base=0.01, jitter=0)) as client:
        for _ in range(3):
            await client.wait(await client.submit(modern_body(documents(1))))
        assert client.emulator.stats()["max_jobs_in_flight"] == 1


async def test_max_running_jobs_keeps_the_rest_queued(emulated: ClientFactory) -> None:
    async with emulated(timing=Timing(base=0.3, jitter=0, max_running_jobs=1)) as client:
        first = await client.submit(modern_body(documents(1)))
        second = await client.submit(modern_body(documents(1)))
        await client.wait(first, {"running"})
        assert (await client.get(second))["status"] == "notStarted"
        await client.wait(first)
        assert (await client.get(second))["status"] in ("running", "succeeded")


async def test_fixture_serves_defaults(language_emulator: Emulator) -> None:
    assert language_emulator.key == "emulator-key"
    assert language_emulator.endpoint.startswith("http://127.0.0.1:")
    assert language_emulator.stats()["jobs_created"] == 0
