"""How long jobs take: a distribution learnt from what the service says, and asked for quantiles.

Pure logic: time is passed in. What a job tells:

* when it finishes: its exact duration, from the service's own timestamps (each task's
  `lastUpdateDateTime` is the moment it finished, on the service's clock) converted to ours
  (see `ServiceClock`), kept within what our own polls bracket;
* while it runs: that it has lasted at least this long (right censoring at the age of the last
  poll that found it unfinished).

The cohort is the recent jobs, weighted by how long before the newest finished jobs they were
submitted (a half-life of a quarter of the rate window, or two typical durations if longer),
so that a change of regime is followed within a window or two, while a pause in submissions
forgets nothing. From it, a Kaplan-Meier estimate of the survival function
answers quantiles within the data; a lognormal fitted to the same data (censored maximum
likelihood, by expectation-maximisation) answers beyond it, and alone while few jobs have
finished, with its spread widened for the small sample.
"""

from __future__ import annotations

import itertools
import math
import operator
from bisect import bisect_left, bisect_right
from collections import deque
from dataclasses import dataclass
from statistics import NormalDist

SMALL_SAMPLE = 30.0
"""Below this many (weighted) finished jobs, quantiles come from the fitted lognormal."""
PRIOR_SIGMA = 0.5
"""The spread of log durations assumed before data says otherwise (a realistic service)."""
PRIOR_WEIGHT = 2.0
"""How many jobs' worth of evidence the assumed spread carries."""
HALF_LIFE_OF_WINDOW = 1 / 4
HALF_LIFE_DURATIONS = 2.0
REFRESH_OF_HALF_LIFE = 1 / 4
"""Once the sample is large, the estimate is refreshed at most this often (of a half-life)..."""
REFRESH_OF_SAMPLE = 0.25
"""...or once news of this share of the sample has come in, whichever comes first."""
ANCHOR_RANK = 10
"""Weights count back from when the tenth newest finished job was submitted."""
MIN_WEIGHT = 0.05
"""Jobs weighing less than this are forgotten (unless the cohort would get too small)."""
MIN_COHORT = 60
MAX_COHORT = 1_200
EM_ROUNDS = 25
MAX_SIGMA = 2.0
"""The widest spread of log durations the fit may reach (a tenth of jobs 13 times slower
than the median): a few short jobs against many censored long ones must not fit a spread
that puts the median at years."""
EVENT_FLOOR = 0.01
"""Durations below this share of the median duration are counted as that (a duration of
nearly zero is a start estimated late, and its logarithm would swamp the fit)."""
_NORMAL = NormalDist()


@dataclass(eq=False, slots=True)
class JobTimes:
    """What is known of one job's duration so far (times on the local monotonic clock).

    Ages count from `origin`: when the job was submitted, or, while the service queues our
    jobs, when it is estimated to have started running (see `queueing.StartLine`), so that
    durations are the service's running times, not our queue's length.
    """

    submitted_at: float
    """When the service created the job, as near as we can tell (the submit's midpoint)."""
    survived: float = 0.0
    """The greatest age at which a poll found the job unfinished."""
    done_age: float | None = None
    """The age of the poll that found the job finished."""
    duration: float | None = None
    """The exact duration, from the service's timestamps, when known."""
    origin: float = math.nan
    """When its running time starts to count (the submit unless the service queues jobs)."""
    unfinished_at: float = -math.inf
    """When a poll last found it unfinished (local clock)."""
    waiting_at: float = -math.inf
    """When a poll last found it `notStarted` (it started after that)."""
    started_by: float = math.inf
    """When a poll first found it started (it started before that)."""

    def __post_init__(self) -> None:
        if math.isnan(self.origin):
            self.origin = self.submitted_at

    def unfinished(self, at: float) -> None:
        """A poll sent at `at` found the job unfinished."""
        self.unfinished_at = max(self.unfinished_at, at)
        self.survived = max(self.survived, at - self.origin)

    def move_origin(self, origin: float) -> None:
        """Count its ages from `origin` (a job whose start is estimated anew); a finished
        job's duration moves with it, so that every job of a cohort counts from alike."""
        shift = self.origin - origin
        self.origin = origin
        self.survived = max(0.0, self.unfinished_at - origin)
        if self.done_age is not None:
            self.done_age = max(self.survived, self.done_age + shift)
            if self.duration is not None:
                self.duration = min(self.done_age, max(self.survived, self.duration + shift))

    def finished(self, done_age: float, duration: float | None) -> None:
        """Record the poll that found the job done, and its exact duration if known."""
        self.done_age = done_age
        if duration is not None:
            self.duration = min(done_age, max(self.survived, duration))


