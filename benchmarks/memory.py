"""Peak memory of a client process streaming 100,000 and 1,000,000 documents.

Memory must be bounded by configuration (batch size x jobs in flight x buffers), not by the
size of the corpus. Each size runs in a fresh child process that imports the client, streams
documents from a generator through `Client.stream()` and counts the results, so the peak RSS
(`ru_maxrss` of the child) belongs to that size alone. The emulator runs in a third process,
unthrottled and with jobs that finish at once, so the run is as fast as the client allows and
the corpus cannot hide behind a slow service. The child also reports its RSS right after the
imports, to show what the run itself added. The official SDK keeps no state across calls, so
it is not compared here.

    python benchmarks/memory.py [--sizes 100000 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson
from _harness import EmulatorProcess, Progress, corpus, emit, peak_rss_mb, rss_mb, run_ours

ZERO_LATENCY = (
    "--rate-limit", "none", "--fast", "--retention-seconds", "30",
    "--queue-delay", "0", "--base", "0", "--per-document", "0", "--jitter", "0",
)  # fmt: skip


async def _child(endpoint: str, documents: int) -> dict[str, Any]:
    progress = Progress()
    stats: dict[str, Any] = {}
    imported = rss_mb()
    started, cpu = time.perf_counter(), time.process_time()
    await run_ours(
        endpoint,
        corpus(documents),
        progress,
        stats,
        requests_per_minute=10**7,
        rate_window=1.0,
    )
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    if progress.documents != documents or progress.failed:
        raise RuntimeError(f"{progress.documents} results, {progress.failed} failed")
    return {
        "documents": documents,
        "peak_rss_mb": round(peak_rss_mb(), 1),
        "rss_after_imports_mb": round(imported, 1),
        "elapsed_s": round(elapsed, 1),
        "documents_per_s": round(documents / elapsed),
        "client_cpu_s": round(cpu, 1),
        "peak_documents_in_flight": stats["peak_documents_in_flight"],
    }


def _run_child(endpoint: str, documents: int) -> dict[str, Any]:
    command = [sys.executable, str(Path(__file__)), "--child", endpoint, str(documents)]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    result: dict[str, Any] = orjson.loads(output.strip().splitlines()[-1])
    return result


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--child", nargs=2, metavar=("ENDPOINT", "DOCUMENTS"), help="internal")
    args = parser.parse_args()
    if args.child:
        import asyncclassify  # noqa: F401  # counted in rss_after_imports_mb

        emit(asyncio.run(_child(args.child[0], int(args.child[1]))))
        return 0
    with EmulatorProcess(*ZERO_LATENCY) as emulator:
        runs = [_run_child(emulator.endpoint, size) for size in args.sizes]
    smallest, largest = runs[0], runs[-1]
    emit(
        {
            "benchmark": "memory",
            "emulator": " ".join(ZERO_LATENCY),
            "peak_rss_mb": {str(run["documents"]): run["peak_rss_mb"] for run in runs},
            "largest_over_smallest": round(largest["peak_rss_mb"] / smallest["peak_rss_mb"], 3),
            "runs": runs,
        }
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
