"""Accounting of what the emulator served (`GET /_emulator/stats`)."""

from __future__ import annotations

from typing import Any

from .config import FAULT_NAMES
from .submission import InputDocument


class Stats:
    """Counters of requests, throttling, jobs, documents and the foreign origin."""

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        """Zero every counter."""
        self.requests: dict[str, int] = {}
        self.throttled = 0
        self.connections_dropped = 0
        self.jobs_created = 0
        self.jobs_cancelled = 0
        self.documents_received = 0
        self.documents_in_multiple_jobs = 0
        self.job_gets = 0
        self.foreign_requests = 0
        self.foreign_requests_with_key = 0
        self._jobs_per_document: dict[tuple[str, str], int] = {}

    def count_response(self, method: str, status: int) -> None:
        """Count one answered service request."""
        key = f"{method} {status}"
        self.requests[key] = self.requests.get(key, 0) + 1

    def count_job(self, documents: list[InputDocument]) -> None:
        """Count an accepted submit and its documents."""
        self.jobs_created += 1
        self.documents_received += len(documents)
        seen = self._jobs_per_document
        for doc in {(d.id, d.text) for d in documents}:
            count = seen.get(doc, 0) + 1
            seen[doc] = count
            if count == 2:
                self.documents_in_multiple_jobs += 1

    def as_json(self, faults: dict[str, int], max_jobs_in_flight: int) -> dict[str, Any]:
        """The stats document, with the fault counts and in-flight high-water mark."""
        return {
            "requests": dict(self.requests),
            "throttled": self.throttled,
            "connections_dropped": self.connections_dropped,
            "faults": {name: faults.get(name, 0) for name in FAULT_NAMES},
            "jobs_created": self.jobs_created,
            "jobs_cancelled": self.jobs_cancelled,
            "documents_received": self.documents_received,
            "documents_in_multiple_jobs": self.documents_in_multiple_jobs,
            "max_jobs_in_flight": max_jobs_in_flight,
            "job_gets": self.job_gets,
            "gets_per_job": self.job_gets / self.jobs_created if self.jobs_created else 0.0,
            "foreign_requests": self.foreign_requests,
            "foreign_requests_with_key": self.foreign_requests_with_key,
        }
