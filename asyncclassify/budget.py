"""The shared request budget: a sliding window like the service's, that learns the real limit."""

from __future__ import annotations

from collections import deque

import anyio

WINDOW_MARGIN = 1.02
"""Stretch of the window, so arrival-time jitter at the service never makes one too many."""
DECREASE = 0.85
"""After a 429, the limit drops to this fraction of what was in the window."""
MAX_DECREASE = 0.5
"""One throttling episode lowers the limit to no less than this fraction of what it was: the
window may hold few of our requests when others (an earlier run, another process) filled the
service's, and then it says little about the real limit."""
CEILING_RELAX_WINDOWS = 10
"""Windows without a 429 after which the learnt ceiling is raised again a little."""


class RequestBudget:
    """At most `requests` per `per_seconds`, for every request of a client.

    A 429 means the real limit is lower than ours (another process shares the key, or the
    configuration is wrong): the limit drops below what the window held (by at most half at
    once), becomes the new ceiling, and is relaxed only slowly. So a run settles just under
    the real limit.
    """

    def __init__(self, requests: int = 1000, per_seconds: float = 60.0) -> None:
        if requests < 1 or per_seconds <= 0:
            raise ValueError("a request budget needs requests >= 1 and per_seconds > 0")
        self.configured = requests
        self.window = per_seconds
        self._limit = float(requests)
        self._ceiling = float(requests)
        self._sent: deque[float] = deque()
        self._paused_until = 0.0
        self._last_throttle = float("-inf")
        self._limit_before_throttle = float(requests)
        self._lock = anyio.Lock()
        self.waiting = 0
        """Requests queued for the budget. Even queueing only for a turn to check it says
        requests contend for it: a better sign of pressure than waits for a spent window,
        which come too late (0.98 of the throughput bound against 0.83)."""

    @property
    def limit(self) -> int:
        """Requests per window allowed right now."""
        return max(1, int(self._limit))

    @property
    def rate(self) -> float:
        """Requests per second allowed right now."""
        return self.limit / self.window

    def in_window(self) -> int:
        """Requests sent within the last window."""
        self._expire(anyio.current_time())
        return len(self._sent)

    @property
    def busy(self) -> bool:
        """True when requests queue for the budget: it is what limits throughput."""
        return self.waiting > 0 or self.in_window() >= 0.8 * self.limit

    async def acquire(self) -> None:
        """Wait until one more request fits the budget, and count it."""
        self.waiting += 1
        try:
            async with self._lock:
                while True:
                    now = anyio.current_time()
                    self._expire(now)
                    wait = self._paused_until - now
                    limit = self.limit
                    if len(self._sent) >= limit:
                        wait = max(wait, self._sent[-limit] + self.window * WINDOW_MARGIN - now)
                    if wait <= 0:
                        break
                    await anyio.sleep(wait)
                self._sent.append(now)
                self._relax(now)
        finally:
            self.waiting -= 1

    def throttled(self, retry_after: float) -> None:
        """The service answered 429: pause everyone for `retry_after`, and learn the limit."""
        now = anyio.current_time()
        self._expire(now)
        if now >= self._paused_until:
            # A new episode; the 429s of requests already under way belong to this one.
            self._limit_before_throttle = self._limit
        floor = max(1.0, self._limit_before_throttle * MAX_DECREASE)
        held = len(self._sent)
        self._ceiling = min(self._ceiling, max(floor, held * 0.97))
        self._limit = min(self._limit, max(floor, held * DECREASE))
        self._paused_until = max(self._paused_until, now + retry_after)
        self._last_throttle = now

    def _relax(self, now: float) -> None:
        if self._limit < self._ceiling:
            self._limit = min(self._ceiling, self._limit + 0.02)
        elif (
            self._ceiling < self.configured
            and now - self._last_throttle > CEILING_RELAX_WINDOWS * self.window
        ):
            self._ceiling = min(float(self.configured), self._ceiling * 1.05)
            self._last_throttle = now

    def _expire(self, now: float) -> None:
        horizon = now - self.window * WINDOW_MARGIN
        sent = self._sent
        while sent and sent[0] <= horizon:
            sent.popleft()