class DurationModel:
    """The distribution of job durations (submit to finished), from a weighted recent cohort."""

    def __init__(self, guess: float, window: float) -> None:
        if guess <= 0 or window <= 0:
            raise ValueError("a duration model needs a positive guess and window")
        self.guess = guess
        self.window = window
        self._jobs: deque[JobTimes] = deque()
        self._retired: deque[JobTimes] = deque(maxlen=MIN_COHORT)
        """The newest finished jobs that left the cohort: while thousands of jobs in flight
        are polled unfinished, they crowd the finished ones out, and a model with nothing
        finished would forget all it knew."""
        self._dirty = True
        self._news = 0
        """Observations since the last refresh."""
        self._refresh_at = -math.inf
        self.version = 0
        """Counts refreshes of the estimate (for callers that cache what they derive)."""
        self._quantiles: dict[float, float] = {}
        """Quantiles asked since the last refresh."""
        self._times: list[float] = []
        self._neg_survival: list[float] = []
        """Minus the Kaplan-Meier survival after each event time (ascending, for bisect)."""
        self._mu = math.log(guess)
        self._sigma = PRIOR_SIGMA
        self._spread = PRIOR_SIGMA
        """The fitted spread, widened for a small sample."""
        self.events = 0.0
        """Weighted number of finished jobs in the cohort."""

    # -- what the pacer tells ---------------------------------------------------------------

    def track(self, job: JobTimes) -> None:
        """A new job to learn from as it is polled."""
        self._jobs.append(job)
        if len(self._jobs) > MAX_COHORT:
            self._retire(self._jobs.popleft())

    def forget_longer(self, duration: float) -> None:
        """Forget the finished jobs that took longer than `duration` (they waited in a
        queue: their time says nothing of how long jobs run); should too few be left to
        learn from, the shortest few are kept (they waited least). Jobs still running stay."""
        finished = sorted(_value(job) for job in self._jobs if _value(job) < math.inf)
        if not finished:
            return
        shortest = finished[min(len(finished), int(SMALL_SAMPLE)) - 1]
        longest = max(duration, shortest)
        self._jobs = deque(
            job for job in self._jobs if _value(job) <= longest or _value(job) == math.inf
        )
        self._retired = deque(
            (job for job in self._retired if _value(job) <= longest), maxlen=MIN_COHORT
        )
        self.changed()
        self._refresh_at = -math.inf  # (much was forgotten: no waiting for a refresh)

    def count_from_submits(self) -> None:
        """Count every tracked job's times from its submit again (a queue's start line,
        which they were counted from, is dropped)."""
        for job in (*self._retired, *self._jobs):
            job.move_origin(job.submitted_at)
        self.changed()
        self._refresh_at = -math.inf

    def changed(self) -> None:
        """Something was learnt about a tracked job."""
        self._dirty = True
        self._news += 1

    # -- what the pacer asks ----------------------------------------------------------------

    def refresh_at(self) -> float | None:
        """When the estimate will take in what it was told since its last refresh (None: it
        has nothing new). Quantiles asked before then are the old estimate's, so whoever
        schedules by them should ask again then."""
        return self._refresh_at if self._dirty else None

    def warm(self, now: float) -> bool:
        """True once some job of the cohort has finished: quantiles rest on data."""
        if self.events > 0:
            return True  # (and stays so: a finished job keeps a weight above zero)
        self._refresh(now)
        return self.events > 0

    def median(self, now: float) -> float:
        """The typical duration (the guess until a job has finished)."""
        return self.quantile(0.5, now)

    def quantile(self, q: float, now: float) -> float:
        """The duration that a fraction `q` of jobs do not exceed."""
        self._refresh(now)
        cached = self._quantiles.get(q)
        if cached is None:
            cached = self._quantiles[q] = self.conditional_quantile(q, 0.0, now)
        return cached

    def conditional_quantile(self, q: float, survived: float, now: float) -> float:
        """The age by which a job that lasted `survived` is finished with probability `q`."""
        self._refresh(now)
        if self.events >= SMALL_SAMPLE and self._times:
            target = (1.0 - q) * self._survival_at(survived)
            index = bisect_left(self._neg_survival, -target)
            if index < len(self._times) and self._times[index] > survived:
                return self._times[index]
            # Past every duration in the sample, it says nothing (read as "now", a job older
            # than them all was polled again at every answer): the fit's tail tells, within
            # a typical duration more (a tail that thin says the job is not what it seems,
            # as when it started later than a queue's line said, and it holds a place).
            last = max(survived, self._times[-1])
            return min(self._lognormal_conditional(q, last), last + math.exp(self._mu))
        return self._lognormal_conditional(q, survived)

    def probability_done(self, age: float, survived: float, now: float) -> float:
        """The chance that a job that lasted `survived` is finished at `age`."""
        self._refresh(now)
        if age <= survived:
            return 0.0
        if self.events >= SMALL_SAMPLE and self._times and age <= self._times[-1]:
            before = self._survival_at(survived)
            return 1.0 - self._survival_at(age) / before if before > 0 else 1.0
        before = self._lognormal_survival(survived)
        if before <= 0:
            return 1.0
        return 1.0 - self._lognormal_survival(age) / before

    @property
    def sigma(self) -> float:
        """The fitted spread of log durations."""
        return self._sigma

    # -- the estimate -----------------------------------------------------------------------

    def _refresh(self, now: float) -> None:
        # Weights are anchored on the newest finished job, not on `now`: without news there
        # is nothing to recompute. Once the sample is large, each job's news moves the
        # estimate very little: refresh after a while, or after a share of the sample.
        if not self._dirty:
            return
        large = self.events >= SMALL_SAMPLE
        if large and now < self._refresh_at and self._news < REFRESH_OF_SAMPLE * len(self._jobs):
            return
        self._dirty = False
        self._news = 0
        self._quantiles.clear()
        self.version += 1
        half_life = self._half_life()
        self._refresh_at = now + half_life * REFRESH_OF_HALF_LIFE
        jobs = self._jobs
        newest = self._anchor(now)
        decay = math.log(2.0) / half_life
        oldest = newest + math.log(MIN_WEIGHT) / decay
        while len(jobs) > MIN_COHORT and jobs[0].submitted_at < oldest:
            self._retire(jobs.popleft())
        exp = math.exp
        events: list[tuple[float, float]] = []
        censored: list[tuple[float, float]] = []
        for job in (*self._retired, *jobs):
            value = job.duration if job.duration is not None else job.done_age
            age = newest - job.submitted_at
            weight = exp(-decay * age) if age > 0 else 1.0
            if value is not None:
                events.append((value, weight))
            elif job.survived > 0:
                censored.append((job.survived, weight))
        self.events = math.fsum(map(_second, events))
        self._kaplan_meier(events, censored)
        if self.events > 0:
            self._fit_lognormal(events, censored)
        else:
            self._mu, self._sigma, self._spread = math.log(self.guess), PRIOR_SIGMA, PRIOR_SIGMA

    def _retire(self, job: JobTimes) -> None:
        if _value(job) < math.inf:
            self._retired.append(job)

    def _anchor(self, now: float) -> float:
        """When the newest finished jobs were submitted: the `ANCHOR_RANK`-th newest, so that
        a few young jobs polled early and found done do not discount everything else."""
        seen = 0
        anchor = now
        for job in itertools.chain(reversed(self._jobs), reversed(self._retired)):
            if job.done_age is not None:
                anchor = job.submitted_at
                seen += 1
                if seen == ANCHOR_RANK:
                    break
        return anchor

    def _half_life(self) -> float:
        typical = math.exp(self._mu)
        return max(self.window * HALF_LIFE_OF_WINDOW, HALF_LIFE_DURATIONS * typical)

    def _kaplan_meier(
        self, events: list[tuple[float, float]], censored: list[tuple[float, float]]
    ) -> None:
        items = [(value, 0, weight) for value, weight in events]
        items += [(value, 1, weight) for value, weight in censored]
        items.sort()  # at equal values, events before censoring (the usual convention)
        at_risk = self.events + math.fsum(map(_second, censored))
        survival = 1.0
        times: list[float] = []
        neg_survival: list[float] = []
        index, count = 0, len(items)
        while index < count:
            value = items[index][0]
            died = removed = 0.0
            while index < count and items[index][0] == value:
                _, kind, weight = items[index]
                if kind == 0:
                    died += weight
                removed += weight
                index += 1
            if died > 0 and at_risk > 0:
                survival *= max(0.0, 1.0 - died / at_risk)
                times.append(value)
                neg_survival.append(-survival)
            at_risk -= removed
        self._times = times
        self._neg_survival = neg_survival

    def _survival_at(self, age: float) -> float:
        index = bisect_right(self._times, age) - 1
        return 1.0 if index < 0 else -self._neg_survival[index]

    def _fit_lognormal(
        self, events: list[tuple[float, float]], censored: list[tuple[float, float]]
    ) -> None:
        """Censored maximum likelihood of (mu, sigma) of log durations, with a weak prior on
        sigma; then sigma widened for a small sample (a rough predictive spread)."""
        log = math.log
        values = sorted(value for value, _ in events)
        floor = max(1e-6, EVENT_FLOOR * values[len(values) // 2])
        logs = [log(max(value, floor)) for value, _ in events]
        weights = list(map(_second, events))
        cuts = [(log(max(value, 1e-6)), weight) for value, weight in censored]
        event_weight = self.events
        weighted = list(map(operator.mul, logs, weights))
        event_first = math.fsum(weighted)
        event_second = math.fsum(map(operator.mul, weighted, logs))
        total = event_weight + math.fsum(map(_second, censored))
        mu = event_first / event_weight
        sigma = max(self._sigma, 0.05)
        for _ in range(EM_ROUNDS if cuts else 1):
            first, second = event_first, event_second
            for cut, weight in cuts:
                hazard = _inverse_mills((cut - mu) / sigma)
                first += weight * (mu + sigma * hazard)
                second += weight * (mu * mu + sigma * sigma + sigma * (mu + cut) * hazard)
            new_mu = first / total
            variance = (second - 2 * new_mu * first + new_mu * new_mu * total) / total
            variance = (variance * total + PRIOR_WEIGHT * PRIOR_SIGMA**2) / (total + PRIOR_WEIGHT)
            new_sigma = min(MAX_SIGMA, math.sqrt(max(variance, 1e-4)))
            converged = abs(new_mu - mu) < 1e-4 and abs(new_sigma - sigma) < 1e-4
            mu, sigma = new_mu, new_sigma
            if converged:
                break
        self._mu, self._sigma = mu, sigma
        self._spread = sigma * (1.0 + 1.0 / math.sqrt(max(self.events, 1.0)))

    def _lognormal_survival(self, age: float) -> float:
        if age <= 0:
            return 1.0
        z = (math.log(age) - self._mu) / self._spread
        return 0.5 * math.erfc(z / math.sqrt(2.0))

    def _lognormal_conditional(self, q: float, survived: float) -> float:
        target = (1.0 - q) * self._lognormal_survival(survived)
        if target <= 1e-12:
            return survived * 1.5 if survived > 0 else math.exp(self._mu)
        z = -_NORMAL.inv_cdf(min(target, 1.0 - 1e-12))
        return max(survived, math.exp(self._mu + self._spread * z))


_second = operator.itemgetter(1)


def _value(job: JobTimes) -> float:
    """A finished job's duration (inf while it runs)."""
    if job.duration is not None:
        return job.duration
    return job.done_age if job.done_age is not None else math.inf


def _inverse_mills(alpha: float) -> float:
    """phi(alpha) / (1 - Phi(alpha)), stable far into the tail."""
    if alpha > 8.0:
        return alpha + 1.0 / alpha
    tail = 0.5 * math.erfc(alpha / math.sqrt(2.0))
    density = math.exp(-0.5 * alpha * alpha) / math.sqrt(2.0 * math.pi)
    return density / tail if tail > 0 else alpha
