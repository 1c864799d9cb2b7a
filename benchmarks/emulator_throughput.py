"""How many job GETs per second the emulator serves on one core.

Starts the emulator through its command line in a subprocess (unthrottled, fast
timing, pinned to one core where possible), submits N jobs, waits for them to finish,
then drives as many concurrent job GETs as it can for a few seconds. The last line
printed is one JSON object with the figures.

    python benchmarks/emulator_throughput.py --jobs 200 --seconds 3 --concurrency 64
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import subprocess
import sys
import time

import aiohttp
import orjson

KEY = "bench-key"
HEADERS = {"Ocp-Apim-Subscription-Key": KEY, "Content-Type": "application/json"}


def _pin(pid: int, core: int) -> bool:
    try:
        os.sched_setaffinity(pid, {core})
    except (AttributeError, OSError):
        return False
    return True


def _body(job: int, documents: int) -> bytes:
    docs = [
        {"id": f"{job}-{i}", "text": f"My invoice {job}/{i} was charged twice", "language": "en"}
        for i in range(documents)
    ]
    task = {
        "kind": "CustomSingleLabelClassification",
        "taskName": "route",
        "parameters": {"projectName": "support", "deploymentName": "prod"},
    }
    return orjson.dumps({"analysisInput": {"documents": docs}, "tasks": [task]})


async def _drive(
    endpoint: str, jobs: int, documents: int, seconds: float, concurrency: int
) -> dict[str, object]:
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:
        submit = f"{endpoint}/language/analyze-text/jobs?api-version=2023-04-01"

        async def one(job: int) -> str:
            async with session.post(submit, data=_body(job, documents), headers=HEADERS) as r:
                assert r.status == 202, r.status
                return r.headers["operation-location"]

        urls = await asyncio.gather(*(one(j) for j in range(jobs)))
        for url in urls:  # wait until every job is terminal
            while True:
                async with session.get(url, headers=HEADERS) as r:
                    if (await r.json())["status"] == "succeeded":
                        break
                await asyncio.sleep(0.01)

        served = 0
        errors = 0
        cycle = itertools.cycle(urls)
        deadline = time.perf_counter() + seconds

        async def worker() -> None:
            nonlocal served, errors
            while time.perf_counter() < deadline:
                async with session.get(next(cycle), headers=HEADERS) as r:
                    await r.read()
                    if r.status == 200:
                        served += 1
                    else:
                        errors += 1

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
    return {"gets": served, "errors": errors, "elapsed_s": round(elapsed, 3),
            "gets_per_s": round(served / elapsed, 1)}  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=200)
    parser.add_argument("--documents", type=int, default=20)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    command = [
        sys.executable, "-m", "asyncclassify.emulator", "--port", "0", "--key", KEY,
        "--rate-limit", "none", "--fast",
    ]  # fmt: skip
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )
    try:
        cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
        pinned = len(cores) > 1 and _pin(process.pid, cores[0]) and _pin(0, cores[1])
        assert process.stdout is not None
        endpoint = process.stdout.readline().strip()
        result = asyncio.run(
            _drive(endpoint, args.jobs, args.documents, args.seconds, args.concurrency)
        )
    finally:
        process.terminate()
        process.wait(timeout=10)
    result.update(
        benchmark="emulator_throughput",
        jobs=args.jobs,
        documents_per_job=args.documents,
        concurrency=args.concurrency,
        emulator_pinned_to_one_core=pinned,
    )
    print(orjson.dumps(result).decode())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
