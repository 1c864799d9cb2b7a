"""How transient failures are retried: a policy object the job runner consults."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How transient failures are retried: exponential backoff with full jitter."""

    max_retries: int = 8
    backoff_base: float = 0.25
    backoff_max: float = 20.0
    max_retry_after: float = 300.0
    """A `Retry-After` longer than this fails fast with `QuotaExceededError`."""
    request_timeout: float = 60.0

    def backoff(self, attempt: int) -> float:
        """Seconds to wait before retry number `attempt` (1-based)."""
        return random.uniform(0.0, min(self.backoff_max, self.backoff_base * 2 ** (attempt - 1)))
