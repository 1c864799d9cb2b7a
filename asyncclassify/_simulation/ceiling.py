"""What a clairvoyant client would reach in a scenario: the ceiling under the bound.

The bound counts requests only. But a run ends when its last jobs finish, and with widely
spread durations the slowest of thousands of jobs takes many times the median; with jobs in
flight capped, a client cannot always submit early enough to hide it. The clairvoyant
client knows when every job will finish. It sends at the bound's even pace (one request
every `window / requests` seconds, as the window allows); at each turn it submits while the
cap on jobs in flight allows, else polls a job the moment it has finished: one GET per job,
submits as early as they can go. Its durations come from the same service law and seed, so
what it reaches, as a fraction of the bound, is about the most any client could at an even
pace.

A client may also burst: send each request the moment the sliding window allows, a whole
window's worth at once into a window that starts empty. Over a run of a few windows that
gains up to one window's time (the even pace spends its first window filling it); over a
long run, little. Our budget paces evenly on purpose (a window another client has partly
filled meets no burst, and the service's documentation does not say its limit is a sliding
window), so the bursting ceiling (`bursts=True`) is reported beside the even one, not
targeted.
"""

from __future__ import annotations

import heapq
from collections import deque
from dataclasses import replace

from .scenarios import DOCUMENTS_PER_JOB, LATENCY, Scenario
from .service import SimulatedService


def clairvoyant_fraction(scenario: Scenario) -> float:
    """The fraction of the bound a clairvoyant client reaches in `scenario`."""
    elapsed = clairvoyant_elapsed(scenario)
    jobs = scenario.jobs // scenario.clients * scenario.clients
    bound = scenario.bound_documents_per_second(elapsed)
    return round(jobs * DOCUMENTS_PER_JOB / elapsed / bound, 3)


def clairvoyant_elapsed(scenario: Scenario, *, bursts: bool = False) -> float:
    """Seconds a clairvoyant client takes over `scenario`, its first submit to its last
    result: at the bound's even pace, or with `bursts` each request as soon as the window
    allows."""
    limit = scenario.rate_limit
    # Picked up in no order or first come first served, a queue finishes the same work at
    # the same pace; first come first served, each finish is known at the submit.
    service = SimulatedService(
        replace(scenario.timing, pickup="fifo"),
        limit,
        documents_per_job=DOCUMENTS_PER_JOB,
        seed=scenario.seed,
        tasks=scenario.tasks,
    )
    span = limit.prefill_seconds or limit.per_seconds
    window: deque[float] = deque(
        -span + span * (i + 1) / limit.prefill for i in range(limit.prefill)
    )
    spacing = 0.0 if bursts else limit.per_seconds / limit.requests
    jobs = scenario.jobs // scenario.clients * scenario.clients
    cap = scenario.max_jobs_in_flight
    finishing: list[float] = []
    submitted = polled = 0
    turn = -spacing
    while polled < jobs:
        turn += spacing
        may_submit = submitted < jobs and submitted - polled < cap
        if not may_submit:
            turn = max(turn, finishing[0] - LATENCY)
        while len(window) >= limit.requests:
            turn = max(turn, window.popleft() + limit.per_seconds)
        window.append(turn)
        if may_submit:
            heapq.heappush(finishing, service.create(turn + LATENCY).job.finish)
            submitted += 1
        else:
            heapq.heappop(finishing)
            polled += 1
    return turn + 2 * LATENCY
