"""Counters of one run, for progress reports and summaries."""

from __future__ import annotations

from dataclasses import asdict, dataclass


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

    @property
    def documents(self) -> int:
        """Documents that have their result."""
        return self.documents_ok + self.documents_failed

    @property
    def gets_per_job(self) -> float:
        """Status and page GETs per submitted job: one is the least possible."""
        return self.job_gets / self.jobs if self.jobs else 0.0

    def as_dict(self) -> dict[str, float]:
        """The counters, plus the derived figures, as plain JSON-ready data."""
        figures: dict[str, float] = asdict(self)
        figures["documents"] = self.documents
        figures["gets_per_job"] = round(self.gets_per_job, 3)
        return figures
