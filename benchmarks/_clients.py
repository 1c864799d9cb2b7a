"""One client run in its own process, from a cold start: ours or the official SDK.

    python benchmarks/_clients.py ours ENDPOINT SCENARIO [--documents N]
    python benchmarks/_clients.py sdk ENDPOINT SCENARIO --concurrency C --polling P --seconds S

`ours` streams the scenario's corpus through a new `asyncclassify.Client` (time-scaled
options) and measures it end to end: from the call to the last result. `sdk` runs a pool of
`C` workers on one `aio.TextAnalyticsClient` for `S` seconds from a cold start, each calling
`begin_single_label_classify` on the next 25 documents (polling every `P` seconds) and
reading every page. Both print one JSON object: documents answered and failed, elapsed
seconds, the time to the first result, and client CPU seconds.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from _harness import (
    DEPLOYMENT,
    KEY,
    PROJECT,
    Progress,
    chunks,
    corpus,
    emit,
    run_sdk,
    scaled_options,
)

from asyncclassify._simulation import matrix, wider
from asyncclassify._simulation.scenarios import DOCUMENTS_PER_JOB, REQUESTS, SCALE, WINDOW


def _scenario(name: str) -> Any:
    return next(scenario for scenario in [*matrix(), *wider()] if scenario.name == name)


async def _ours(endpoint: str, name: str, documents: int | None) -> dict[str, Any]:
    import asyncclassify as ac

    scenario = _scenario(name)
    count = documents or scenario.jobs // scenario.clients * DOCUMENTS_PER_JOB
    options = scaled_options(SCALE, WINDOW, REQUESTS, scenario.guess)
    failed = 0
    first: float | None = None
    cpu = time.process_time()
    started = time.perf_counter()
    tasks = [
        ac.SingleLabel(PROJECT, DEPLOYMENT),
        ac.MultiLabel("genres", DEPLOYMENT),
        ac.CustomEntities("loans", DEPLOYMENT),
    ][: scenario.tasks]
    async with ac.Client(endpoint, KEY, **options) as client:
        async with client.stream(corpus(count), *tasks) as stream:
            async for result in stream:
                if first is None:
                    first = time.perf_counter() - started
                if not result.ok:
                    failed += 1
        elapsed = time.perf_counter() - started
        return {
            "documents": count,
            "failed": failed,
            "elapsed_s": round(elapsed, 3),
            "first_result_s": round(first or 0.0, 3),
            "client_cpu_s": round(time.process_time() - cpu, 3),
            "stats": stream.stats.as_dict(),
            "granted": dict(client.pacer.granted),
            "peak_jobs_in_flight": client.pacer.in_flight.peak_jobs,
            # Every change of course, with its reason: a slow row explains itself.
            "decisions": [f"{d.what}: {d.reason}" for d in client.pacer.decisions],
        }


async def _sdk(endpoint: str, concurrency: int, polling: float, seconds: float) -> dict[str, Any]:
    progress = Progress()
    cpu = time.process_time()
    started = time.perf_counter()
    pool = asyncio.ensure_future(
        run_sdk(
            endpoint, chunks(corpus()), progress, concurrency=concurrency, polling_interval=polling
        )
    )
    await asyncio.sleep(seconds)
    done_at = time.perf_counter() - started
    answered, failed = progress.documents, progress.failed
    pool.cancel()
    await asyncio.gather(pool, return_exceptions=True)
    first = progress.first_at - started if progress.first_at is not None else 0.0
    return {
        "documents": answered,
        "failed": failed,
        "elapsed_s": round(done_at, 3),
        "first_result_s": round(first, 3),
        "client_cpu_s": round(time.process_time() - cpu, 3),
        "errors": progress.errors,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("client", choices=["ours", "sdk"])
    parser.add_argument("endpoint")
    parser.add_argument("scenario")
    parser.add_argument("--documents", type=int)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--polling", type=float, default=5.0 * SCALE)
    parser.add_argument("--seconds", type=float, default=30.0)
    args = parser.parse_args()
    if args.client == "ours":
        emit(asyncio.run(_ours(args.endpoint, args.scenario, args.documents)))
    else:
        emit(asyncio.run(_sdk(args.endpoint, args.concurrency, args.polling, args.seconds)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
