"""The pacer's runtime: a dispatcher that breaks fails the turns waiting on it (and later
ones) instead of leaving them waiting for ever."""

from __future__ import annotations

import anyio
import pytest

from asyncclassify._pacing import Pacer, PacingSettings
from asyncclassify._pacing.runtime import PacerFailedError, PacerRuntime
from asyncclassify._pacing.turns import Turn

pytestmark = pytest.mark.anyio


class BrokenPacer(Pacer):
    """Grants while the budget lasts; deciding when to grant next is a bug."""

    def next_decision(self, now: float) -> float | None:
        raise ZeroDivisionError("a bug in the pacer")


async def test_a_broken_dispatcher_fails_waiting_and_later_turns() -> None:
    runtime = PacerRuntime(BrokenPacer(PacingSettings(requests_per_minute=2, window=60.0)))
    runtime.pacer.label = "east"
    failures: list[BaseException] = []

    async def ask() -> None:
        try:
            await runtime.wait(Turn("urgent"))
        except PacerFailedError as exc:
            failures.append(exc)

    with anyio.fail_after(10):
        async with anyio.create_task_group() as group:
            runtime.attach(group.start_soon)
            for _ in range(4):  # two go at once; the others wait on the dispatcher
                group.start_soon(ask)
        with pytest.raises(PacerFailedError, match=r"pacer of east failed.*a bug in the pacer"):
            await runtime.wait(Turn("urgent"))
    assert len(failures) == 2
    assert isinstance(failures[0].__cause__, ZeroDivisionError)
    runtime.close()
