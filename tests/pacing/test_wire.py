"""The simulated service's wire keeps a finished job readable, as the service does (a poll
cut short by the job timeout is followed by another read), and answers an unknown job 404."""

from __future__ import annotations

import asyncio

import aiohttp
import orjson
from yarl import URL

from asyncclassify._simulation.scenarios import Scenario, realistic_timing
from asyncclassify._simulation.virtual import run_virtual
from asyncclassify._simulation.wire import SimulatedWire
from asyncclassify.transport import Request

SUBMIT = URL("http://127.0.0.1/language/analyze-text/jobs?api-version=2023-04-01")
BODY = orjson.dumps(
    {
        "analysisInput": {"documents": [{"id": "0", "text": "a", "language": "en"}]},
        "tasks": [{"kind": "CustomSingleLabelClassification", "taskName": "0"}],
    }
)


def _request(method: str, url: URL, body: bytes | None = None) -> Request:
    return Request(method, url, {}, body, aiohttp.ClientTimeout())


def test_a_finished_job_is_read_again_and_an_unknown_one_is_not_found() -> None:
    service = Scenario("wire", realistic_timing(0.2)).service()
    wire = SimulatedWire({"http://127.0.0.1": service}, latency=0.0)

    async def main() -> list[tuple[int, str]]:
        submitted = await wire.handle(_request("POST", SUBMIT, BODY))
        job = URL(submitted.headers["operation-location"], encoded=True)
        await asyncio.sleep(3600.0)  # long finished
        unknown = job.with_path(job.path.rsplit("/", 1)[0] + "/job-999", keep_query=True)
        read = []
        for url in (job, job, unknown):
            response = await wire.handle(_request("GET", url))
            status = orjson.loads(response.body).get("status", "")
            read.append((response.status, status))
        return read

    assert run_virtual(main) == [(200, "succeeded"), (200, "succeeded"), (404, "")]
