"""The pacer of one resource: who gets the next request, when each job is polled, and how many
jobs are in flight. Pure logic fed by events, with the time passed in; nothing here sleeps.

Requests wait for their turn as `Turn`s of three kinds:

* urgent: result pages, cancels, re-submits and retries; first, as soon as the budget allows;
* submit: the first submit of a new batch, which also takes a place among the jobs in flight;
* poll: the next status GET of a job, due when the job is likely finished (see `polls`).

Who gets the next request: urgent turns; then, while no job has finished yet, the probes that
find out how long jobs take (see `probes`); then a submit, if another job may be in flight;
then the poll of the job most overdue (before submits while little is known of durations).
Polls are thrifty (due when their job is finished with probability `thrifty_quantile`) while
requests are scarce: a submit waits and the budget is in full use, or the service queues our
jobs (then a poll sooner would buy nothing: the service, not a place in flight, is what a
queued job waits for). Otherwise they are eager,
for latency and for the room in flight a finished job holds (`eager_quantile`;
`first_result_quantile` while a job's call has had no result yet: the caller sets
`PolledJob.eager` before each poll).

The pacer takes in events and hands each decision to a part of its own: who goes next to
`choosing`, how many jobs may be in flight to `capacity` (Little's law, capped by the
service's queue and the settings), the probes to `probing`, the service's queue to
`queue_course`, the jobs' order and how far each is known to `ledger`.
"""

from __future__ import annotations

import logging
from collections import Counter, deque

from .budget import (
    CONFIRM_NEAR,
    CONFIRM_WINDOWS,
    PROBE_AFTER_MAX_WINDOWS,
    PROBE_AFTER_WINDOWS,
    RequestBudget,
)
from .capacity import Capacity
from .choosing import Chooser
from .durations import DurationModel, JobTimes
from .ledger import JobLedger
from .meters import InFlight
from .polls import PollQueue
from .pooling import Budget, PoolFinder
from .probes import LADDER_START
from .probing import Probing
from .queue_course import QueueCourse
from .queueing import Decision
from .service_clock import ServiceClock
from .settings import (
    PULL_USE,
    SCARCE_USE,
    PacingSettings,
)
from .start_line import StartLine
from .turns import PolledJob, Turn

logger = logging.getLogger("asyncclassify.pacing")


