"""Every document answered, exactly once, through every fault the emulator has at once.

100,000 documents, two tasks per job (single-label and entities), every fault kind at 10%
at once (5xx with and without Retry-After, resets, lost submit responses, slow answers, failed
jobs and tasks, bodies cut short; not the foreign origin, which stops a call by design),
result pages of 7 documents, jobs forgotten 5 s after they were created, and a 100 s outage
mid-run after which the service comes back with no jobs. The client runs with its default
retry policy (a ten-minute horizon), so the outage is ridden out, not given up on.

Each result is checked against the emulator's model. Targets: 0 lost, 0 duplicated, 0 wrong,
0 error results; jobs the client never saw accepted at most the orphans it counted.

    python benchmarks/soak.py [--documents 100000] [--outage-seconds 100]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import Counter
from typing import Any

from _harness import KEY, EmulatorProcess, emit

import asyncclassify as ac
from asyncclassify.emulator.config import DEFAULT_PROJECTS
from asyncclassify.emulator.model import classify_single, recognize_entities

FAULTS = (
    "submit_error", "get_error", "connection_reset", "lost_submit_response", "slow_response",
    "job_failed", "task_failed", "truncated_body",
)  # fmt: skip
PROJECTS = {project.kind: project for project in DEFAULT_PROJECTS}
SINGLE = ac.SingleLabel(PROJECTS["single"].name, PROJECTS["single"].deployment)
ENTITIES = ac.CustomEntities(PROJECTS["entities"].name, PROJECTS["entities"].deployment)
_TEXTS = (
    "Zoë Müller says the invoice was charged twice; refund ${n}.50 by Monday",
    "José Ñúñez: the app crashes on start 😀, ticket {n}",
    "Li Wei writes from the 東京 office: parcel {n} is late",
    "Amélie Dubois thanks you for the quick help with loan {n}",
)


def text(n: int) -> str:
    """Document `n` of the corpus (all distinct)."""
    return _TEXTS[n % len(_TEXTS)].replace("{n}", str(n))


def wrong(result: ac.Result) -> bool:
    """Whether an answered result differs from the emulator's model answer."""
    body = text(int(result.id))
    single, entities = result.tasks
    (label,) = single.labels
    expected = classify_single(body, PROJECTS["single"].labels)
    if (label.category, label.confidence) != (expected.category, expected.confidence):
        return True
    matches = recognize_entities(body, PROJECTS["entities"].labels, unit="UnicodeCodePoint")
    found = [(e.text, e.category, e.offset, e.length) for e in entities.entities]
    return found != [(m.text, m.category, m.offset, m.length) for m in matches]


async def soak(documents: int, outage: float, outage_at: float) -> dict[str, Any]:
    faults = [argument for name in FAULTS for argument in ("--fault", f"{name}=0.1")]
    with EmulatorProcess(
        "--rate-limit", "1000/6", "--queue-delay", "0.1", "--base", "0.3", "--per-document",
        "0.01", "--jitter", "0.4", "--spread", "lognormal", "--slow-seconds", "1",
        "--page-size", "7", "--top-limit", "7", "--retention-seconds", "5",
        "--outage", f"{outage_at:g}:{outage:g}", *faults,
    ) as emulator:  # fmt: skip
        seen: Counter[str] = Counter()
        errors: Counter[str] = Counter()
        mismatched = 0
        started = time.perf_counter()
        corpus = ((str(n), text(n)) for n in range(documents))
        async with (
            ac.Client(emulator.endpoint, KEY, requests_per_minute=1000, rate_window=6) as client,
            client.stream(corpus, SINGLE, ENTITIES) as stream,
        ):
            async for result in stream:
                seen[result.id] += 1
                failures = [task.error for task in result.tasks if task.error is not None]
                for error in failures:
                    errors[error.code] += 1
                if not failures and wrong(result):
                    mismatched += 1
        elapsed = time.perf_counter() - started
        served = await emulator.stats()
    stats = stream.stats
    lost = documents - len(seen)
    return {
        "benchmark": "soak",
        "documents": documents,
        "outage_s": outage,
        "elapsed_s": round(elapsed, 1),
        "lost": lost,
        "duplicated": sum(1 for n in seen.values() if n > 1),
        "wrong": mismatched,
        "error_results": sum(errors.values()),
        "errors_by_code": dict(errors),
        "faults_injected": served["faults"],
        "jobs_created": served["jobs_created"],
        "jobs_accepted": stats.jobs,
        "extra_jobs": served["jobs_created"] - stats.jobs,
        "orphans": stats.orphans,
        "resubmits": stats.resubmits,
        "retries": stats.retries,
        "requests": stats.requests,
        "gets_per_job": round(stats.gets_per_job, 3),
        "targets_met": lost == 0
        and mismatched == 0
        and not errors
        and all(n == 1 for n in seen.values())
        and served["jobs_created"] - stats.jobs <= stats.orphans,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=100_000)
    parser.add_argument("--outage-seconds", type=float, default=100.0)
    parser.add_argument("--outage-at", type=float, default=60.0, help="seconds after the first job")
    args = parser.parse_args()
    emit(asyncio.run(soak(args.documents, args.outage_seconds, args.outage_at)))


if __name__ == "__main__":
    main()
