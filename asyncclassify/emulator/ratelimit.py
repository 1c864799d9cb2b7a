"""A sliding-window request budget per key (submit, GET and cancel share it)."""

from __future__ import annotations

from collections import deque

from .config import RateLimit


class SlidingWindowLimiter:
    """At most `limit.requests` admitted requests in any window of `limit.per_seconds`.

    Each key keeps a deque of the admission times still inside the window, so a
    check costs O(1) amortised. Refused requests are not recorded. The window of
    `prefilled_key` starts with `limit.prefill` requests in it (as if another client
    had just sent them).
    """

    def __init__(self, limit: RateLimit | None, prefilled_key: str | None = None) -> None:
        self.limit = limit
        self._prefilled_key = prefilled_key
        self._windows: dict[str, deque[float]] = {}

    def try_acquire(self, key: str, now: float) -> float | None:
        """Admit a request at `now`; return None, or the seconds until one would be admitted."""
        limit = self.limit
        if limit is None:
            return None
        window = self._windows.get(key)
        if window is None:
            window = self._windows[key] = deque()
            if key == self._prefilled_key and limit.prefill:
                span = limit.prefill_seconds or limit.per_seconds
                step = span / limit.prefill
                window.extend(now - span + step * (i + 1) for i in range(limit.prefill))
        horizon = now - limit.per_seconds
        while window and window[0] <= horizon:
            window.popleft()
        if len(window) >= limit.requests:
            return window[-limit.requests] - horizon
        window.append(now)
        return None

    def reset(self) -> None:
        """Forget every admitted request."""
        self._windows.clear()
