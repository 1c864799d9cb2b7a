"""Scenarios of service behaviour, run in virtual time, and the matrix the benchmark prints.

Time is scaled uniformly, as in the benchmarks against the emulator: the service's minute is
6 s, so jobs of about 1 s stand for the real service's 10 s, and the client's timing defaults
(its first-poll guess of 1 s) are scaled by the same tenth. What a scenario reports is
measured end to end, from a cold start to the last result, against the bound: one submit and
one GET per job of 25 documents within the budget (or within what the service can run, when
it runs fewer jobs at once than the budget would feed; or within what a pre-filled window
leaves).
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field, replace
from typing import Any

from .._pacing import PacingSettings
from .._pacing.pooling import PoolFinder
from ..emulator.config import RateLimit, Regime, Timing
from .client import EventLoop, SimulatedClient
from .service import SimulatedService

SCALE = 0.1
"""Seconds of these scenarios per second of the real service."""
WINDOW = 60.0 * SCALE
REQUESTS = 1000
DOCUMENTS_PER_JOB = 25
LATENCY = 0.05 * SCALE
"""One way, client to service."""
MEDIAN = 10.0 * SCALE
"""A typical job of 25 documents."""
DEFAULT_GUESS = 1.0 * SCALE
"""The client's default first-poll guess (1 s), scaled."""


def realistic_timing(sigma: float, **changes: Any) -> Timing:
    """Lognormal jobs of median `MEDIAN` (25 documents) after a short `notStarted` spell."""
    base = MEDIAN - 0.02 * DOCUMENTS_PER_JOB * SCALE
    timing = Timing(
        queue_delay=0.5 * SCALE,
        base=base,
        per_document=0.02 * SCALE,
        jitter=sigma,
        spread="lognormal",
    )
    return replace(timing, **changes)


@dataclass(frozen=True, slots=True)
class Scenario:
    """One situation: the service's behaviour, the client's guess, and the corpus."""

    name: str
    timing: Timing
    guess: float = DEFAULT_GUESS
    jobs: int = 3000
    rate_limit: RateLimit = field(
        default_factory=lambda: RateLimit(REQUESTS, WINDOW, retry_after_unit=SCALE)
    )
    clients: int = 1
    max_jobs_in_flight: int = 2000
    seed: int | str = 1
    """The service's randomness (its durations, spells and pick-up order)."""
    tasks: int = 1
    """Tasks per job, each with its own duration (the job ends with the last)."""
    one_client: bool = False
    """The clients are one client's resources (which may find that they share a budget),
    not separate processes."""

    def settings(self) -> PacingSettings:
        """The client's pacing, time-scaled like the service."""
        return PacingSettings(
            requests_per_minute=REQUESTS,
            window=WINDOW,
            first_poll=self.guess,
            max_jobs_in_flight=self.max_jobs_in_flight,
        )

    def service(self) -> SimulatedService:
        """The scenario's simulated service, fresh."""
        return SimulatedService(
            self.timing,
            self.rate_limit,
            documents_per_job=DOCUMENTS_PER_JOB,
            seed=self.seed,
            tasks=self.tasks,
        )

    def bound_documents_per_second(self, elapsed: float) -> float:
        """The most any client could do over a run of `elapsed` seconds."""
        limit = self.rate_limit
        requests = limit.requests / limit.per_seconds * elapsed
        if limit.prefill:
            # Each pre-filled request holds its place for the rest of its window.
            span = limit.prefill_seconds or limit.per_seconds
            held = sum(
                limit.per_seconds - span + span * (i + 1) / limit.prefill
                for i in range(limit.prefill)
            )
            requests -= held / limit.per_seconds
        budget = requests / 2 * DOCUMENTS_PER_JOB / elapsed
        running = self.timing.max_running_jobs
        if running is None:
            return budget
        mean_run = (self.timing.base + self.timing.per_document * DOCUMENTS_PER_JOB) * math.exp(
            self.timing.jitter**2 / 2
        )
        return min(budget, running / mean_run * DOCUMENTS_PER_JOB)


