"""What the pacer decides reaches the user: each change of course logged with its reason, and
the resource's counters carry the cap on jobs in flight and the latest decision. (That a
service with varying start spells and no queue is never capped is shown in virtual time,
`tests/pacing/test_simulation.py`: at this test's 50 ms a job, the service's whole-second
timestamps cannot time one job against another.)"""

from __future__ import annotations

import logging

import pytest

import asyncclassify as ac
from asyncclassify.emulator import Emulator, Timing

from .conftest import EmulatorFactory, key_of, task_for

pytestmark = pytest.mark.anyio

QUEUE = Timing(queue_delay=0.01, base=0.05, per_document=0.0, jitter=0.2, max_running_jobs=4)
"""Jobs of 50 ms, four of the key's at once: the rest wait in the service's queue."""


async def _classify(emulator: Emulator, jobs: int) -> ac.RunStats:
    """Classify `jobs` jobs' worth of tickets at a budget the service never binds; the
    call's statistics once every result is in."""
    texts = [f"Ticket {i}: my invoice is wrong" for i in range(jobs * 25)]
    client = ac.Client(
        emulator.endpoint,
        key_of(emulator),
        requests_per_minute=60_000,
        pacing=ac.Pacing(first_poll=0.05),
    )
    async with client:
        stream = client.stream(texts, task_for("single", ac.DEFAULT_API_VERSION))
        async with stream:
            results = [result async for result in stream]
    assert len(results) == len(texts)
    assert all(result.ok for result in results)
    return stream.stats


async def test_a_queue_at_the_service_is_confirmed_logged_and_reported(
    emulator: EmulatorFactory, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="asyncclassify.pacing")
    async with emulator(timing=QUEUE) as emu:
        stats = await _classify(emu, jobs=400)
    (counts,) = stats.resources.values()
    assert counts.pacing
    if counts.jobs_in_flight_cap is None:
        # At 50 ms a job, the loop's own jitter can make polls contradict the order of
        # starts: a queue whose order is not borne out is not capped, and says why.
        assert counts.pacing.startswith("start line dropped"), counts.pacing
    else:
        # A cap below the 400 jobs sent (at 50 ms a job, whole-second timestamps size it
        # roughly: how many run at once is read from them; and the cap applied has room for
        # the finished jobs that wait for their poll).
        assert 4 <= counts.jobs_in_flight_cap < 400
    assert counts.requests_per_window == 60_000
    messages = [record.getMessage() for record in caplog.records]
    assert any("queue suspected" in message for message in messages), messages
    confirmed = [message for message in messages if "queue confirmed" in message]
    assert confirmed, messages
    assert "they wait behind our own jobs" in confirmed[0]
    assert emu.key not in " ".join(messages)
