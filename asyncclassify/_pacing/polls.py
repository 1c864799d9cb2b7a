"""When each job is due for its next poll, and which job is most overdue. Pure logic.

A job never polled is due at the age by which a fraction `quantile` of jobs finish; one found
unfinished at age `a`, at the age by which that fraction of jobs that lasted `a` finish (the
remaining time expected of a job that has lasted this long). Both come from the learnt
`DurationModel`, with caps that keep a job from being left unpolled long should durations
change under the model (four typical durations for a first poll, twice the age seen for a
follow-up, unless only a start probe saw the job running, young on purpose: then as a first
poll). Two quantiles are kept at once: a thrifty one (requests are scarce) and an eager one
(they are not; and lower still for the first jobs of a call, `first_result_quantile`).
A job last seen `notStarted` waits in a queue or is about to start: it is due no sooner than a
fast job's duration later. While requests are not scarce, a job found unfinished is polled
again at least every `spacing` seconds: the stragglers at the end of a run are what it waits
for, and a long tail's conditional quantiles would leave them unpolled for long after they
finish. Once jobs have been seen waiting to start, so is a job never polled (`space_first`).
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections import deque
from collections.abc import Callable

from .durations import DurationModel
from .turns import PolledJob, Turn

FIRST_POLL_CAP = 4.0
"""A first poll comes at most this many typical durations after the submit..."""
FOLLOW_UP_CAP = 2.0
"""...and a follow-up at most at this multiple of the age the job was last seen unfinished."""
NOT_STARTED_AHEAD = 0.1
"""A job last seen `notStarted` has not begun to run: its next poll comes no sooner than the
duration of a fast job (this quantile of durations) after that."""
RESPACE = 0.8
"""Due times are reckoned anew once the spacing falls below this fraction of what they were
reckoned with."""

_Heap = list[tuple[float, int, Turn]]


class PollQueue:
    """Poll turns waiting, in the order they are due, for either kind of scarcity."""

    def __init__(
        self, model: DurationModel, thrifty: float, eager: float, first_result: float
    ) -> None:
        self.model = model
        self._quantiles = {True: thrifty, False: eager}
        self._first_result = first_result
        self._fresh: deque[Turn] = deque()
        """Turns of jobs never polled (and not eager), oldest first: all are due at the same
        age, so their order is their submission's."""
        self._heaps: dict[bool, _Heap] = {True: [], False: []}
        """The other turns by due time, when requests are scarce (True) and when not."""
        self._order = itertools.count()
        self._keyed = -1
        """The model version the heaps' due times were computed with."""
        self._spacing = math.inf
        self._keyed_spacing = math.inf
        """The spacing the heaps' due times were computed with."""
        self.space_first = False
        """Whether `spacing` bounds a job's first poll too: when jobs have been seen waiting
        to start, durations learnt count waits that jobs sent later need not have (a queue
        drains at the end of a run), so the model alone would leave them unpolled long."""

    @property
    def thrifty(self) -> float:
        """The quantile of durations at which a job is due while requests are scarce."""
        return self._quantiles[True]

    @property
    def spacing(self) -> float:
        """The longest wait between two polls of an unfinished job while requests are not
        scarce (set by the pacer from the requests it has to spare)."""
        return self._spacing

    @spacing.setter
    def spacing(self, spacing: float) -> None:
        self._spacing = spacing
        if spacing < RESPACE * self._keyed_spacing:
            # Requests to spare now, after a busy spell: due times reckoned then would leave
            # the jobs unpolled for as long as the busy budget could afford.
            self._keyed = -1

    def add(self, turn: Turn, now: float) -> None:
        """A poll turn starts to wait."""
        job = turn.job
        assert job is not None
        if job.polls == 0 and not job.eager:
            self._fresh.append(turn)
        else:
            self._push(turn, now)

    def take_due(
        self, now: float, scarce: bool, *, take: bool = True, early: bool = False
    ) -> Turn | None:
        """The most overdue turn, if one is due now, or with `early` the one due soonest
        (it leaves the queue if `take`)."""
        heap = self._heap(now, scarce)
        fresh = self._fresh_head()
        fresh_due = self._fresh_due(fresh, scarce, now) if fresh is not None else math.inf
        heap_due = heap[0][0] if heap else math.inf
        if (fresh is None and not heap) or (not early and min(fresh_due, heap_due) > now):
            return None
        if fresh_due <= heap_due:
            return self._fresh.popleft() if take else fresh
        return heapq.heappop(heap)[2] if take else heap[0][2]

    def take_rested(
        self,
        now: float,
        scarce: bool,
        rested_at: Callable[[PolledJob], float],
        *,
        take: bool = True,
    ) -> tuple[Turn | None, float]:
        """Of the turn due soonest and the oldest job never polled, the one due first whose
        job has rested (`rested_at` it, or before) by `now`, if any (it leaves the queue if
        `take`); and when the sooner of them rests, if neither has."""
        heap = self._heap(now, scarce)
        fresh = self._fresh_head()
        candidates: list[tuple[float, float, Turn]] = []
        if heap:
            turn = heap[0][2]
            assert turn.job is not None
            candidates.append((heap[0][0], rested_at(turn.job), turn))
        if fresh is not None:
            assert fresh.job is not None
            candidates.append((self._fresh_due(fresh, scarce, now), rested_at(fresh.job), fresh))
        ready = [candidate for candidate in candidates if candidate[1] <= now]
        if not ready:
            return None, min((candidate[1] for candidate in candidates), default=math.inf)
        turn = min(ready, key=lambda candidate: candidate[0])[2]
        if take:
            if turn is fresh:
                self._fresh.popleft()
            else:
                heapq.heappop(heap)
        return turn, now

    def next_due(self, now: float, scarce: bool) -> float | None:
        """When the next turn is due (None when none waits)."""
        heap = self._heap(now, scarce)
        fresh = self._fresh_head()
        times = [heap[0][0]] if heap else []
        if fresh is not None:
            times.append(self._fresh_due(fresh, scarce, now))
        return min(times) if times else None

    def newest_fresh(self, submitted_by: float) -> Turn | None:
        """The turn of the newest never-polled job submitted by `submitted_by`."""
        for turn in reversed(self._fresh):
            job = turn.job
            assert job is not None
            if job.times.submitted_at <= submitted_by and turn.live:
                return turn
        return None

    def due_age(self, job: PolledJob, scarce: bool, now: float) -> float:
        """The age at which `job` is due for its next poll."""
        model = self.model
        quantile = self._quantiles[scarce]
        if job.eager and not scarce:
            quantile = self._first_result
        survived = job.times.survived
        age = model.conditional_quantile(quantile, survived, now)
        if survived <= 0:
            age = min(age, FIRST_POLL_CAP * model.median(now))
            return age if scarce or not self.space_first else min(age, self.spacing)
        if job.status == "notStarted":
            # The remaining time of a job that has not started is at least a run's.
            age = max(age, survived + model.quantile(NOT_STARTED_AHEAD, now))
        # The caps come last: they hold whatever the model says.
        if job.start_probe and job.polls == 1 and job.status != "notStarted":
            # Seen running only by its start probe, which polls a job young on purpose: twice
            # that age would poll it again and again before a typical job is done (four more
            # GETs a job in a short run of short jobs), so it is due as a first poll would be.
            # (One seen waiting is followed as any other: where it stands tells the queue.)
            age = min(age, max(FOLLOW_UP_CAP * survived, FIRST_POLL_CAP * model.median(now)))
        else:
            age = min(age, FOLLOW_UP_CAP * survived)
        if not scarce:
            age = min(age, survived + self.spacing)
        return age

    def rekey(self) -> None:
        """Jobs' origins moved: their due times are computed anew when next asked."""
        self._keyed = -1

    def _fresh_head(self) -> Turn | None:
        fresh = self._fresh
        while fresh and not fresh[0].live:
            fresh.popleft()
        return fresh[0] if fresh else None

    def _fresh_due(self, turn: Turn, scarce: bool, now: float) -> float:
        job = turn.job
        assert job is not None
        model = self.model
        age = min(model.quantile(self._quantiles[scarce], now), FIRST_POLL_CAP * model.median(now))
        if not scarce and self.space_first:
            age = min(age, self.spacing)
        return job.times.origin + age

    def _push(self, turn: Turn, now: float) -> None:
        job = turn.job
        assert job is not None
        for scarce, heap in self._heaps.items():
            due = job.times.origin + self.due_age(job, scarce, now)
            heapq.heappush(heap, (due, next(self._order), turn))

    def _heap(self, now: float, scarce: bool) -> _Heap:
        model = self.model
        model.warm(now)  # refreshes the model when due
        if model.version != self._keyed:
            # Due times follow the model: recompute them when it has learnt something.
            self._keyed = model.version
            self._keyed_spacing = self._spacing
            live = [turn for _, _, turn in self._heaps[True] if turn.live]
            self._heaps = {True: [], False: []}
            for turn in live:
                self._push(turn, now)
        heap = self._heaps[scarce]
        while heap and not heap[0][2].live:
            heapq.heappop(heap)
        return heap
