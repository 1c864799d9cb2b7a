"""When to poll a job: learnt from how long jobs take, so most jobs need one GET.

A job's duration is only ever seen censored (done by the time we looked, or not), so the
schedule tracks quantiles by stochastic approximation: after a first poll at delay d, d grows
when the job was not done and shrinks when it was, in proportions that settle where a fraction
q of jobs are done at the first poll. Many jobs are first-polled at the same delay at once; their
observations count together as one step (each weighs 1/pending), or a burst of concurrent
"not done yet" answers would wind the delay up exponentially.

Small steps are slow to come down from a first guess far too high, so for the median a run of
successes that would be unlikely at the right delay (7 in a row: probability under 1%), all
polled at about the current delay or below, cuts the delay by a third at once. The high
quantile does not take such cuts: when the budget binds, polls wait for it and successes come
in correlated runs, and cutting on them costs GETs (0.98 of the throughput bound fell to 0.82
in the benchmark). It starts from the median's guess instead (see QUANTILE_SPREAD).

Two such trackers run: a high quantile for when the request budget is what limits throughput
(each GET spent on an unfinished job is a job not submitted), a median for when requests are
plentiful and latency matters more.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

THRIFTY_QUANTILE = 0.93
EAGER_QUANTILE = 0.5
QUANTILE_SPREAD = 3.0
"""At most this ratio between the high quantile and the median while only the median learns."""
UNLIKELY_RUN = 0.01
"""A run of first-poll successes this unlikely at the target quantile: the delay is too long."""
RUN_CUT = math.log(1.5)
"""How far (in log delay) such a run brings the delay down."""
FOLLOW_UP_FRACTION = 0.15
"""A follow-up poll comes this fraction of the first-poll delay after the previous one."""
FOLLOW_UP_GROWTH = 1.5


@dataclass(slots=True)
class _QuantileTracker:
    quantile: float
    log_delay: float
    low: float
    high: float
    rounds: float = 0.0
    pending: int = 0
    """First polls scheduled from this tracker and not yet observed."""
    cuts: bool = False
    """Whether unlikely runs of successes cut the delay (see the module docstring)."""
    run: int = 0
    """Successes in a row, each polled at about the current delay or below."""

    @property
    def delay(self) -> float:
        return math.exp(self.log_delay)

    @property
    def unlikely_run(self) -> int:
        return math.ceil(math.log(UNLIKELY_RUN) / math.log(self.quantile))

    def observe(self, done: bool, delay: float | None = None) -> None:
        if not done:
            self.run = 0
        elif not self.cuts:
            pass
        elif delay is None or math.log(delay) <= self.log_delay + RUN_CUT / 2:
            # Polled at about the current delay (jobs in flight were scheduled a little
            # earlier), not before the last cut: it says something about the current delay.
            self.run += 1
            if self.run >= self.unlikely_run:
                self.run = 0
                self.log_delay = max(self.low, self.log_delay - RUN_CUT)
                return
        weight = 1.0 / max(1, self.pending)
        # Larger steps while little is known, so a run converges within a few dozen jobs.
        step = max(0.08, 0.5 / math.sqrt(self.rounds + 1.0)) * weight
        self.rounds += weight
        if done:
            self.log_delay -= step * (1.0 - self.quantile)
        else:
            self.log_delay += step * self.quantile
        self.log_delay = min(self.high, max(self.low, self.log_delay))


class PollSchedule:
    """First-poll and follow-up delays for the jobs of one client."""

    def __init__(self, initial: float = 1.0, minimum: float = 0.01, maximum: float = 30.0) -> None:
        self.minimum = minimum
        self.maximum = maximum
        low, high = math.log(minimum), math.log(maximum)
        start = min(high, max(low, math.log(max(minimum, initial))))
        self._thrifty = _QuantileTracker(THRIFTY_QUANTILE, start, low, high)
        self._eager = _QuantileTracker(EAGER_QUANTILE, start, low, high, cuts=True)

    def estimate(self) -> float:
        """The thrifty first-poll delay, without scheduling a poll (for sizing work)."""
        return self._thrifty.delay

    def first_delay(self, thrifty: bool) -> float:
        """Seconds from submit to the first poll; `thrifty` when requests are scarce.

        Every call must be answered by one `observe_first_poll` with the same `thrifty`.
        """
        tracker = self._thrifty if thrifty else self._eager
        tracker.pending += 1
        return tracker.delay

    def observe_first_poll(
        self, thrifty: bool, done: bool | None, delay: float | None = None
    ) -> None:
        """Teach the schedule what the first poll, `delay` seconds after submit, found.

        `done` is None when the poll never happened.
        """
        tracker = self._thrifty if thrifty else self._eager
        if done is not None:
            tracker.observe(done, delay)
        tracker.pending = max(0, tracker.pending - 1)
        # The eager (median) delay never sits above the thrifty (high quantile) one: the
        # tracker that just learnt moves the other, so each learns even if used alone.
        if self._eager.log_delay > self._thrifty.log_delay:
            if thrifty:
                self._eager.log_delay = self._thrifty.log_delay
            else:
                self._thrifty.log_delay = self._eager.log_delay
        if done is not None and not thrifty:
            # The high quantile learns downwards in small steps; while the median is what
            # learns, keep it within a plausible spread of the median, so that when requests
            # become scarce it starts from a good guess rather than from `initial`.
            ceiling = self._eager.log_delay + math.log(QUANTILE_SPREAD)
            self._thrifty.log_delay = min(self._thrifty.log_delay, ceiling)

    def follow_up_delay(self, polls_so_far: int) -> float:
        """Seconds until the next poll of a job that was not done after `polls_so_far` polls."""
        base = self._thrifty.delay * FOLLOW_UP_FRACTION
        delay = base * FOLLOW_UP_GROWTH ** max(0, polls_so_far - 1)
        return min(self.maximum, max(self.minimum, delay))
