"""Job bodies as the service writes them, for tests over a `MockTransport`."""

from __future__ import annotations

from typing import Any

import orjson

ANSWER = [{"category": "Billing", "confidenceScore": 0.75}]
"""Every document's class in a scripted job."""


def job_body(
    name: str, ids: list[str], status: str = "succeeded", next_link: str | None = None
) -> bytes:
    """A modern-dialect job as the service answers it: its documents answered (Billing)
    when it has succeeded, and a link to its next result page if given."""
    job: dict[str, Any] = {"jobId": name, "status": status, "errors": []}
    if status == "succeeded":
        documents = [{"id": id_, "class": ANSWER, "warnings": []} for id_ in ids]
        job["tasks"] = {
            "items": [
                {
                    "kind": "CustomSingleLabelClassificationLROResults",
                    "taskName": "0",
                    "status": "succeeded",
                    "results": {"documents": documents, "errors": []},
                }
            ]
        }
    if next_link is not None:
        job["nextLink"] = next_link
    return orjson.dumps(job)
