"""A scenario run by the client's own code: `Client.stream` over a `MockTransport` that answers
from simulated services, on an event loop with a virtual clock.

Every simulated figure comes from here: the code users run (its job operations and batch
runner, retries, pipeline and emitter, and the pacer as they drive it) against a simulated
service. The client's timing defaults are scaled as the service's time is (`scaled_options`).
`simulate_model` (a model of the job code driving the pacer, about five times faster) serves
the pacer's own tests only.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import anyio

from .._client import Client
from .._job.retrying import RetryPolicy
from .._models import SingleLabel, Task
from .._resources.links import Resource
from .._settings import Pacing
from .scenarios import DOCUMENTS_PER_JOB, LATENCY, SCALE, Scenario
from .virtual import run_virtual
from .wire import SimulatedWire

KEY = "simulated-key"
TASK: Task = SingleLabel("simulated", "production")


def scaled_options(scale: float, guess: float, max_jobs_in_flight: int = 2000) -> dict[str, Any]:
    """`Client` options for a service whose time runs at `scale` seconds per real second: the
    client's own timing defaults (first-poll guess, retries, timeouts) scaled alike, so that
    jobs in flight are what they would be on the service."""
    default = RetryPolicy()
    return {
        "pacing": Pacing(first_poll=guess, max_jobs_in_flight=max_jobs_in_flight),
        "retry": RetryPolicy(
            horizon=default.horizon * scale,
            backoff_base=default.backoff_base * scale,
            backoff_max=default.backoff_max * scale,
            max_retry_after=default.max_retry_after * scale,
            connect_timeout=default.connect_timeout * scale,
            submit_timeout=default.submit_timeout * scale,
            poll_timeout=default.poll_timeout * scale,
            first_contact=default.first_contact * scale,
            job_timeout=default.job_timeout * scale,
        ),
    }


def simulate(scenario: Scenario) -> dict[str, Any]:
    """Run `scenario` with the client's own code to its end; the figures of the run."""
    return dict(run_virtual(lambda: _run(scenario)))


async def _run(scenario: Scenario) -> dict[str, Any]:
    service = scenario.service()
    clients = scenario.clients
    origins = [f"http://127.0.0.{index + 1}" for index in range(clients)]
    wire = SimulatedWire(dict.fromkeys(origins, service), latency=LATENCY)
    limit = scenario.rate_limit
    options = scaled_options(SCALE, scenario.guess, scenario.max_jobs_in_flight)
    share = scenario.jobs // clients * DOCUMENTS_PER_JOB
    finished: list[float] = []
    results = 0
    tasks = (TASK,) * scenario.tasks

    async def one_client(resources: list[Resource], documents: int, offset: int) -> None:
        nonlocal results
        texts = (f"document {offset + index}" for index in range(documents))
        async with Client(resources=resources, transport=wire.transport(), **options) as client:
            async for result in client.stream(texts, *tasks):
                if not results:
                    first_results.append(anyio.current_time())
                results += 1
                if not result.ok:
                    errors.append(repr(result))
            finished.append(anyio.current_time())
            pacers = [link.pacer for link in client._links]
            decisions.extend(decision.what for pacer in pacers for decision in pacer.decisions)
            peaks.extend(pacer.in_flight.peak_jobs for pacer in pacers)
            for pacer in pacers:
                granted.update(pacer.granted)

    decisions: list[str] = []
    first_results: list[float] = []
    granted: Counter[str] = Counter()
    errors: list[str] = []
    peaks: list[int] = []
    resources = [
        Resource(origin, KEY, limit.requests, rate_window=limit.per_seconds, name=f"r{index}")
        for index, origin in enumerate(origins)
    ]
    async with anyio.create_task_group() as group:
        if scenario.one_client:
            group.start_soon(one_client, resources, share * clients, 0)
        else:
            for index, resource in enumerate(resources):
                group.start_soon(one_client, [resource], share, index * share)
    started = wire.first_request_at or 0.0
    elapsed = max(finished) - started
    jobs = results / DOCUMENTS_PER_JOB
    counts = wire.counts
    requests = counts["submits"] + counts["gets"]
    bound = scenario.bound_documents_per_second(elapsed)
    return {
        "scenario": scenario.name,
        "fraction_of_bound": round(results / elapsed / bound, 3),
        "gets_per_job": round(counts["gets"] / jobs, 3) if jobs else 0.0,
        "throttled": counts["throttled"],
        "throttled_fraction": round(counts["throttled"] / requests, 4) if requests else 0.0,
        "elapsed_s": round(elapsed, 2),
        "jobs": round(jobs, 2),
        "results": results,
        "errors": len(errors),
        "first_error": errors[0] if errors else None,
        "peak_in_flight": max(peaks),
        "first_result_s": round(min(first_results) - started, 2) if first_results else None,
        "granted": dict(granted),
        "finished_s_by_client": [round(at - started, 2) for at in finished],
        "pooled": decisions.count("one budget with other resources"),
        "decisions": sorted(set(decisions)),
    }
