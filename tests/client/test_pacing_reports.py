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
    assert counts.requests_per_window == 60_000
    messages = [record.getMessage() for record in caplog.records]
    assert emu.key not in " ".join(messages)
    assert any("queue suspected" in message for message in messages), messages
    confirmed = [message for message in messages if "queue confirmed" in message]
    if counts.jobs_in_flight_cap is not None:
        # A cap below the 400 jobs sent (at 50 ms a job, whole-second timestamps size it
        # roughly: how many run at once is read from them; and the cap applied has room for
        # the finished jobs that wait for their poll), and the decision that set it, logged.
        assert 4 <= counts.jobs_in_flight_cap < 400
        assert confirmed, messages
        assert "they wait behind our own jobs" in confirmed[0]
        return
    # At 50 ms a job the loop's own jitter, on a busy machine, decides what the jobs' times
    # show: polls that contradict the order of starts drop the line, and where the client
    # itself is what holds jobs back (their polls late), the service's queue stays short
    # and jobs sent with more in flight do not wait longer. Either way the report says why.
    if counts.pacing.startswith("start line dropped"):
        assert confirmed, messages  # (the line is drawn once a queue is confirmed)
    else:
        assert counts.pacing.startswith("queue ruled out"), counts.pacing
        assert "took" in counts.pacing
        assert "no longer" in counts.pacing
        assert not confirmed, messages
