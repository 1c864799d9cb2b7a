"""The shared request budget: a sliding window on anyio's clock that learns from 429s."""

from __future__ import annotations

import anyio
import pytest

from asyncclassify import RequestBudget
from asyncclassify.budget import WINDOW_MARGIN

pytestmark = pytest.mark.anyio

REQUESTS = 5
WINDOW = 0.2
SPAN = WINDOW * WINDOW_MARGIN
SLACK = 0.15
"""Scheduling latency tolerated on top of a computed wait (upper bounds only)."""


async def test_sixth_request_waits_for_the_window() -> None:
    budget = RequestBudget(REQUESTS, WINDOW)
    start = anyio.current_time()
    await budget.acquire()
    await anyio.sleep(WINDOW / 2)
    for _ in range(REQUESTS - 1):
        await budget.acquire()
    assert anyio.current_time() - start < WINDOW / 2 + SLACK  # no waiting so far
    assert budget.in_window() == REQUESTS
    assert budget.busy
    await budget.acquire()
    waited = anyio.current_time() - start
    assert SPAN <= waited < SPAN + SLACK
    # A sliding window: only the first request has left it, the other four still count.
    assert budget.in_window() == REQUESTS
    await budget.acquire()
    assert anyio.current_time() - start >= WINDOW / 2 + SPAN


async def test_concurrent_requests_never_exceed_the_window() -> None:
    budget = RequestBudget(REQUESTS, WINDOW)
    sent: list[float] = []

    async def one() -> None:
        await budget.acquire()
        sent.append(anyio.current_time())

    start = anyio.current_time()
    async with anyio.create_task_group() as group:
        for _ in range(3 * REQUESTS):
            group.start_soon(one)
    sent.sort()
    assert len(sent) == 3 * REQUESTS
    for earlier, later in zip(sent, sent[REQUESTS:], strict=False):
        assert later - earlier >= SPAN
    # ...and no slower than the window allows.
    assert sent[-1] - start < 2 * SPAN + SLACK


async def test_throttled_lowers_the_limit() -> None:
    budget = RequestBudget(REQUESTS, WINDOW)
    for _ in range(REQUESTS):
        await budget.acquire()
    assert budget.limit == REQUESTS
    budget.throttled(0.0)
    lowered = budget.limit
    assert lowered < REQUESTS
    assert budget.rate == pytest.approx(lowered / WINDOW)
    # With the lower limit, the next request waits for more than one old one to leave.
    start = anyio.current_time()
    await budget.acquire()
    assert anyio.current_time() - start >= SPAN * 0.9 - 0.01


async def test_throttled_pauses_every_request_for_retry_after() -> None:
    # A 429 while our window holds next to nothing: others (an earlier run) filled the
    # service's window. Wait as asked, but do not take it for a limit of one request.
    budget = RequestBudget(1_000, 60.0)
    await budget.acquire()
    start = anyio.current_time()
    budget.throttled(0.1)
    await budget.acquire()
    waited = anyio.current_time() - start
    assert 0.1 <= waited < 0.1 + SLACK
    assert budget.limit >= 500


async def test_a_burst_of_429s_is_one_episode() -> None:
    budget = RequestBudget(1_000, 60.0)
    for _ in range(10):
        await budget.acquire()
    for _ in range(50):  # every request under way answered 429
        budget.throttled(0.05)
    assert budget.limit == 500
    await budget.acquire()
    # A later episode may lower it again, and so on down to a real limit.
    budget.throttled(0.01)
    assert budget.limit == 250


async def test_repeated_throttling_settles_under_a_real_limit() -> None:
    # A service that allows 30 requests per 0.1 s, behind a budget configured for 100.
    real_limit, window = 30, 0.1
    budget = RequestBudget(100, window)
    served: list[float] = []
    throttled_at: list[float] = []
    start = anyio.current_time()
    while anyio.current_time() - start < 0.8:
        await budget.acquire()
        now = anyio.current_time()
        recent = [t for t in served if t > now - window]
        if len(recent) >= real_limit:
            throttled_at.append(now)
            budget.throttled(recent[0] + window - now)
        else:
            served.append(now)
    assert 1 <= len(throttled_at) <= 8
    assert real_limit * 0.6 <= budget.limit <= real_limit
    # Once learnt, the limit holds: no 429 in the last half.
    assert all(t - start < 0.4 for t in throttled_at)


async def test_limit_recovers_after_throttling() -> None:
    budget = RequestBudget(100, 0.05)
    for _ in range(80):
        await budget.acquire()
    budget.throttled(0.0)
    lowered = budget.limit
    assert lowered == 68
    for _ in range(100):
        await budget.acquire()
    assert budget.limit > lowered
    assert budget.limit <= 80 * 0.97  # the learnt ceiling holds for a while


def test_invalid_budget() -> None:
    with pytest.raises(ValueError, match="budget"):
        RequestBudget(0, 1.0)
    with pytest.raises(ValueError, match="budget"):
        RequestBudget(10, 0.0)
