"""Counters of one run, for progress reports and summaries."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(slots=True)
class ResourceStats:
    """What a call has done on one resource."""

    requests: int = 0
    jobs: int = 0
    throttled: int = 0
    drained: str | None = None
    """Why the resource was drained during the call (its jobs went to the others), if it was."""
    jobs_in_flight_cap: int | None = None
    """The pacer's cap on jobs in flight while the service is seen to queue our jobs (None
    when nothing caps them but the budget and the settings)."""
    pacing: str = ""
    """The pacer's latest change of course and its reason (a queue suspected, confirmed or
    ruled out; a cap withdrawn...), empty while it has made none."""
    requests_per_window: int = 0
    """The requests per rate window the pacer allows itself now: the configured budget, or
    less after 429s taught it a lower one."""


@dataclass(slots=True)
class RunStats:
    """What a call has done so far; read it while the results stream, or after."""

    documents_ok: int = 0
    documents_failed: int = 0
    jobs: int = 0
    """Jobs submitted, re-submissions included."""
    resubmits: int = 0
    requests: int = 0
    """HTTP requests sent: submits, polls, pages and cancels, retries included."""
    job_gets: int = 0
    throttled: int = 0
    """Requests the service answered with 429."""
    retries: int = 0
    """Requests sent again after a transient failure (429s not included)."""
    orphans: int = 0
    """Jobs that may exist on the service and that no one reads: submits that got no answer
    (the job may have been created all the same), jobs given up that could not be cancelled.
    Each may be billed; the service forgets them after its retention time."""
    peak_documents_in_flight: int = 0
    """Most documents submitted and not yet given their result at once."""
    resources: dict[str, ResourceStats] = field(default_factory=dict)
    """The same counters per resource, by its label."""

    @property
    def documents(self) -> int:
        """Documents that have their result."""
        return self.documents_ok + self.documents_failed

    @property
    def gets_per_job(self) -> float:
        """Status and page GETs per submitted job: one is the least possible."""
        return self.job_gets / self.jobs if self.jobs else 0.0

    def resource(self, label: str) -> ResourceStats:
        """The counters of the resource labelled `label` (made on first use)."""
        stats = self.resources.get(label)
        if stats is None:
            stats = self.resources[label] = ResourceStats()
        return stats

    def as_dict(self) -> dict[str, Any]:
        """The counters, plus the derived figures, as plain JSON-ready data."""
        figures: dict[str, Any] = asdict(self)
        figures["documents"] = self.documents
        figures["gets_per_job"] = round(self.gets_per_job, 3)
        return figures
