"""Several resources in one client: throughput over four, and one dying mid-run.

Four emulator processes, each a resource with its own budget (1,000 requests per window) and
realistic timing (lognormal jobs, sigma 0.4, median 10 s on the service), time scaled
uniformly by `--speed`: the window, the job durations and the client's own timing defaults
(`_harness.scaled_options`) and drainage (a resource failing for a window is drained) alike,
measured end to end from a cold start.

* `four resources`: 4 x 75,000 documents through one `Client(resources=[...])`; the bound is
  four times one resource's (one submit and one GET per job of 25 documents).
* `one of four dies`: the same, with one emulator process killed once a third of the
  documents have their results. Every document must come back exactly once with the model's
  answer and no error; reported: the fraction of the bound over the run (the dead resource's
  budget counted until it died), how long after the kill the dead resource was drained, and
  the throughput of the survivors afterwards against their three budgets.
* `four resources on one budget` (only with `--only shared`): four `Resource`s that are,
  unknown to the client, one budget (one emulator, one key: the service's limit may hold
  per subscription or region rather than per resource), `--documents` in all; the bound is
  one resource's. Reported: the fraction of that bound and the share of requests 429.

Five processes and the client share the machine's cores: at ten times the service's speed
four resources need about four times the CPU one does, so `--speed` (default 5) runs them
slower, with everything scaled alike.

With `--spell S --spell-jitter SIGMA` the jobs' `notStarted` spells vary from job to job
(median S seconds on the service's scale): a service with no queue at all, on which a pacer
that took a late start for a queue would hold one resource back.

    python benchmarks/resources.py [--documents 75000] [--only four|dies|shared] [--speed 5]
        [--spell 1.5 --spell-jitter 0.4]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from contextlib import ExitStack
from dataclasses import replace
from typing import Any

from _harness import (
    DEPLOYMENT,
    PROJECT,
    EmulatorProcess,
    corpus,
    emit,
    emulated_resources,
    emulator_arguments,
    retimed,
)

from asyncclassify._simulation.scenarios import DOCUMENTS_PER_JOB, REQUESTS

RESOURCES = 4
SCENARIO = "sigma 0.4, guess right"


async def _run(
    endpoints: list[str],
    documents: int,
    scenario: Any,
    scale: float,
    kill: Any = None,
    budgets: int = RESOURCES,
) -> dict[str, Any]:
    import asyncclassify as ac

    window = scenario.rate_limit.per_seconds
    resources, options = emulated_resources(endpoints, scenario, scale)
    drainage = ac.Drainage(drain_after=60.0 * scale, revive_after=300.0 * scale)
    from asyncclassify.emulator import DEFAULT_PROJECTS
    from asyncclassify.emulator.model import classify_single

    labels = next(p.labels for p in DEFAULT_PROJECTS if p.name == PROJECT)
    texts = list(corpus(documents))
    seen: set[int] = set()
    failed = duplicated = wrong = 0
    killed_at: float | None = None
    after_kill = 0
    started = time.perf_counter()
    async with ac.Client(resources=resources, drainage=drainage, **options) as client:
        task = ac.SingleLabel(PROJECT, DEPLOYMENT)
        async with client.stream(corpus(documents), task) as stream:
            async for result in stream:
                if result.index in seen:
                    duplicated += 1
                seen.add(result.index)
                if not result.ok:
                    failed += 1
                elif (
                    result.labels[0].category
                    != classify_single(texts[result.index], labels).category
                ):
                    wrong += 1
                if killed_at is not None:
                    after_kill += 1
                elif kill is not None and len(seen) == documents // 3:
                    kill()
                    killed_at = time.perf_counter()
        elapsed = time.perf_counter() - started
        stats = stream.stats
    figures: dict[str, Any] = {
        "documents": documents,
        "results": len(seen),
        "lost": documents - len(seen),
        "duplicated": duplicated,
        "error_results": failed,
        "wrong_answers": wrong,
        "elapsed_s": round(elapsed, 2),
        "documents_per_s": round(len(seen) / elapsed, 1),
        "gets_per_job": round(stats.gets_per_job, 3),
        "throttled": stats.throttled,
        "throttled_fraction": round(
            stats.throttled / max(1, sum(c.requests for c in stats.resources.values())), 5
        ),
        "by_resource": {
            label: {
                "jobs": counts.jobs,
                "requests_per_window": counts.requests_per_window,
                "throttled": counts.throttled,
                "drained": counts.drained,
                "jobs_in_flight_cap": counts.jobs_in_flight_cap,
                "pacing": counts.pacing,
            }
            for label, counts in stats.resources.items()
        },
    }
    bound = REQUESTS / window / 2 * DOCUMENTS_PER_JOB
    if killed_at is None:
        figures["bound_documents_per_s"] = round(budgets * bound, 1)
        figures["fraction_of_bound"] = round(len(seen) / elapsed / (budgets * bound), 3)
        jobs = [counts.jobs for counts in stats.resources.values()]
        mean = sum(jobs) / len(jobs)
        figures["jobs_spread_from_mean"] = round(max(abs(j - mean) for j in jobs) / mean, 3)
    else:
        before = killed_at - started
        budget = RESOURCES * bound * before + (RESOURCES - 1) * bound * (elapsed - before)
        figures["fraction_of_bound"] = round(len(seen) / budget, 3)
        survivors = after_kill / max(elapsed - before, 1e-9)
        figures["after_kill_fraction_of_three"] = round(survivors / (3 * bound), 3)
        figures["killed_after_s"] = round(before, 2)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=75_000, help="per resource")
    parser.add_argument("--only", choices=["four", "dies", "shared"])
    parser.add_argument("--speed", type=float, default=5.0, help="service time speed-up")
    parser.add_argument(
        "--spell",
        type=float,
        default=None,
        help="the notStarted spell's median on the service's scale (default 0.5 s)",
    )
    parser.add_argument(
        "--spell-jitter",
        type=float,
        default=0.0,
        help="the spell varies from job to job: the spread of its log (0.4: like durations)",
    )
    args = parser.parse_args()
    scale = 1 / args.speed
    scenario = retimed(SCENARIO, scale)
    timing = scenario.timing
    spell = timing.queue_delay if args.spell is None else args.spell * scale
    timing = replace(timing, queue_delay=spell, queue_jitter=args.spell_jitter)
    scenario = replace(scenario, timing=timing)
    total = args.documents * RESOURCES
    rows: dict[str, Any] = {}
    names = {"four": "four resources", "dies": "one of four dies", "shared": "four on one budget"}
    for name, row in names.items():
        if args.only != name and (args.only or name == "shared"):
            continue
        with ExitStack() as stack:
            processes = 1 if name == "shared" else RESOURCES
            emulators = [
                stack.enter_context(EmulatorProcess(*emulator_arguments(scenario), seed=n))
                for n in range(processes)
            ]
            kill = emulators[1].kill if name == "dies" else None
            if name == "shared":
                endpoints = [emulators[0].endpoint] * RESOURCES
                documents, budgets = args.documents, 1
            else:
                endpoints = [e.endpoint for e in emulators]
                documents, budgets = total, RESOURCES
            figures = asyncio.run(_run(endpoints, documents, scenario, scale, kill, budgets))
        rows[row] = figures
        print(name, figures, flush=True)
    emit({"benchmark": "resources", "scale": scale, "resources": RESOURCES, "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
