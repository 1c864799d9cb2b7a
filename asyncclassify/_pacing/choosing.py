"""Who gets a pacer's next request: urgent turns (retries, pages, cancels); then, while no
job has finished yet, the probes that find out how long jobs take; then a submit, if another
job may be in flight; then the poll of the job most overdue (before submits while little is
known of durations). Polls are thrifty (due when their job is finished with probability
`thrifty_quantile`) while requests are scarce, eager otherwise, and pulled early while work
waits on the jobs in flight and the budget idles. Pure logic, time passed in.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable

from .capacity import Capacity
from .drain import Drain
from .durations import SMALL_SAMPLE, DurationModel
from .polls import PollQueue
from .pooling import Budget
from .probing import Probing
from .queue_course import QueueCourse
from .settings import (
    IDLE_SHARE,
    PULL_USE,
    SCARCE_USE,
    SPARE_SHARE,
    START_PROBES_FILLING,
    START_PROBES_SPARE,
    STRAGGLER_SPACING,
    PacingSettings,
)
from .turns import PolledJob, Turn


class Chooser:
    """The turns waiting to go (urgent ones and submits; polls wait in the poll queue and
    the probes), and which goes next."""

    def __init__(
        self,
        settings: PacingSettings,
        model: DurationModel,
        polls: PollQueue,
        probing: Probing,
        capacity: Capacity,
        queueing: QueueCourse,
        budget: Callable[[], Budget],
    ) -> None:
        self._settings = settings
        self._model = model
        self._polls = polls
        self._probing = probing
        self._capacity = capacity
        self._in_flight = capacity.in_flight
        self._queueing = queueing
        self._meter = queueing.meter
        self._budget = budget
        """What paces the requests now (the pacer's own budget, or its share of a pool)."""
        self.urgent: deque[Turn] = deque()
        self.submits: deque[Turn] = deque()
        self._filled = False
        """Whether the jobs in flight have reached their target once (the start is over)."""
        self._drain = Drain()

    def choose(self, now: float) -> Turn | None:
        """The turn that goes next at `now` (the budget has a request for it), if any."""
        urgent = self.urgent
        while urgent:
            turn = urgent.popleft()
            if not turn.withdrawn:
                return turn
        probe = self._probing.take(now)
        if probe is not None:
            return probe
        submit = self.head_submit()
        room = submit is not None and self._capacity.room(submit, now, self._budget())
        self._meter.hold(
            now, submit is not None and not room and self._capacity.held_by_cap(now, self._budget())
        )
        if submit is not None and room:
            if not self._filled:
                # Jobs in flight are growing: a few polls of young jobs see whether they
                # start, before a queue at the service takes many more.
                start_probe = self._probing.start_probe(now, START_PROBES_FILLING, growing=True)
                if start_probe is not None:
                    return start_probe
            if self._model.events < SMALL_SAMPLE:
                # While little is known of durations, a poll that is due goes first: submits
                # must not starve the polls that teach it. (Not while a queue is only
                # suspected: where start spells vary, polls then took the requests of
                # submits for windows on end.)
                poll = self._polls.take_due(now, self.scarce_polls(now))
                if poll is not None:
                    return poll
            return self.submits.popleft()
        if submit is not None and self._model.warm(now):
            self._filled = True
        scarce = self.scarce_polls(now)
        poll = self._polls.take_due(now, scarce)
        if poll is None and submit is not None and self._queueing.queue.cap is None:
            # Work waits, yet the budget has a request to spare: the jobs in flight, not the
            # budget, hold it back. See whether the service queues them. (Once a queue is
            # confirmed, its cap's own trials judge it, and a probe would tell nothing new.)
            poll = self._probing.start_probe(now, START_PROBES_SPARE, growing=False)
        if poll is None and self.pulls_polls(now, scarce):
            # ...and the job most likely finished is polled now rather than when due: the
            # request idle now is lost for good, and a finished job unpolled holds a place
            # a new one could take (a wrong duration model must not leave the service idle).
            poll = self._polls.take_due(now, scarce, early=True)
            if poll is not None and self._queueing.owed:
                self._queueing.owed -= 1
        if poll is None and submit is None:
            drain = self.drain_at(now, scarce)
            if drain is not None and drain <= now:
                # The run's last jobs: requests idle now are lost for good (see `Drain`).
                poll, _ = self._polls.take_rested(now, scarce, self._rested(now))
                if poll is not None:
                    budget = self._budget()
                    self._drain.sent(now, Drain.pace(budget.utilization(now), budget.rate))
        return poll

    def drain_at(self, now: float, scarce: bool) -> float | None:
        """When the next poll of a run's last jobs may go before it is due (None: none
        needs to, or a submit waits)."""
        if self.head_submit() is not None or not self._model.warm(now):
            return None
        if self._queueing.queue.cap is not None and self._queueing.line.trusted:
            # A queue's line says when each job starts, and is judged by its effect (see
            # `QueueCourse.audit_line`): polls sooner would find jobs still waiting (the long
            # queue's GETs a job went from 1.2 to 2.4).
            return None
        budget = self._budget()
        typical = self._queueing.queue.base(self._model.median(now))
        if not Drain.needed(self._in_flight.jobs, budget.rate, typical):
            return None
        if budget.utilization(now) >= PULL_USE:
            return budget.use_falls_under(PULL_USE, now)
        _, rested = self._polls.take_rested(now, scarce, self._rested(now), take=False)
        at = max(self._drain.paced_at(), rested)
        return at if at < math.inf else None

    def _rested(self, now: float) -> Callable[[PolledJob], float]:
        """When a job may be polled early again at the end of a run (see `Drain`)."""
        typical = self._queueing.queue.base(self._model.median(now))

        def rested_at(job: PolledJob) -> float:
            return Drain.rested_at(max(job.times.submitted_at, job.times.unfinished_at), typical)

        return rested_at

    def pulls_polls(self, now: float, scarce: bool) -> bool:
        """Whether polls not yet due may go now: work waits on the jobs in flight while
        more than half of the budget idles. (Pulled up to the budget's full use while the
        settings' caps held submits back, they took a draw with a queue picking jobs up in
        no order from 0.998 of its ceiling to 0.951, at 8.7 GETs a job.)"""
        budget = self._budget()
        if self._queueing.owed and budget.utilization(now) < PULL_USE:
            return True  # (polls a queue's line held back, see `QueueCourse.audit_line`)
        submit = self.head_submit()
        if scarce or submit is None or not self._model.warm(now):
            return False
        return budget.utilization(now) < PULL_USE and not self._capacity.room(submit, now, budget)

    def use_fades_at(self, now: float) -> float | None:
        """When the budget's use, fading while nothing is sent, next falls under a level at
        which the choice changes (`SCARCE_USE`: polls turn eager; `PULL_USE`: polls not yet
        due are pulled), while a submit waits (None: under both, or no submit waits).
        Nothing else wakes the pacer then: with every place in flight taken and no poll due
        for long, the budget idled while finished jobs held their places (a draw of the
        family with 2,000 jobs of a minute in flight sent nothing for 15 s of a 6 s window,
        at a fifth of its budget, until the next poll fell due). Not while a queue at the
        service is suspected: a poll sooner then finds a job still waiting (the long
        queue's GETs a job went from 1.2 to 2.4), and the queue's own probes judge it."""
        if self.head_submit() is None or self._queueing.queue.suspected:
            return None
        budget = self._budget()
        use = budget.utilization(now)
        for level in (SCARCE_USE, PULL_USE):
            if use >= level:
                return budget.use_falls_under(level, now)
        return None

    def scarce_polls(self, now: float) -> bool:
        """Whether polls should be thrifty now (see `_scarce`); when they need not be, how
        far apart the follow-ups of one job may be: a fraction of a typical duration, or
        what a share of the budget affords over every job in flight."""
        scarce = self._scarce(now)
        if not scarce and self._model.warm(now):
            # At least this share of the budget; half of what it leaves idle, if more, unless
            # the line of a queue's starts, borne out, tells when each job starts and submits
            # wait for the requests (at the end of a run, the line's pace is of the past: a
            # queue shared with others drains faster once they are done).
            spare = SPARE_SHARE
            lined = self._queueing.queue.cap is not None and self._queueing.line.proven
            if not lined or self.head_submit() is None:
                spare = max(spare, IDLE_SHARE * (1.0 - self._budget().utilization(now)))
            affords = self._in_flight.jobs / (spare * self._budget().rate)
            # A queue lengthens what the model sees; its stragglers are no slower to run.
            typical = self._queueing.queue.base(self._model.median(now))
            longest = STRAGGLER_SPACING * self._settings.window  # (whatever the model says)
            self._polls.spacing = max(min(STRAGGLER_SPACING * typical, longest), affords)
            self._polls.space_first = self._queueing.queue.queued_seen > 0
        return scarce

    def _scarce(self, now: float) -> bool:
        """Whether polls should be thrifty: a submit waits, and the budget has no request to
        spare or the service queues our jobs in an order polls have borne out (its cap
        leaves a queue of ours at the service for it to start next, and the line tells when
        each starts, so a job polled late idles none of its slots). When
        the settings' caps hold the work back with requests to spare, polling sooner is what
        speeds it up: a finished job not yet polled holds a place that a new one could
        take."""
        submit = self.head_submit()
        if submit is None:
            return False
        if self._queueing.queue.cap is not None and self._queueing.line.proven:
            return True
        if self._settings_cap_binds(submit):
            # Every place the settings allow is taken: a place is what holds work back, and
            # a poll at the thrifty quantile keeps each finished job in its place for long.
            # Thrifty while the budget is in full use, sooner once it is not, the two swing
            # (a long run of long jobs reached 0.79 of its ceiling so; polled sooner, 0.96
            # with 1.07 GETs a job).
            return False
        return self._budget().utilization(now) >= SCARCE_USE

    def _settings_cap_binds(self, submit: Turn) -> bool:
        """Whether the settings' caps (jobs or bytes in flight) keep `submit` back."""
        counts, settings = self._in_flight, self._settings
        if counts.jobs >= settings.max_jobs_in_flight:
            return True
        return counts.jobs > 0 and counts.bytes + submit.size > settings.max_bytes_in_flight

    def head_submit(self) -> Turn | None:
        """The submit that goes next, if any (withdrawn ones dropped)."""
        submits = self.submits
        while submits and submits[0].withdrawn:
            submits.popleft()
        return submits[0] if submits else None

    def waits_for_budget_only(self, now: float) -> bool:
        """Whether a turn would go as soon as the budget allows."""
        if any(not turn.withdrawn for turn in self.urgent):
            return True
        submit = self.head_submit()
        return submit is not None and self._capacity.room(submit, now, self._budget())

    @staticmethod
    def purpose(turn: Turn) -> str:
        """Why `turn` went, for reports (a submit, a probe, a first poll, a follow-up...)."""
        job = turn.job
        if turn.kind != "poll" or job is None:
            return turn.kind
        if job.start_probe and job.polls == 0:
            return "start probe"
        if turn.purpose:
            return turn.purpose
        return "first poll" if job.polls == 0 else "follow-up"