class Pacer:
    """Paces every request of one resource (see the module docstring)."""

    def __init__(self, settings: PacingSettings | None = None) -> None:
        self.settings = settings = settings or PacingSettings()
        self.own_budget = RequestBudget(settings.requests_per_minute, settings.window)
        """This resource's own limit, and what its own 429s taught."""
        self.budget: Budget = self.own_budget
        """What paces its requests: its own budget, or its share of a pool of resources
        found to be one budget at the service (set by `pools`)."""
        self.pools: PoolFinder | None = None
        """The client's finder of resources that share a budget (None: one resource)."""
        self._told: tuple[Budget, int] = (self.budget, self.own_budget.ceiling)
        """The budget and its ceiling as last logged."""
        self.model = DurationModel(settings.first_poll, settings.window)
        self.clock = ServiceClock()
        self.granted: Counter[str] = Counter()
        """Requests granted, by kind and purpose (report-only)."""
        self._polls = PollQueue(
            self.model,
            settings.thrifty_quantile,
            settings.eager_quantile,
            settings.first_result_quantile,
        )
        self.jobs = JobLedger()
        """The jobs not finished yet, in order, and how far each one's state is known."""
        self.in_flight = InFlight()
        self.queueing = QueueCourse(
            settings.window, self.model, self._polls, self.jobs, self.in_flight
        )
        """What the service's queue, if any, does to our jobs, and the decisions it leads to."""
        self.queue = self.queueing.queue
        self._probing = Probing(settings.first_poll, self.model, self._polls, self.jobs, self.queue)
        self.meter = self.queueing.meter
        self.capacity = Capacity(
            settings, self.model, self.jobs, self.queue, self.meter, self.in_flight
        )
        """How many jobs may be in flight (`in_flight`: those that are)."""
        self._chooser = Chooser(
            settings,
            self.model,
            self._polls,
            self._probing,
            self.capacity,
            self.queueing,
            lambda: self.budget,
        )
        """Who gets the next request."""

    @property
    def line(self) -> StartLine:
        """When queued jobs start (used once the service is seen to queue our jobs)."""
        return self.queueing.line

    @property
    def decisions(self) -> deque[Decision]:
        """The pacer's changes of course, newest last (each is also logged at INFO)."""
        return self.queueing.decisions

    @property
    def course(self) -> str:
        """The latest decision and its reason, in words (empty while there is none)."""
        return self.queueing.course

    @property
    def label(self) -> str:
        """The resource's name in log lines (set by the owner)."""
        return self.queueing.label

    @label.setter
    def label(self, label: str) -> None:
        self.queueing.label = label

    # -- turns -------------------------------------------------------------------------------

    def ask(self, turn: Turn, now: float) -> None:
        """Queue `turn`; `grant()` says when it may go."""
        turn.granted = turn.withdrawn = False
        if turn.kind == "urgent":
            self._chooser.urgent.append(turn)
        elif turn.kind == "submit":
            self._chooser.submits.append(turn)
        else:
            assert turn.job is not None
            turn.job.turn = turn
            if self.model.warm(now):
                self._polls.add(turn, now)
            else:
                self._probing.add(turn)

    def withdraw(self, turn: Turn) -> None:
        """The waiter left (cancelled); a turn already granted is spent."""
        turn.withdrawn = True
        if turn.job is not None and turn.job.turn is turn:
            turn.job.turn = None

    def grant(self, now: float) -> list[Turn]:
        """The turns that may leave now, each spending one request from the budget."""
        self.queueing.review(now)
        self._audit_line(now)
        if self.pools is not None:
            self.pools.review(now)
        self._watch_limit(now)
        granted: list[Turn] = []
        while self.budget.ready_at(now) <= now:
            turn = self._chooser.choose(now)
            if turn is None:
                break
            self.budget.spend(now)
            turn.granted = True
            self.granted[self._chooser.purpose(turn)] += 1
            if turn.admits:
                self.capacity.admit(turn.size, now)
            if turn.job is not None:
                turn.job.turn = None
            granted.append(turn)
        return granted

    def _audit_line(self, now: float) -> float | None:
        """Let the line of a queue's starts be judged by its effect while the budget idles
        (see `LineAudit`); when to judge it next."""
        idle_at = self.budget.use_falls_under(PULL_USE, now)
        return self.queueing.audit_line(now, idle_at=idle_at)

    def next_decision(self, now: float) -> float | None:
        """When to call `grant()` again if nothing else happens first (None: only on events)."""
        ready = self.budget.ready_at(now)
        times: list[float] = []
        if self._chooser.waits_for_budget_only(now):
            times.append(ready)
        probe = self._probing.next(now)
        if probe is not None:
            times.append(max(probe[1], ready))
        scarce = self._chooser.scarce_polls(now)
        if self._chooser.pulls_polls(now, scarce):
            times.append(ready)
        drain = self._chooser.drain_at(now, scarce)
        if drain is not None:
            times.append(max(drain, ready))
        audit = self._audit_line(now)
        if audit is not None:
            times.append(audit)
        fades = self._chooser.use_fades_at(now)
        if fades is not None:
            # Polls turn eager, or are pulled early, once the budget's use has faded.
            times.append(max(fades, ready))
        due = self._polls.next_due(now, scarce)
        if due is not None:
            times.append(max(due, ready))
            refresh = self.model.refresh_at()
            if refresh is not None:
                # Due times follow the duration model, which takes in news only now and then:
                # they may come sooner once it has.
                times.append(max(refresh, ready))
        if self._chooser.submits and not self.model.warm(now) and self.in_flight.jobs > 0:
            # While nothing has finished, the in-flight target grows with the oldest job's age.
            times.append(now + self.settings.first_poll * LADDER_START)
        return min(times) if times else None

    # -- events ------------------------------------------------------------------------------

    def job_accepted(
        self,
        sent_at: float,
        answered_at: float,
        *,
        created_wall: float | None = None,
        wall_offset: float = 0.0,
    ) -> PolledJob:
        """A submit sent at `sent_at` created a job (answered at `answered_at`).

        `created_wall` is the job's `createdDateTime` (epoch seconds) when the answer told it,
        `wall_offset` our wall clock minus the monotonic one.
        """
        self.capacity.round_trip(sent_at, answered_at)
        middle = (sent_at + answered_at) / 2
        if created_wall is not None:
            self.clock.observe_created(created_wall, middle + wall_offset)
        return self.jobs.add(JobTimes(middle), load=self.in_flight.jobs)

    def job_polled(
        self,
        job: PolledJob,
        sent_at: float,
        answered_at: float,
        *,
        status: str,
        finished: bool,
        finished_wall: float | None = None,
        created_wall: float | None = None,
        wall_offset: float = 0.0,
    ) -> None:
        """A poll of `job` sent at `sent_at` found it `status` (`finished`: no later poll will
        change it). `finished_wall` is when the service says it finished (epoch seconds on
        its clock), `created_wall` its `createdDateTime`, when the answer tells them."""
        self.capacity.round_trip(sent_at, answered_at)
        job.polls += 1
        job.status = status
        times = job.times
        if job.polls == 1:
            # A job joins the sample when it first tells something: jobs never polled say
            # nothing, and thousands of them in flight must not crowd out those that have.
            self.model.track(times)
        age = sent_at - times.submitted_at
        if created_wall is not None and job.polls == 1:
            self.clock.observe_created(created_wall, times.submitted_at + wall_offset)
        if status == "notStarted":
            times.waiting_at = max(times.waiting_at, sent_at)
        else:
            times.started_by = min(times.started_by, answered_at)
        self.queueing.watch(job, status, age, answered_at)
        finished_at = None
        if finished and finished_wall is not None:
            finished_at = finished_wall - self.clock.offset() - wall_offset
        if finished:
            self.queueing.starting.tick(answered_at)
            self.queueing.results += 1
        started = status != "notStarted"
        if self.queue.cap is not None and self.line.trusted:
            self.queueing.follow_line(job, answered_at, finished_at, started=started)
        else:
            self.queueing.note_order(job, finished_at, started=started)
        if finished:
            duration = None if finished_at is None else finished_at - times.origin
            times.finished(answered_at - times.origin, duration)
            self.capacity.finishing.tick(answered_at)
            if finished_at is None:
                self.meter.finished(answered_at)
            else:
                # Within what our own polls bracket: the service's clock is converted to ours
                # from whole seconds, and may be a little off.
                finished_at = min(
                    answered_at, max(finished_at, times.unfinished_at, times.submitted_at)
                )
                self.meter.finished(finished_at)
                late = answered_at - finished_at
                self.capacity.late(late)
            if finished_at is not None and self.clock.settled:
                # (Until the clocks' offset has settled, its error would read as waits.)
                decision = self.queue.finished(
                    answered_at,
                    load=job.load,
                    sojourn=finished_at - times.submitted_at,
                    rate=self.capacity.finishing.rate(answered_at),
                    affordable=self.budget.rate / 2.0,
                )
                self.queueing.record(decision)
            self.job_ended(job)
        else:
            times.unfinished(sent_at)
            self.jobs.know(job)
        self.model.changed()
        self.queueing.review(answered_at)

    def job_ended(self, job: PolledJob) -> None:
        """`job` will not be polled again (finished, lost, cancelled, or given up on)."""
        job.finished = True
        job.turn = None

    def admitted(self, size: int, now: float) -> None:
        """A batch of `size` bytes, admitted on another resource's pacer, moved here at `now`
        (it was admitted once: it does not wait for room again)."""
        self.capacity.admit(size, now)

    def released(self, size: int, now: float) -> None:
        """A batch admitted with `size` bytes has given all its results at `now`."""
        self.capacity.release(size, now)

    def throttled(self, now: float, retry_after: float, sent_at: float) -> None:
        """A request sent at `sent_at` was answered 429 at `now`."""
        fraction = self.budget.throttled(now, retry_after, sent_at)
        if fraction is not None and self.pools is not None:
            self.pools.episode(self, now, fraction)
        self._watch_limit(now)

    def _watch_limit(self, now: float) -> None:
        """Log a limit learnt from 429s (once, and again only if it falls much lower), and
        its lifting."""
        budget = self.budget
        ceiling, configured = budget.ceiling, int(budget.configured)
        told_budget, told = self._told
        if budget is not told_budget:
            self._told = (budget, ceiling)  # pooled or parted: that note said it
        elif ceiling < min(told, configured) * (1.0 - CONFIRM_NEAR) or told >= configured > ceiling:
            self._told = (budget, ceiling)
            self.note(
                "limit learnt from 429s",
                f"429s came again within {CONFIRM_WINDOWS:.0f} windows: about {ceiling} "
                f"requests a window fit, not the {configured} configured; probed upwards "
                f"after {PROBE_AFTER_WINDOWS:.0f} quiet window, after up to "
                f"{PROBE_AFTER_MAX_WINDOWS:.0f} while 429s meet the same level",
                now,
            )
        elif ceiling >= configured > told:
            self._told = (budget, ceiling)
            self.note(
                "learnt limit lifted",
                f"no 429 while probing upwards: the {configured} requests a window "
                "configured hold again",
                now,
            )

    def note(self, what: str, reason: str, now: float) -> None:
        """Record and log a change of course decided outside the pacer (its budget pooled)."""
        self.queueing.record(Decision(now, what, reason, self.jobs_cap(now)))

    def answered(self, sent_at: float, answered_at: float) -> None:
        """A request that is neither a submit nor a poll was answered (for the latency)."""
        self.capacity.round_trip(sent_at, answered_at)

    # -- how many jobs in flight -------------------------------------------------------------

    def waiting_for(self, now: float) -> str:
        """What requests wait on at `now`, for progress reports: "a Retry-After", "the
        budget" (it is what holds requests back), "the service's queue" (a queue of our jobs
        at the service is confirmed and its cap holds submits back), "the service" (jobs
        run), or "input"."""
        if self.budget.paused_until > now:
            return "a Retry-After"
        if self._chooser.submits and self.budget.utilization(now) >= SCARCE_USE:
            return "the budget"
        cap = self.jobs_cap(now)
        if self._chooser.submits and cap is not None and self.in_flight.jobs >= cap:
            return "the service's queue"
        if self.in_flight.jobs:
            return "the service"
        return "input"

    def expected_start(self, now: float) -> float:
        """Seconds until a new job asked for now would be submitted, about: the requests
        waiting before it, at the pace the budget allows, and a finished job's place when
        the jobs in flight are at their target."""
        jobs_per_second = max(self.budget.rate / 2.0, 1e-9)
        waiting = len(self._chooser.urgent) + len(self._chooser.submits)
        start = max(0.0, self.budget.ready_at(now) - now) + waiting / jobs_per_second
        over = self.in_flight.jobs - self.target_in_flight(now) + 1
        if over > 0:
            finishing = max(self.capacity.finishing.rate(now), 1.0 / self.model.median(now))
            start += over / finishing
        return start

    def target_in_flight(self, now: float) -> int:
        """How many jobs may be in flight now (before the settings' caps)."""
        return self.capacity.target(now, self.budget)

    def jobs_cap(self, now: float) -> float | None:
        """The most jobs in flight while the service queues ours (see `Capacity.jobs_cap`)."""
        return self.capacity.jobs_cap(now)

    @property
    def lifetime(self) -> float:
        """The least age at which a job was found gone lately (see `Capacity.lifetime`)."""
        return self.capacity.lifetime

    def lifetime_at(self, now: float) -> float:
        """How long the service keeps jobs, as far as we know at `now` (inf: no limit seen)."""
        return self.capacity.lifetime_at(now)

    def job_lost(self, job: PolledJob, now: float) -> None:
        """A poll at `now` found `job` gone: the service keeps jobs no longer than its age."""
        self.capacity.lost(now - job.times.submitted_at, now)
