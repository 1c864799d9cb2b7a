"""Progress of a run on stderr: a bar on a terminal (tqdm), a log line now and then without
one, and the closing summary. Redrawn on a timer, so a run waiting on the budget or the
service says so instead of freezing."""

from __future__ import annotations

import math
import sys
import time
from typing import Any, Literal, TextIO

from tqdm import tqdm

from .._pacing import Pacer
from .._pacing.runtime import PacerRuntime
from .._stats import RunStats

Mode = Literal["bar", "log", "off"]
BAR_EVERY = 0.5
"""Seconds between redraws of the bar."""
LOG_EVERY = 15.0
"""Seconds between log lines without a terminal."""
RATE_MEMORY = 10.0
"""Seconds the recent rate remembers (a fading average)."""


class Progress:
    """Counts what a run has written and reports it: `update()` per result, `tick()` on a
    timer (every `interval` seconds), `summary()` at the end."""

    def __init__(
        self,
        stats: RunStats,
        total: int | None,
        mode: Mode,
        *,
        kept: int = 0,
        pacer: Pacer | None = None,
        stream: TextIO | None = None,
    ) -> None:
        self.stats = stats
        self.pacer = pacer
        self.pacers: list[Pacer] = []
        """Every resource's pacer, when the run has several (else `pacer`)."""
        self._total = total
        self._mode = mode
        self._stream = stream if stream is not None else sys.stderr
        self._started = time.monotonic()
        self.ok = 0
        """Documents written with an answer (or kept from an earlier run)."""
        self.failed = 0
        """Documents written with an error (malformed input included)."""
        self._kept = kept
        self._rate = 0.0
        self._rate_at = self._started
        self._rate_done = kept
        self._bar: tqdm[Any] | None = None
        if mode == "bar":
            self._bar = tqdm(
                total=total,
                initial=kept,
                unit="doc",
                file=self._stream,
                dynamic_ncols=True,
                smoothing=0.1,
                mininterval=BAR_EVERY,
            )

    def set_total(self, total: int | None) -> None:
        """The number of records the input holds, once counted (while the run goes)."""
        self._total = total
        if self._bar is not None:
            self._bar.total = total
            self._bar.refresh()

    @property
    def interval(self) -> float:
        """Seconds between ticks."""
        return BAR_EVERY if self._mode == "bar" else LOG_EVERY

    @property
    def enabled(self) -> bool:
        """Whether anything is reported while the run goes."""
        return self._mode != "off"

    @property
    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self._started

    @property
    def done(self) -> int:
        """Documents with their line (kept ones included)."""
        return self.ok + self.failed

    def update(self) -> None:
        """One more line written."""
        if self._bar is not None:
            self._bar.update(self.done - self._bar.n)

    def tick(self) -> None:
        """Redraw (or log), with what the run waits for."""
        self._measure()
        if self._bar is not None:
            self._bar.set_postfix_str(self._situation(), refresh=False)
            self._bar.update(self.done - self._bar.n)
            self._bar.refresh()
        elif self._mode == "log":
            self._stream.write(f"asyncclassify: {self._line()}\n")
            self._stream.flush()

    def finish(self) -> None:
        """End the bar."""
        if self._bar is not None:
            self._bar.update(self.done - self._bar.n)
            self._bar.close()
            self._bar = None

    def summary(self) -> str:
        """The closing summary line."""
        stats = self.stats
        ok, failed = self.ok, self.failed
        seconds = self.elapsed
        new = ok + failed - self._kept
        kept = f", {self._kept} kept from the earlier run" if self._kept else ""
        orphans = f", {stats.orphans} jobs maybe left unread" if stats.orphans else ""
        return (
            f"{ok + failed} documents: {ok} ok, {failed} failed in {seconds:.1f} s "
            f"({new / max(seconds, 1e-9):,.1f} docs/s{kept}); {stats.requests} requests, "
            f"{stats.jobs} jobs, {stats.gets_per_job:.2f} GETs/job, {stats.retries} retries, "
            f"{stats.throttled} throttled (429), {stats.resubmits} re-submits{orphans}"
            f"{self._per_resource()}"
        )

    def _per_resource(self) -> str:
        if len(self.stats.resources) < 2:
            caps = [counts.jobs_in_flight_cap for counts in self.stats.resources.values()]
            if caps and caps[0]:
                return f"; the service queues our jobs (cap {caps[0]} in flight)"
            return ""
        parts = []
        for label, counts in self.stats.resources.items():
            drained = f", drained: {counts.drained}" if counts.drained else ""
            cap = counts.jobs_in_flight_cap
            queued = f", the service queues our jobs (cap {cap} in flight)" if cap else ""
            parts.append(
                f"{label} {counts.jobs} jobs, {counts.throttled} throttled{drained}{queued}"
            )
        return "; by resource: " + "; ".join(parts)

    def _measure(self) -> None:
        now = time.monotonic()
        span = now - self._rate_at
        if span <= 0:
            return
        instant = (self.done - self._rate_done) / span
        weight = min(1.0, span / RATE_MEMORY)
        first = self._rate_done == self._kept and self._rate == 0.0
        self._rate = instant if first else self._rate + weight * (instant - self._rate)
        self._rate_at, self._rate_done = now, self.done

    def _situation(self) -> str:
        parts = []
        pacers = self.pacers or ([self.pacer] if self.pacer is not None else [])
        if pacers:
            now = PacerRuntime.now()
            parts.append(f"{sum(pacer.in_flight.jobs for pacer in pacers)} jobs in flight")
            waits = sorted({pacer.waiting_for(now) for pacer in pacers})
            parts.append(f"waiting for {' and '.join(waits)}")
        parts.append(f"{self.failed} errors")
        parts.append(f"{self.stats.throttled} 429s")
        return ", ".join(parts)

    def _line(self) -> str:
        done, total = self.done, self._total
        head = f"{done:,}/{total:,} documents" if total is not None else f"{done:,} documents"
        eta = ""
        if total is not None and self._rate > 0 and done < total:
            eta = f", ETA {duration((total - done) / self._rate)}"
        return f"{head}, {self._rate:,.0f}/s lately{eta}; {self._situation()}"


def duration(seconds: float) -> str:
    """Seconds as people read them: "42 s", "3 min 05 s", "2 h 07 min"."""
    minutes, secs = divmod(math.ceil(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    if hours:
        return f"{hours} h {minutes:02} min"
    if minutes:
        return f"{minutes} min {secs:02} s"
    return f"{secs} s"
