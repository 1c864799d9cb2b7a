"""What a pacer is told about its resource (`PacingSettings`), and the constants that tune
its decisions (each says what it weighs)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class PacingSettings:
    """What a pacer is told about its resource and how far it may go."""

    requests_per_minute: int = 1000
    window: float = 60.0
    """Seconds of the service's rate window (60; shorter only for time-scaled emulators)."""
    first_poll: float = 1.0
    """The guess of a typical job's duration (seconds) until jobs have been seen to finish."""
    max_jobs_in_flight: int = 2000
    max_bytes_in_flight: int = 256 * 2**20
    """Bytes of documents held by the jobs in flight (each is kept until its results are out,
    to be sent again should its job fail)."""
    thrifty_quantile: float = 0.98
    eager_quantile: float = 0.8
    first_result_quantile: float = 0.5

    def __post_init__(self) -> None:
        if self.requests_per_minute < 1 or self.window <= 0 or self.first_poll <= 0:
            raise ValueError("pacing needs requests_per_minute >= 1, window > 0, first_poll > 0")
        if self.max_jobs_in_flight < 1 or self.max_bytes_in_flight < 1:
            raise ValueError("pacing needs room for at least one job in flight")
        for quantile in (self.thrifty_quantile, self.eager_quantile, self.first_result_quantile):
            if not 0 < quantile < 1:
                raise ValueError("poll quantiles lie strictly between 0 and 1")


FRONT_LOAD = 3.0
"""Jobs in flight allowed, in multiples of what Little's law needs to keep the budget busy."""
HELD_QUANTILE = 0.9995
MIN_IN_FLIGHT = 4
START_PROBES_FILLING = 4.0
"""While jobs in flight grow at the start, this many start probes per typical duration go
before submits..."""
START_PROBES_SPARE = 2.0
"""...and later this many, on requests the budget has to spare while submits wait."""
STRAGGLER_SPACING = 0.25
"""While requests are not scarce, an unfinished job is polled at least this often (of a
typical duration)..."""
SPARE_SHARE = 0.1
"""...as far as this share of the budget allows over every job in flight."""
IDLE_SHARE = 0.5
"""...or this share of what the budget leaves idle, if more (requests idle now are lost)."""
SCARCE_USE = 0.9
"""Requests are scarce while the budget's recent utilization is at least this..."""
IDLE_USE = 0.5
"""...and far from binding while it is below this."""
PULL_USE = 0.5
"""While work waits on the jobs in flight and the budget is used less than this, polls not
yet due go early, the job most likely finished first."""
TYPICAL_LATENCY = 0.05
"""Seconds a request takes, until answers tell."""
PERIOD_TYPICALS = 2.0
"""A throughput period lasts this many typical durations (without a queue)..."""
PERIOD_FINISHED = 40.0
"""...and long enough for this many jobs to finish at the best rate lately..."""
PERIOD_MIN_WINDOWS = 0.05
PERIOD_MAX_WINDOWS = 4.0
"""...within these bounds (in rate windows)."""
DECISIONS_KEPT = 100
LATENESS_WEIGHT = 0.05
"""The weight of each job's lateness in the running mean of how late polls come."""
LIFETIME_SHARE = 0.5
"""Once a job was found gone (the service forgot it), the jobs in flight are held to what
the budget can read within this share of that job's age: none waits long enough to expire."""
