"""The records the pacer keeps: a request waiting for its turn, and a job being polled."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .durations import JobTimes

TurnKind = Literal["urgent", "submit", "poll"]


@dataclass(eq=False, slots=True)
class PolledJob:
    """The pacer's record of one job on the service."""

    times: JobTimes
    position: int
    """Its place in the order jobs were accepted."""
    load: int = 0
    """Jobs in flight when it was accepted."""
    eager: bool = False
    """Polled for its call's first result (set by the caller before each poll)."""
    polls: int = 0
    status: str = "notStarted"
    """The status the last poll found (`notStarted`, `running`, ...)."""
    finished: bool = False
    start_probe: bool = False
    """Its first poll was a start probe (at the age it should have started by)."""
    turn: Turn | None = None
    """Its poll turn while one waits."""


@dataclass(eq=False, slots=True)
class Turn:
    """A request waiting for its turn; `wake` is called when it may leave."""

    kind: TurnKind
    job: PolledJob | None = None
    size: int = 0
    """Bytes a new batch holds while in flight (submits that admit a batch only)."""
    admits: bool = False
    """The submit of a new batch: it takes a place among the jobs in flight."""
    wake: Callable[[], None] | None = None
    purpose: str = ""
    """Why a poll was granted (for reports): a probe, a start probe, a first poll..."""
    granted: bool = False
    withdrawn: bool = False

    @property
    def live(self) -> bool:
        """A poll turn still worth granting (its job waits on it and is not finished)."""
        job = self.job
        return not self.withdrawn and job is not None and job.turn is self and not job.finished


def position(turn: Turn) -> int:
    """The place of a poll turn's job in the order jobs were accepted."""
    assert turn.job is not None
    return turn.job.position
