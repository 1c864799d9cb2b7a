"""What the progress report says: done of total, a recent rate, an ETA from it, jobs in
flight and what the run waits for; kept documents do not count as speed."""

from __future__ import annotations

import io

import pytest

from asyncclassify._cli.progress import Progress
from asyncclassify._pacing import Pacer
from asyncclassify._stats import RunStats

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def test_a_log_line_says_how_far_how_fast_and_what_it_waits_for() -> None:
    stream = io.StringIO()
    progress = Progress(RunStats(), 10, "log", pacer=Pacer(), stream=stream)
    progress.ok, progress.failed = 2, 1
    progress.tick()
    line = stream.getvalue()
    assert line.startswith("asyncclassify: 3/10 documents")
    assert "/s lately" in line
    assert "ETA" in line
    assert "0 jobs in flight" in line
    assert "waiting for input" in line
    assert "1 errors" in line


async def test_documents_kept_from_an_earlier_run_are_not_speed() -> None:
    stream = io.StringIO()
    progress = Progress(RunStats(), 1000, "log", kept=900, stream=stream)
    progress.ok = 900
    progress.tick()
    assert "0/s lately" in stream.getvalue()
    assert "ETA" not in stream.getvalue()
    assert "900 kept from the earlier run" in progress.summary()


async def test_a_retry_after_is_what_a_throttled_run_waits_for() -> None:
    pacer = Pacer()
    now = 100.0
    assert pacer.waiting_for(now) == "input"
    pacer.throttled(now, 5.0, now - 0.1)
    assert pacer.waiting_for(now + 1.0) == "a Retry-After"
    assert pacer.waiting_for(now + 6.0) == "input"


async def test_the_bar_is_drawn_on_a_terminal_stream() -> None:
    stream = io.StringIO()
    progress = Progress(RunStats(), 4, "bar", stream=stream)
    progress.ok = 2
    progress.update()
    progress.tick()
    progress.finish()
    assert "2/4" in stream.getvalue()
