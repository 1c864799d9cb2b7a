"""A one-line progress report on stderr, and the closing summary."""

from __future__ import annotations

import sys
import time
from typing import TextIO

from ..stats import RunStats


class Progress:
    """Redraws a status line at most a few times a second when stderr is a terminal."""

    def __init__(self, stats: RunStats, total: int | None, enabled: bool) -> None:
        self.stats = stats
        self._total = total
        self._enabled = enabled
        self._started = time.monotonic()
        self._drawn = 0.0
        self.ok = 0
        """Documents written with an answer (or kept from an earlier run)."""
        self.failed = 0
        """Documents written with an error (malformed input included)."""
        self._stream: TextIO = sys.stderr

    @property
    def elapsed(self) -> float:
        """Seconds since the run started."""
        return time.monotonic() - self._started

    def update(self, force: bool = False) -> None:
        """Redraw the line if it is time to."""
        if not self._enabled:
            return
        now = time.monotonic()
        if not force and now - self._drawn < 0.2:
            return
        self._drawn = now
        done = self.ok + self.failed
        rate = done / max(self.elapsed, 1e-9)
        parts = [f"{done}/{self._total}" if self._total is not None else f"{done}", "docs"]
        parts.append(f"{rate:,.0f}/s")
        if self._total is not None and rate > 0 and done < self._total:
            parts.append(f"ETA {(self._total - done) / rate:,.0f}s")
        parts.append(f"errors {self.failed}")
        parts.append(f"429s {self.stats.throttled}")
        self._stream.write("\r" + "  ".join(parts) + "\x1b[K")
        self._stream.flush()

    def finish(self) -> None:
        """End the status line."""
        if self._enabled:
            self.update(force=True)
            self._stream.write("\n")

    def summary(self) -> str:
        """The closing summary line."""
        stats = self.stats
        ok, failed = self.ok, self.failed
        seconds = self.elapsed
        orphans = f", {stats.orphans} jobs maybe left unread" if stats.orphans else ""
        return (
            f"{ok + failed} documents: {ok} ok, {failed} failed in {seconds:.1f} s "
            f"({(ok + failed) / max(seconds, 1e-9):,.1f} docs/s); {stats.requests} requests, "
            f"{stats.jobs} jobs, {stats.gets_per_job:.2f} GETs/job, {stats.retries} retries, "
            f"{stats.throttled} throttled (429), {stats.resubmits} re-submits{orphans}"
        )
