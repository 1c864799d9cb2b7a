"""How fast the polls of a run's last jobs may go early. Pure logic, time passed in.

Once no submit waits, the jobs in flight are all that is left of the run, and a request the
budget leaves idle now is lost for good. A job unfinished is polled again at least every so
often (`PollQueue.spacing`: a share of what the budget leaves idle, over every job in flight),
but due times come in crowds (jobs sent within seconds of each other, polled together,
one duration model for all): the budget idled for seconds, then the crowd waited on it. A
draw of the family with 1,700 jobs in flight, 900 of them done, sent nothing for 20 s so.
Here the same share goes evenly instead: polls not yet due leave at that pace, the job most
likely finished first, while the budget is used less than half, and only while polling every
job in flight once would take the whole budget at least a typical run (with fewer, a crowd
costs little: not a trickle of input, nor a web backend's few jobs); and no job is polled
again sooner than a share of a typical run after it was last seen.
"""

from __future__ import annotations

import math

from .settings import IDLE_SHARE, PULL_USE, STRAGGLER_SPACING

DRAIN_TYPICALS = 1.0
"""Early polls only while polling every job in flight once takes the whole budget at least
this many typical runs."""


class Drain:
    """When the next poll of a run's last jobs may go before it is due."""

    def __init__(self) -> None:
        self._next = -math.inf
        """When the pace allows the next early poll."""

    @staticmethod
    def pace(use: float, rate: float) -> float:
        """Early polls a second, with the budget used `use` of its `rate` a second: a share
        of what it leaves idle (none while it is used half or more)."""
        return IDLE_SHARE * (1.0 - use) * rate if use < PULL_USE else 0.0

    @staticmethod
    def needed(jobs: int, rate: float, typical: float) -> bool:
        """Whether `jobs` in flight need early polls, the budget allowing `rate` requests a
        second: polling each of them once takes it at least a `typical` run (fewer, and it
        polls them all soon enough whenever they fall due: a web backend's few jobs)."""
        return jobs > rate * DRAIN_TYPICALS * typical

    def paced_at(self) -> float:
        """When the pace allows the next early poll."""
        return self._next

    def sent(self, now: float, pace: float) -> None:
        """A poll went early at `now`: the next waits for the `pace`."""
        self._next = now + 1.0 / pace if pace > 0 else math.inf

    @staticmethod
    def rested_at(last_seen: float, typical: float) -> float:
        """When a job last seen (or sent) at `last_seen` may be polled early again."""
        return last_seen + STRAGGLER_SPACING * typical
