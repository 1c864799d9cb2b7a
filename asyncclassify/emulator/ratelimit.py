"""A sliding-window request budget per key (submit, GET and cancel share it)."""

from __future__ import annotations

from collections import deque

from .config import RateLimit


class SlidingWindowLimiter:
    """At most `limit.requests` admitted requests in any window of `limit.per_seconds`.

    Each key keeps a deque of the admission times still inside the window, so a
    check costs O(1) amortised. Refused requests are not recorded.
    """

    def __init__(self, limit: RateLimit | None) -> None:
        self.limit = limit
        self._windows: dict[str, deque[float]] = {}

    def try_acquire(self, key: str, now: float) -> float | None:
        """Admit a request at `now`; return None, or the seconds until one would be admitted."""
        limit = self.limit
        if limit is None:
            return None
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = deque()
        horizon = now - limit.per_seconds
        while window and window[0] <= horizon:
            window.popleft()
        if len(window) >= limit.requests:
            return window[0] - horizon
        window.append(now)
        return None

    def reset(self) -> None:
        """Forget every admitted request."""
        self._windows.clear()
