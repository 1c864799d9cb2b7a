"""Documents per (scaled) minute under the service's request budget, against the official SDK.

The service allows 1,000 requests per minute per resource, submits and polls together; a job
holds at most 25 documents, so no client can do better than 500 jobs = 12,500 documents per
minute (one POST and one GET per job). Here the minute is scaled to 6 s (emulator
`--rate-limit 100/6`, the same 16.7 requests per second as the service, in a shorter window)
and jobs take about 2.3 s with jitter (queue 0.3 s + 1.5 s + 0.02 s per document, +-30%),
so the bound is 1,250 documents per 6 s.

Measured, each against its own emulator process with identical settings and seed, all at
the same time in this process (every client together uses a small fraction of one core, so
they do not slow each other down), over one steady-state window after a warm-up:

* `asyncclassify.Client(requests_per_minute=100, rate_window=6)` streaming an endless
  generator, with its default `max_concurrency=100`;
* the official SDK (`azure-ai-textanalytics`, one shared `aio.TextAnalyticsClient`) run the
  way its documentation shows, by a pool of workers each calling
  `begin_single_label_classify` on the next 25 documents and reading every result page:
  at its default polling (poll at once, then every 5 s) with the same concurrency (100 jobs in
  flight), and tuned: smaller pools (25 jobs) at the default and at shorter polling intervals.
  The SDK has no shared budget, so it meets 429s and retries after `Retry-After`, as its users'
  programs do; the emulator does not charge refused requests to the budget, which favours the
  SDK.

Figures: documents per scaled minute and their fraction of the 12,500 bound, GETs per job,
requests answered 429 (counted by the emulator, and by our client), client CPU seconds.

    python benchmarks/throughput.py [--warmup 15] [--window 40]
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from _harness import (
    REALISTIC_TIMING,
    SCALED_BUDGET,
    EmulatorProcess,
    Progress,
    chunks,
    corpus,
    emit,
    measure,
    run_ours,
    run_sdk,
)

SCALED_MINUTE = 6.0
BOUND_PER_SCALED_MINUTE = 1_250
"""50 jobs of 25 documents, each costing one submit and one GET, in 100 requests: the
service's 12,500 documents per minute."""
SDK_SETTINGS: dict[str, tuple[int, float | None]] = {
    "sdk_default": (100, None),
    "sdk_default_25": (25, None),
    "sdk_poll_2.5s_25": (25, 2.5),
    "sdk_poll_1s_25": (25, 1.0),
}
"""Name -> (jobs in flight, polling_interval or None for the SDK's default)."""


def _scaled(figures: dict[str, Any]) -> dict[str, Any]:
    per_minute = figures["documents_per_s"] * SCALED_MINUTE
    figures["documents_per_scaled_minute"] = round(per_minute)
    figures["fraction_of_bound"] = round(per_minute / BOUND_PER_SCALED_MINUTE, 3)
    return figures


def _sdk(
    endpoint: str, concurrency: int, interval: float | None
) -> Callable[[Progress], Awaitable[None]]:
    async def sdk(progress: Progress) -> None:
        await run_sdk(
            endpoint,
            chunks(corpus()),
            progress,
            concurrency=concurrency,
            polling_interval=interval,
        )

    return sdk


async def _measure_all(warmup: float, window: float) -> dict[str, Any]:
    arguments = ("--rate-limit", SCALED_BUDGET, *REALISTIC_TIMING, "--jitter", "0.3")
    names = ["asyncclassify", *SDK_SETTINGS]
    emulators = [EmulatorProcess(*arguments) for _ in names]
    for emulator in emulators:
        emulator.__enter__()
    try:
        ours_stats: dict[str, Any] = {}

        async def ours(progress: Progress) -> None:
            await run_ours(
                emulators[0].endpoint,
                corpus(),
                progress,
                ours_stats,
                requests_per_minute=100,
                rate_window=SCALED_MINUTE,
            )

        runs: list[Callable[[Progress], Awaitable[None]]] = [ours]
        for emulator, (concurrency, interval) in zip(
            emulators[1:], SDK_SETTINGS.values(), strict=True
        ):
            runs.append(_sdk(emulator.endpoint, concurrency, interval))
        measured = await asyncio.gather(
            *(
                measure(run, emulator, warmup, window)
                for run, emulator in zip(runs, emulators, strict=True)
            )
        )
    finally:
        for emulator in emulators:
            emulator.__exit__()
    figures = {name: _scaled(m) for name, m in zip(names, measured, strict=True)}
    ours = figures["asyncclassify"]
    ours["client_stats"] = {
        key: ours_stats.get(key) for key in ("requests", "throttled", "retries", "gets_per_job")
    }
    ours["max_concurrency"] = 100
    for name, (concurrency, interval) in SDK_SETTINGS.items():
        figures[name]["concurrency"] = concurrency
        figures[name]["polling_interval"] = interval if interval is not None else "default (5 s)"
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--warmup", type=float, default=15.0)
    parser.add_argument("--window", type=float, default=40.0)
    args = parser.parse_args()
    runs = asyncio.run(_measure_all(args.warmup, args.window))
    ours = runs["asyncclassify"]["documents_per_s"]
    tuned = [name for name in SDK_SETTINGS if name != "sdk_default"]
    best = max(tuned, key=lambda name: runs[name]["documents_per_s"])
    emulator = runs["asyncclassify"]["emulator"]
    emit(
        {
            "benchmark": "throughput",
            "emulator": f"--rate-limit {SCALED_BUDGET} {' '.join(REALISTIC_TIMING)} --jitter 0.3",
            "documents_per_scaled_minute": runs["asyncclassify"]["documents_per_scaled_minute"],
            "bound_documents_per_scaled_minute": BOUND_PER_SCALED_MINUTE,
            "fraction_of_bound": runs["asyncclassify"]["fraction_of_bound"],
            "gets_per_job": emulator["gets_per_job"],
            "throttled_fraction": emulator["throttled_fraction"],
            "vs_sdk_default": round(ours / max(runs["sdk_default"]["documents_per_s"], 1e-9), 2),
            "sdk_best_tuned": best,
            "vs_sdk_best_tuned": round(ours / max(runs[best]["documents_per_s"], 1e-9), 2),
            "runs": runs,
        }
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
