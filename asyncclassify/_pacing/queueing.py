"""Whether the service queues our jobs, and how many to keep in flight when it does. Pure logic.

A job stays `notStarted` for a moment after it is created; one still `notStarted` long after
jobs are usually seen started may wait in a queue behind our own jobs, and then more jobs in
flight would only wait longer. But start spells also simply vary from job to job and hour to
hour, on a service with no queue at all. So a queue is a hypothesis, and what it holds back is
checked by its effect:

* suspected: a job is found `notStarted` well past the age jobs are usually seen started.
  Nothing is held back: the jobs in flight grow as the budget needs, and submits keep their
  turn. Slowing them until the queue was confirmed (with due polls ahead of submits) kept
  queues shallow, but cost a quarter of the throughput wherever start spells simply vary,
  and on short runs behind a real queue.
* confirmed, or ruled out, by the jobs' own times at the service (submit to the service's
  finish time) against the jobs in flight when each was sent: behind our own jobs, those
  sent with more in flight wait longer (each job more waits one more start); with no queue,
  they take as long as the others. While jobs finish about as fast as the budget allows,
  nothing is concluded (slower jobs need more in flight for the same budget). Once
  confirmed, jobs in flight are capped at a few times as many as the service runs at once
  (the time without a wait over the time between two starts).
* withdrawn, at once, when a period in which the cap held submits back finished surely fewer
  jobs than the best period since it was confirmed or the few read before (`throughput`:
  fewer jobs in flight finished fewer jobs, so the cap costs throughput); periods in which
  too few jobs finished to judge them alone are judged together with the next. No queue is
  suspected again for a while that doubles each time. Every few periods the cap is raised
  for two periods and kept higher only if jobs then finish faster. (The cap counts jobs at
  the service: the pacer adds room for the finished jobs that wait for their poll.)

Each change is a `Decision` with its reason, for the log and the run's statistics.

While the service queues them, our jobs' durations count from when they are estimated to
start running, not from their submits (`StartLine`). Counted from the submits, durations grow
with the queue, so do the jobs counted as still at the service, and the queue with them; polls
come late when the queue drains (at the end of a run) and early when it fills. The estimate
errs early (it rests on bounds: a job starts once submitted, and after a poll found it
waiting), so part of the wait is still counted, but no longer feeds on itself. First come
first served is itself a hypothesis: the line is dropped (ages count from the submits again)
once polls too often find jobs where it said they would not be, as when shared workers pick
jobs up in no order.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .throughput import Period

QUEUED_AFTER = 1.0
"""A job still `notStarted` at this fraction of a typical duration is waiting in a queue..."""
QUEUED_AFTER_START = 3.0
"""...or at this multiple of the youngest age at which jobs have been seen started."""
BASE_WINDOWS = 5
"""The typical duration without a queue is the least seen over this many rate windows."""
MIN_PAIRS = 90
MAX_PAIRS = 600
REVIEW_EVERY = 10
"""Confirming a queue takes this many jobs finished since it was suspected, reviewed after
every this many more..."""
GROWTH = 1.5
LONGER = 2.0
"""...and is done when the third sent with the most in flight had this many times the jobs
in flight of the fifth with the fewest (those most likely not to have waited), and took this
many times as long."""
SAME = 1.25
"""...or ruled out when the third with the most took less than this many times as long."""
FLAT = 1.1
"""A higher cap is kept when jobs finish this much faster under it."""
BUDGET = 0.8
"""Jobs finishing at this share of what the budget allows say nothing of a queue."""
MIN_FINISHED = 20
"""Jobs that must finish in a period for its rate to say anything."""
ROOM = 2.5
"""The cap, in multiples of the jobs in flight at the knee (where waits begin to grow)."""
MIN_CAP = 4.0
HOLDS = 0.9
"""With the cap binding, a period must finish at least this share of the best period's jobs
per second (beyond noise), or the cap is withdrawn."""
BINDING = 0.5
"""The cap binds in a period in which it held submits back this share of the time."""

QUIET_PERIODS = 4
"""No job found waiting for this many periods: the queue is gone."""
PROBE_EVERY = 4
"""Periods between two raises of the cap that test whether it still fits..."""
PROBE_RAISE = 1.5
"""...by this factor, kept if jobs then finish faster than `FLAT` times the best rate."""
HOLD_OFF_WINDOWS = 5.0
"""A cap withdrawn for costing throughput: no queue is suspected for this many rate windows
(doubling with each such withdrawal)."""

State = Literal["none", "suspected", "confirmed", "ruled out"]


@dataclass(frozen=True, slots=True)
class Decision:
    """A change of course, with its reason."""

    at: float
    what: str
    reason: str
    cap: float | None


class QueueWatch:
    """Learns from polls whether the service queues our jobs, and holds a cap on the jobs in
    flight only while its effect shows it costs nothing (see the module docstring)."""

    def __init__(self, window: float) -> None:
        self.window = window
        self._typicals: deque[tuple[float, float]] = deque()
        """(window start, least typical duration seen in it), oldest first."""
        self.started_age = math.inf
        """The youngest age at which a poll found a job started (running or finished)."""
        self.state: State = "none"
        self.cap: float | None = None
        """The most jobs worth having in flight, while a queue is confirmed (else None)."""
        self.reason = ""
        """Why the cap is what it is (or why there is none)."""
        self.queued_seen = 0
        self.start_rate = 0.0
        """How many of our jobs the service starts per second, as the confirmation measured
        it (0 until then)."""
        self.unqueued = math.inf
        """A job at the service longer than this waited in the queue (once confirmed)."""
        self._queued_at = -math.inf
        """When a job was last found waiting."""
        self._unreviewed = 0
        """Jobs finished since the pairs were last weighed."""
        self._pairs: list[tuple[int, float]] = []
        """(jobs in flight at its submit, time at the service) of jobs finished while a
        queue is suspected."""
        self._best: Period | None = None
        """The period that finished the most jobs per second while confirmed."""
        self._hold_off = HOLD_OFF_WINDOWS * window
        self._retry_at = -math.inf
        self._periods_capped = 0
        self._sparse: Period | None = None
        """Periods read since the last one judged, joined, while too few jobs finished in them
        to judge them."""
        self._probe: tuple[int, float, Period] | None = None
        """(period count when a raise began, the cap before it, the best period then)."""

    # -- what polls tell --------------------------------------------------------------------

    def queued_after(self, typical: float) -> float:
        """The age beyond which a `notStarted` job is waiting in a queue (`typical` being the
        typical duration now; a queue makes it longer, so the least of recent windows is
        what counts)."""
        base = self.base(typical)
        return max(QUEUED_AFTER * base, QUEUED_AFTER_START * min(self.started_age, base))

    @property
    def suspected(self) -> bool:
        """Whether a queue of our jobs at the service is suspected or confirmed."""
        return self.state in ("suspected", "confirmed")

    def base(self, typical: float) -> float:
        """The typical duration without a queue: the least of recent windows' (`typical`
        being the model's now)."""
        return min([typical, *(least for _, least in self._typicals)])

    def typical_seen(self, typical: float, now: float) -> None:
        """The model's typical duration at `now` (only the least of each window is kept)."""
        slot = now - now % self.window
        typicals = self._typicals
        if typicals and typicals[-1][0] == slot:
            if typical < typicals[-1][1]:
                typicals[-1] = (slot, typical)
        else:
            typicals.append((slot, typical))
        while typicals and typicals[0][0] < slot - BASE_WINDOWS * self.window:
            typicals.popleft()

    def found_queued(
        self, now: float, age: float, after: float, *, in_flight: int
    ) -> Decision | None:
        """A poll at `now` found a job `notStarted` at `age`, past `after`, with `in_flight`
        jobs in flight."""
        self.queued_seen += 1
        self._queued_at = now
        if self.state == "ruled out" and now >= self._retry_at:
            self.state = "none"
        if self.state != "none":
            return None
        self.state = "suspected"
        self._pairs.clear()
        self._unreviewed = 0
        return self._decide(
            now,
            "queue suspected",
            f"a job was still notStarted at {age:.3g} s (jobs start by about {after:.3g} s),"
            f" {in_flight} in flight; nothing is held back until the jobs' times tell "
            "whether they wait behind our own",
        )

    # -- what periods tell ------------------------------------------------------------------

    def review(self, periods: Sequence[Period]) -> Decision | None:
        """A period has closed (the last of `periods`)."""
        now = periods[-1].end
        if self.state == "ruled out" and now >= self._retry_at:
            self.state = "none"
        if self.state == "suspected":
            return self._confirm(periods)
        if self.state == "confirmed":
            return self._check(periods)
        return None

    def _confirm(self, periods: Sequence[Period]) -> Decision | None:
        now = periods[-1].end
        if now - self._queued_at > QUIET_PERIODS * (now - periods[-1].start):
            self.state = "none"
            self._pairs.clear()
            return self._decide(now, "queue not seen again", "no job found waiting lately")
        return None

    def finished(
        self, now: float, *, load: int, sojourn: float, rate: float, affordable: float
    ) -> Decision | None:
        """A job sent while `load` jobs were in flight spent `sojourn` seconds at the service
        (its submit to the service's own finish time); `rate`: jobs finishing per second
        lately, `affordable`: as many as the budget allows."""
        if self.state != "suspected":
            return None
        pairs = self._pairs
        pairs.append((load, sojourn))
        if len(pairs) > MAX_PAIRS:
            del pairs[0]
        self._unreviewed += 1
        if len(pairs) < MIN_PAIRS or self._unreviewed < REVIEW_EVERY:
            return None
        self._unreviewed = 0
        if rate >= BUDGET * affordable:
            # Jobs finish about as fast as the budget allows: more in flight because each
            # took longer is the budget's doing (Little's law), not a queue's.
            return None
        # By load alone: among jobs sent with as many in flight, which are "low" and which
        # "high" must not depend on their times (sorting by time too confirmed queues that
        # were not there, the slowest of a crowded load against the fastest).
        ordered = sorted(pairs, key=_load)
        low, high = ordered[: len(ordered) // 5], ordered[-(len(ordered) // 3) :]
        low_load, high_load = _median([p[0] for p in low]), _median([p[0] for p in high])
        low_wait, high_wait = _median([p[1] for p in low]), _median([p[1] for p in high])
        if high_load < GROWTH * low_load or high_load <= low_load or low_wait <= 0:
            return None  # (times of zero: jobs finished within the clock's own error)
        if high_wait < SAME * low_wait:
            return self.release(
                now,
                "queue ruled out",
                f"jobs sent with {high_load:.0f} in flight took {high_wait:.3g} s, with "
                f"{low_load:.0f} {low_wait:.3g} s: no longer",
            )
        if high_wait < LONGER * low_wait:
            return None
        # Past the knee every job more in flight waits one more start: the slope is the
        # time between two starts, and the jobs running are that rate times a job's time
        # without the wait.
        per_start = (high_wait - low_wait) / (high_load - low_load)
        running = low_wait / per_start
        self.start_rate = 1.0 / per_start
        self.state, self._periods_capped = "confirmed", 0
        self._best, self._probe, self._sparse = None, None, None
        self.unqueued = LONGER * low_wait
        return self._decide(
            now,
            "queue confirmed",
            f"jobs sent with {high_load:.0f} in flight took {high_wait:.3g} s, with "
            f"{low_load:.0f} {low_wait:.3g} s: they wait behind our own jobs; about "
            f"{running:.0f} run at once",
            max(MIN_CAP, ROOM * running),
        )

    def _check(self, periods: Sequence[Period]) -> Decision | None:
        last = periods[-1]
        if self._sparse is not None:
            last = self._sparse.joined(last)
            self._sparse = None
        now = last.end
        cap = self.cap
        assert cap is not None
        # The best rate lately, before the cap too: what a binding cap must not fall below.
        telling = [period for period in periods if period.finished >= MIN_FINISHED]
        if self._best is not None:
            telling.append(self._best)
        best = max(telling, key=_rate) if telling else None
        probe = self._probe
        binding = last.held >= BINDING
        surely_below = binding and probe is None and best and last.rate_below(best, HOLDS)
        if last.finished < MIN_FINISHED and not surely_below:
            # Too few jobs finished in it to tell much: it is judged with the next ones (a
            # period left out for finishing few would leave out the very evidence that the
            # cap costs jobs), unless it is surely below the best already.
            self._sparse = last
            return None
        assert best is not None or last.finished >= MIN_FINISHED
        best = last if best is None else max(best, last, key=_rate)
        self._periods_capped += 1
        self._best = best
        if binding and probe is None and last.rate_below(best, HOLDS):
            return self.release(
                now,
                "cap withdrawn",
                f"fewer jobs in flight finished fewer jobs ({last.level:.0f} in flight: "
                f"{last.rate:.3g}/s; {best.level:.0f}: {best.rate:.3g}/s)",
            )
        if probe is not None:
            started, before, best_then = probe
            if self._periods_capped - started >= 2:
                self._probe = None
                if not last.rate_above(best_then, FLAT):
                    return self._decide(
                        now, "cap kept", "a higher cap finished no more jobs", before
                    )
                return self._decide(
                    now,
                    "cap raised",
                    f"a higher cap finished more jobs ({last.rate:.3g}/s, was "
                    f"{best_then.rate:.3g}/s)",
                    cap,
                )
            return None
        if binding and self._periods_capped % PROBE_EVERY == 0:
            self._probe = (self._periods_capped, cap, self._best)
            return self._decide(
                now,
                "cap on trial",
                f"raised for two periods: kept if more jobs then finish than {best.rate:.3g}/s",
                cap * PROBE_RAISE,
            )
        return None

    def release(self, now: float, what: str, reason: str) -> Decision:
        """Cap nothing, for `reason` (no queue, or a cap that would not pay), and suspect no
        queue again for a while that doubles each time."""
        self.state, self._probe = "ruled out", None
        self._retry_at = now + self._hold_off
        hold_off, self._hold_off = self._hold_off, self._hold_off * 2
        return self._decide(
            now, what, f"{reason}; no queue is suspected again for {hold_off:.3g} s"
        )

    def _decide(self, now: float, what: str, reason: str, cap: float | None = None) -> Decision:
        self.cap = cap
        self.reason = reason
        return Decision(now, what, reason, cap)


def _median(values: list[float] | list[int]) -> float:
    ordered = sorted(values)
    return float(ordered[len(ordered) // 2])


def _rate(period: Period) -> float:
    return period.rate


def _load(pair: tuple[int, float]) -> int:
    return pair[0]