def simulate_model(scenario: Scenario) -> dict[str, Any]:
    """Run `scenario` to its end with the pacer driven by a model of the job code
    (`client.py`: fast, for the pacer's own tests); the figures of the run. Figures reported
    anywhere come from `simulate`, the client's own code."""
    loop = EventLoop()
    service = scenario.service()
    share = scenario.jobs // scenario.clients
    clients = [
        SimulatedClient(loop, service, scenario.settings(), jobs=share, latency=LATENCY)
        for _ in range(scenario.clients)
    ]
    if scenario.one_client:
        for index, client in enumerate(clients):
            client.pacer.label = f"resource {index}"
        pools = PoolFinder(client.pacer for client in clients)
        for client in clients:
            client.pacer.pools = pools
    loop.run(until=1e6)
    reports = [client.report for client in clients]
    started = min(r.started_at or 0.0 for r in reports)
    finished = max(r.finished_at or math.inf for r in reports)
    elapsed = finished - started
    jobs = sum(r.results for r in reports)
    gets = sum(r.gets for r in reports)
    requests = sum(r.requests for r in reports)
    throttled = sum(r.throttled for r in reports)
    bound = scenario.bound_documents_per_second(elapsed)
    first_polls = [done for r in reports for done in r.first_poll_done]
    return {
        "scenario": scenario.name,
        "fraction_of_bound": round(jobs * DOCUMENTS_PER_JOB / elapsed / bound, 3),
        "gets_per_job": round(gets / jobs, 3) if jobs else 0.0,
        "throttled": throttled,
        "throttled_fraction": round(throttled / requests, 4) if requests else 0.0,
        "first_result_s": round(min(r.first_result_at or math.inf for r in reports) - started, 3),
        "elapsed_s": round(elapsed, 2),
        "jobs": jobs,
        "peak_in_flight": max(r.peak_in_flight for r in reports),
        "first_poll_success": round(sum(first_polls) / len(first_polls), 3) if first_polls else 0,
        "granted": dict(sum((client.pacer.granted for client in clients), Counter())),
        "finished_s_by_client": [round((r.finished_at or math.inf) - started, 2) for r in reports],
        "pooled": sum(
            any(d.what == "one budget with other resources" for d in client.pacer.decisions)
            for client in clients
        ),
    }


def matrix() -> list[Scenario]:
    """The scenarios the pacing targets are judged on."""
    scenarios = []
    for sigma in (0.2, 0.4, 0.7):
        for label, guess in (
            ("10x short", MEDIAN / 10),
            ("right", MEDIAN),
            ("3x long", 3 * MEDIAN),
        ):
            scenarios.append(
                Scenario(f"sigma {sigma}, guess {label}", realistic_timing(sigma), guess=guess)
            )
    scenarios.append(
        Scenario(
            "heavy tail (log-logistic, sigma 0.4)",
            realistic_timing(0.4, spread="loglogistic"),
        )
    )
    scenarios.append(
        Scenario(
            "long queue (20 running at once)",
            realistic_timing(0.4, max_running_jobs=20),
        )
    )
    scenarios.append(
        Scenario(
            "regime change (twice as slow for 2 windows)",
            realistic_timing(0.4, regimes=(Regime(2 * WINDOW, 4 * WINDOW, 2.0),)),
        )
    )
    scenarios.append(
        Scenario(
            "window pre-filled by another client (900 of 1000)",
            realistic_timing(0.4),
            rate_limit=RateLimit(REQUESTS, WINDOW, prefill=900, retry_after_unit=SCALE),
        )
    )
    scenarios.append(
        Scenario(
            "window pre-filled in a burst (900 in its last tenth)",
            realistic_timing(0.4),
            rate_limit=RateLimit(
                REQUESTS, WINDOW, prefill=900, prefill_seconds=WINDOW / 10, retry_after_unit=SCALE
            ),
        )
    )
    scenarios.append(Scenario("two clients on one key", realistic_timing(0.4), clients=2))
    return scenarios


def wider() -> list[Scenario]:
    """Situations beyond the matrix, each judged against its clairvoyant ceiling rather than
    the bound (which no client reaches there): start spells that vary widely from job to job,
    jobs of three tasks that finish apart, and a run of two windows."""
    return [
        Scenario(
            "start spells that vary (median 3 s, spread 1.0)",
            realistic_timing(0.4, queue_delay=3 * SCALE, queue_jitter=1.0),
        ),
        Scenario("three tasks a job, finishing apart", realistic_timing(0.4), tasks=3),
        Scenario("a short run (two windows)", realistic_timing(0.4), jobs=REQUESTS),
    ]
