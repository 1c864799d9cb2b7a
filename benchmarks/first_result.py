"""Time to the first result of a large corpus, against the time one job takes alone.

A client that reads the whole corpus, or submits everything before polling anything, makes
its caller wait long before the first answer. Here the emulator has realistic job timing
(queue 0.3 s + 1.5 s + 0.02 s per document, +-30%) and the service's budget, 1,000 requests
per minute (the headline), and again with the minute scaled to 6 s (100 requests per 6 s: the
same rate, but a tenth of the burst, which a start-up that overspends its window pays for).
Measured in one run, each phase after resetting the emulator (same seed, so the first job
created takes the same time in every phase):

* `job_s`: one job of 25 documents, submitted and polled every 50 ms with plain HTTP, from
  submit to the answer that says it is done: the time the service needs;
* `one_job_s`: `Client.stream()` of those 25 documents alone, until the first result;
* `first_result_s`: `Client.stream()` of a 50,000-document generator, until the first result.

The official SDK is not compared: it has no call that takes a corpus, and with a pool of
workers the first result of any job arrives like a single job's.

    python benchmarks/first_result.py [--documents 50000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

import aiohttp
import orjson
from _harness import (
    DEPLOYMENT,
    KEY,
    PROJECT,
    REALISTIC_TIMING,
    SCALED_BUDGET,
    EmulatorProcess,
    corpus,
    emit,
)

import asyncclassify as ac

BUDGETS = {"service_budget": ("1000/60", 1000, 60.0), "scaled_budget": (SCALED_BUDGET, 100, 6.0)}
"""Name -> (emulator --rate-limit, requests_per_minute, rate_window)."""
RAW_POLL_INTERVAL = 0.05


async def _raw_job(endpoint: str) -> float:
    """Seconds from submit until a GET first says the job is done."""
    documents = [{"id": str(i), "language": "en", "text": t} for i, t in enumerate(corpus(25))]
    task = {
        "kind": "CustomSingleLabelClassification",
        "taskName": "0",
        "parameters": {"projectName": PROJECT, "deploymentName": DEPLOYMENT},
    }
    body = orjson.dumps({"analysisInput": {"documents": documents}, "tasks": [task]})
    headers = {"Ocp-Apim-Subscription-Key": KEY, "Content-Type": "application/json"}
    url = f"{endpoint}/language/analyze-text/jobs?api-version=2023-04-01"
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        async with session.post(url, data=body, headers=headers) as response:
            assert response.status == 202, response.status
            location = response.headers["operation-location"]
        while True:
            async with session.get(location, headers=headers) as response:
                assert response.status == 200, response.status
                status = orjson.loads(await response.read())["status"]
            if status == "succeeded":
                return time.perf_counter() - started
            await asyncio.sleep(RAW_POLL_INTERVAL)


async def _first_result(
    endpoint: str, documents: int, requests: int, window: float
) -> tuple[float, int]:
    """Seconds until the first result of `documents`, and the jobs submitted by then."""
    started = time.perf_counter()
    async with ac.Client(endpoint, KEY, requests_per_minute=requests, rate_window=window) as client:
        results = client.stream(corpus(documents), ac.SingleLabel(PROJECT, DEPLOYMENT))
        async with results:
            async for result in results:
                if not result.ok:
                    raise RuntimeError(repr(result))
                return time.perf_counter() - started, results.stats.jobs
    raise RuntimeError("no result")


async def _phases(limit: str, requests: int, window: float, documents: int) -> dict[str, Any]:
    arguments = ("--rate-limit", limit, *REALISTIC_TIMING, "--jitter", "0.3")
    with EmulatorProcess(*arguments) as emulator:
        await emulator.reset()
        job = await _raw_job(emulator.endpoint)
        await emulator.reset()
        one_job, _ = await _first_result(emulator.endpoint, 25, requests, window)
        await emulator.reset()
        first, jobs_submitted = await _first_result(emulator.endpoint, documents, requests, window)
    return {
        "emulator": " ".join(arguments),
        "job_s": round(job, 3),
        "one_job_s": round(one_job, 3),
        "first_result_s": round(first, 3),
        "jobs_submitted_by_first_result": jobs_submitted,
        "first_result_over_one_job": round(first / one_job, 3),
        "first_result_over_job": round(first / job, 3),
    }


async def _run(documents: int) -> dict[str, Any]:
    runs = {name: await _phases(*budget, documents) for name, budget in BUDGETS.items()}
    headline = runs["service_budget"]
    return {
        "benchmark": "first_result",
        "documents": documents,
        "first_result_s": headline["first_result_s"],
        "one_job_s": headline["one_job_s"],
        "first_result_over_one_job": headline["first_result_over_one_job"],
        "scaled_budget_first_result_over_one_job": runs["scaled_budget"][
            "first_result_over_one_job"
        ],
        "runs": runs,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=50_000)
    args = parser.parse_args()
    emit(asyncio.run(_run(args.documents)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
