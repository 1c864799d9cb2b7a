"""What the service's queue, if any, does to our jobs: a pacer's view of it. Pure logic.

`QueueWatch` (see `queueing`) holds the hypothesis that the service queues our jobs and judges
it by each throughput period (`ThroughputMeter`); while the queue is first come first served,
the `StartLine` says when each queued job started, so that its running time counts from then.
`QueueCourse` feeds them what the pacer's polls found, follows the line, and records each
decision they lead to (and logs it, with its reason).
"""

from __future__ import annotations

import logging
from collections import deque

from .durations import DurationModel, JobTimes
from .ledger import JobLedger
from .meters import InFlight, RateMeter
from .polls import NOT_STARTED_AHEAD, PollQueue
from .queueing import MIN_FINISHED, Decision, QueueWatch
from .settings import (
    DECISIONS_KEPT,
    PERIOD_FINISHED,
    PERIOD_MAX_WINDOWS,
    PERIOD_MIN_WINDOWS,
    PERIOD_TYPICALS,
)
from .start_line import LAG_TYPICALS, LineAudit, OrderWatch, StartLine
from .throughput import ThroughputMeter
from .turns import PolledJob

logger = logging.getLogger("asyncclassify.pacing")


class QueueCourse:
    """One resource's queue watch, throughput periods and start line, fed by the pacer."""

    def __init__(
        self,
        window: float,
        model: DurationModel,
        polls: PollQueue,
        jobs: JobLedger,
        in_flight: InFlight,
    ) -> None:
        self._window = window
        self.model = model
        self._polls = polls
        self.jobs = jobs
        self.in_flight = in_flight
        self.queue = QueueWatch(window)
        self.line = StartLine()
        """When queued jobs start (used once the service is seen to queue our jobs)."""
        self.starting = RateMeter(window / 2, since_first=True)
        """How fast jobs finish on the service (so how fast queued ones start)."""
        self.results = 0
        """Jobs found finished, all told."""
        self.owed = 0
        """Polls the line held back while the budget idled and results fell short of its
        starts: they go early (see `audit_line`)."""
        self._owed_by: StartLine | None = None
        """The line whose owed polls were logged."""
        self.order = OrderWatch()
        """Whether polls lately found our jobs starting in the order we sent them."""
        self.audit = LineAudit()
        """Whether polls find as many jobs finished as the line says start, while it holds
        them back with requests to spare."""
        self.meter = ThroughputMeter()
        """Jobs in flight against jobs finished, period by period (the queue's evidence)."""
        self.decisions: deque[Decision] = deque(maxlen=DECISIONS_KEPT)
        """Changes of course, newest last (each is also logged at INFO)."""
        self.label = ""
        """The resource's name in log lines."""
        self.course = ""
        """The latest decision and its reason, in words (empty while there is none)."""

    def watch(self, job: PolledJob, status: str, age: float, now: float) -> None:
        """Tell the queue watch what a poll found (see `queueing`)."""
        queue, model = self.queue, self.model
        typical = model.median(now)
        if model.warm(now):
            queue.typical_seen(typical, now)
        if status != "notStarted":
            queue.started_age = min(queue.started_age, age)
        if job.polls != 1 or status != "notStarted":
            return
        after = queue.queued_after(typical)
        if age >= after:
            self.record(
                queue.found_queued(
                    now,
                    age,
                    after,
                    in_flight=self.in_flight.jobs,
                )
            )

    def review(self, now: float) -> None:
        """Close a throughput period when it has lasted long enough, and let the queue watch
        judge its hypothesis by each period once its finished jobs are most likely all seen."""
        meter, window = self.meter, self._window
        known_until = self.jobs.known_until(now)
        if not meter.due(now, known_until):
            return  # (on nearly every call: the span is set anew only when a period ends)
        # The typical duration without a queue (a queue lengthens what the model sees), and
        # long enough for a few dozen jobs to finish.
        span = PERIOD_TYPICALS * self.queue.base(self.model.median(now))
        best = max((period.rate for period in meter.periods), default=0.0)
        if best > 0:
            span = max(span, PERIOD_FINISHED / best)
        low, high = PERIOD_MIN_WINDOWS * window, PERIOD_MAX_WINDOWS * window
        meter.span = min(max(span, low), high)
        read = meter.roll(now, known_until)
        if read:
            self.record(self.queue.review(meter.periods))

    def record(self, decision: Decision | None) -> None:
        if decision is None:
            return
        if decision.what == "queue confirmed":
            # Durations learnt so far count the queue's wait: keep those that did not wait.
            # Its order is judged afresh (an earlier episode's line says nothing of it).
            self.model.forget_longer(self.queue.unqueued)
            self.line = StartLine()
        self.decisions.append(decision)
        self.course = f"{decision.what}: {decision.reason}"
        cap = "no cap" if decision.cap is None else f"capped at {decision.cap:.0f}"
        logger.info(
            "pacing%s: %s (%d jobs in flight, %s): %s",
            f" {self.label}" if self.label else "",
            decision.what,
            self.in_flight.jobs,
            cap,
            decision.reason,
        )

    def _start_rate(self, now: float) -> float:
        """Queued jobs start about as fast as jobs finish (at least one per typical run): as
        polls found them lately, or as the service's own timestamps said in recent periods
        (polls that come late must not make the line slower, and its polls later)."""
        told = sorted(
            period.rate for period in self.meter.periods if period.finished >= MIN_FINISHED
        )
        typical = self.queue.base(self.model.median(now))
        if told:
            # (The median of recent periods: the fastest of them is fast by chance, and a
            # line that runs ahead of the jobs counts their waits as running time.)
            return max(told[len(told) // 2], 1.0 / typical)
        # Until periods tell: as the queue's confirmation measured it (one start per so many
        # seconds), or as polls found them start.
        return max(self.starting.rate(now), self.queue.start_rate, 1.0 / typical)

    def follow_line(
        self, job: PolledJob, now: float, finished_at: float | None, *, started: bool
    ) -> None:
        """The service queues our jobs: move the line of their starts with what a poll of
        `job` told, and count every unfinished job's running time from its start anew; or,
        once polls contradict the line too often, drop it: ages count from the submits."""
        times = job.times
        rate = self._start_rate(now)
        slack = self.model.quantile(NOT_STARTED_AHEAD, now)
        times.started_by = _started_by(times, finished_at)
        # Out of the order we sent them, by more than a typical run: a queue in no order.
        at = times.started_by if started else times.waiting_at
        typical = self.queue.base(self.model.median(now))
        out_of_order = self.order.contradicts(job.position, at, started=started, slack=typical)
        self.order.note(job.position, at, started=started)
        self.line.check(
            job.position, times, rate, started=started, slack=slack, out_of_order=out_of_order
        )
        if not self.line.trusted:
            self._drop_line(
                now,
                f"polls found {self.line.misses:.0%} of jobs lately where first come "
                "first served said they would not be",
            )
            return
        self.line.seen(job.position, times, rate)
        times.move_origin(self.line.start_of(job.position, times, rate))
        for other in self.jobs:
            if not other.finished and other is not job:
                other.times.move_origin(self.line.start_of(other.position, other.times, rate))
        self._polls.rekey()

    def note_order(self, job: PolledJob, finished_at: float | None, *, started: bool) -> None:
        """Remember where a poll found `job` in the order of starts (no line followed: the
        polls before a queue is confirmed tell its order too)."""
        at = _started_by(job.times, finished_at) if started else job.times.waiting_at
        self.order.note(job.position, at, started=started)

    def audit_line(self, now: float, *, idle_at: float) -> float | None:
        """Judge the line by its effect while it holds polls back: when polls find far fewer
        jobs finished than it says start while the budget idles (from `idle_at` on), the
        polls it held back are owed (`owed`), and go early. When to call again (None:
        nothing to judge)."""
        audit, line = self.audit, self.line
        if self.queue.cap is None or not line.trusted or not self.in_flight.jobs:
            audit.stop()
            return None
        if audit.since is not None and now < audit.due_at:
            return audit.due_at  # (a span under way: nothing to reckon on every grant)
        rate = self._start_rate(now)
        if audit.since is not None and now < idle_at:
            # A span ended with the budget busy: the next follows on, unjudged. (Begun
            # afresh on every busy moment, each span waited a poll's lag again: where owed
            # polls took the budget's use over half, the next verdict came 6 s later.)
            audit.roll(now, self.results, rate)
            return audit.due_at
        typical = self.queue.base(self.model.median(now))
        lag = min(self.model.quantile(self._polls.thrifty, now), LAG_TYPICALS * typical)
        verdict = audit.judge(now, self.results, rate, lag, self.in_flight.jobs)
        if verdict is None:
            return audit.due_at
        seen, expected, span = verdict
        if self._owed_by is not line:
            self._owed_by = line  # (told once a line: the spans after say the same)
            self.record(
                Decision(
                    now,
                    "polls owed",
                    f"in {span:.3g} s with requests to spare, polls found {seen} jobs finished "
                    f"where the line of first come first served says about {expected:.0f} "
                    "started: the polls it holds back go early, the job most likely finished "
                    "first",
                    self.queue.cap,
                )
            )
        self.owed = max(self.owed, round(expected - seen))
        return now

    def _drop_line(self, now: float, why: str) -> None:
        """Stop following the line, for `why`: ages count from the submits again, and the
        queue's cap goes with it."""
        self.line.trusted = False
        self.audit.stop()
        self.owed = 0
        for other in self.jobs:
            other.times.move_origin(other.times.submitted_at)
        self.model.count_from_submits()
        self._polls.rekey()
        self.record(
            self.queue.release(
                now,
                "start line dropped",
                f"{why}: ages count from the submits, and jobs in flight are not capped (a "
                "queue in no order saves no polls)",
            )
        )


def _started_by(times: JobTimes, finished_at: float | None) -> float:
    """When a job had started by at the latest: before it finished, if a poll found it so
    (not "a fast job's time before": a bound taken from the model would become the duration
    measured, and the model would learn its own quantile back)."""
    if finished_at is None:
        return times.started_by
    return min(times.started_by, max(finished_at, times.submitted_at))
