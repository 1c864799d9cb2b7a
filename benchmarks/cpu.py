"""Client CPU per document, against the official SDK, with a service that costs nothing.

The emulator runs in its own process, unthrottled and with jobs that finish at once
(`--rate-limit none --fast --queue-delay 0 --base 0 --per-document 0`), so what is left in
the benchmark process is the client's own work: building bodies, sending requests, parsing
answers, handing out results. Measured as `time.process_time()` of this process over a run
of N documents (the emulator's CPU is in the other process and not counted), divided by N.

Both clients run the same corpus with the same number of jobs in flight (32), after a short
warm-up run each (imports, connection pool). Ours streams a generator through
`Client.stream()`; the SDK runs a pool of workers sharing one `aio.TextAnalyticsClient`, each
calling `begin_single_label_classify` on 25 documents and reading every result page, with
`polling_interval=0.01` (jobs are done by the first GET, so the interval changes nothing but
the SDK's idle time). GETs per job are reported for both, from the emulator's counters.

    python benchmarks/cpu.py [--documents 20000] [--sdk-documents 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from _harness import EmulatorProcess, Progress, chunks, corpus, delta, emit, run_ours, run_sdk

import asyncclassify as ac

ZERO_LATENCY = (
    "--rate-limit", "none", "--fast",
    "--queue-delay", "0", "--base", "0", "--per-document", "0", "--jitter", "0",
)  # fmt: skip
CONCURRENCY = 32


async def _ours(endpoint: str, documents: int) -> Progress:
    progress = Progress()
    stats: dict[str, Any] = {}
    await run_ours(
        endpoint,
        corpus(documents),
        progress,
        stats,
        pacing=ac.Pacing(max_jobs_in_flight=CONCURRENCY),
        requests_per_minute=10**7,
        rate_window=1.0,
    )
    return progress


async def _sdk(endpoint: str, documents: int) -> Progress:
    progress = Progress()
    await run_sdk(
        endpoint,
        chunks(corpus(documents)),
        progress,
        concurrency=CONCURRENCY,
        polling_interval=0.01,
    )
    return progress


async def _measure(emulator: EmulatorProcess, client: Any, documents: int) -> dict[str, Any]:
    await client(emulator.endpoint, min(documents, 1000))  # warm-up
    await emulator.reset()
    before = await emulator.stats()
    cpu, wall = time.process_time(), time.perf_counter()
    progress = await client(emulator.endpoint, documents)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    served = delta(await emulator.stats(), before)
    if progress.documents != documents or progress.failed:
        raise RuntimeError(f"{progress.documents} results, {progress.failed} failed")
    return {
        "documents": documents,
        "cpu_s": round(cpu, 3),
        "wall_s": round(wall, 3),
        "cpu_us_per_document": round(cpu / documents * 1e6, 1),
        "gets_per_job": served["gets_per_job"],
        "requests": served["requests"],
    }


async def _run(documents: int, sdk_documents: int) -> dict[str, Any]:
    with EmulatorProcess(*ZERO_LATENCY) as emulator:
        ours = await _measure(emulator, _ours, documents)
        sdk = await _measure(emulator, _sdk, sdk_documents)
    return {
        "benchmark": "cpu",
        "emulator": " ".join(ZERO_LATENCY),
        "concurrency": CONCURRENCY,
        "cpu_us_per_document": ours["cpu_us_per_document"],
        "sdk_cpu_us_per_document": sdk["cpu_us_per_document"],
        "fraction_of_sdk": round(ours["cpu_us_per_document"] / sdk["cpu_us_per_document"], 3),
        "asyncclassify": ours,
        "sdk": sdk,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=20_000)
    parser.add_argument("--sdk-documents", type=int, default=5_000)
    args = parser.parse_args()
    emit(asyncio.run(_run(args.documents, args.sdk_documents)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
