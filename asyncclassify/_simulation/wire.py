"""Simulated services behind a `MockTransport`: the client's own requests, answered in the
service's words (the current API's JSON), in virtual time.

Each request travels `latency` each way (a sleep on the loop's clock); the service decides at
the moment it arrives, as `SimulatedService` does for the model client. Several origins may
share one service (resources that are, unknown to the client, one budget).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import orjson
from yarl import URL

from .._api.outcomes import Response
from .._api.transport import MockTransport, Request
from ..emulator.rendering import iso_seconds, iso_ticks
from .service import WALL_EPOCH, SimulatedJob, SimulatedService, Throttled

_RESULT_KINDS = {
    "CustomSingleLabelClassification": "CustomSingleLabelClassificationLROResults",
    "CustomMultiLabelClassification": "CustomMultiLabelClassificationLROResults",
    "CustomEntityRecognition": "CustomEntityRecognitionLROResults",
}


@dataclass(slots=True)
class _WireJob:
    job: SimulatedJob
    ids: list[str]
    tasks: list[dict[str, Any]]


class SimulatedWire:
    """Answers requests to `services` (by origin) after `latency` each way; counts them."""

    def __init__(self, services: Mapping[str, SimulatedService], *, latency: float) -> None:
        self._services = {URL(origin).origin(): service for origin, service in services.items()}
        self.latency = latency
        self._jobs: dict[str, _WireJob] = {}
        self._ids = itertools.count()
        self.counts: Counter[str] = Counter()
        """Requests by kind: submits, gets, throttled, others."""
        self.first_request_at: float | None = None

    def transport(self) -> MockTransport:
        """A transport that sends every request here."""
        return MockTransport(self.handle)

    async def handle(self, request: Request) -> Response:
        """One request: there after `latency`, decided, and back after `latency`."""
        loop = asyncio.get_running_loop()
        if self.first_request_at is None:
            self.first_request_at = loop.time()
        await asyncio.sleep(self.latency)
        response = self._arrive(request, loop.time())
        await asyncio.sleep(self.latency)
        return response

    def _arrive(self, request: Request, now: float) -> Response:
        service = self._services[request.url.origin()]
        path = request.url.path
        if request.method == "POST" and path.endswith("/jobs"):
            kind = "submits"
        elif request.method == "GET":
            kind = "gets"
        else:
            self.counts["others"] += 1
            return _response(202, b"")
        self.counts[kind] += 1
        throttled = service.admit(now)
        if isinstance(throttled, Throttled):
            self.counts["throttled"] += 1
            body = orjson.dumps({"error": {"code": "429", "message": "Rate limit is exceeded."}})
            return _response(429, body, {"Retry-After": f"{throttled.retry_after:g}"})
        if kind == "submits":
            return self._create(request, service, now)
        return self._status(request, service, now)

    def _create(self, request: Request, service: SimulatedService, now: float) -> Response:
        assert request.body is not None
        body = orjson.loads(request.body)
        ids = [str(document["id"]) for document in body["analysisInput"]["documents"]]
        created = service.create(now)
        job_id = f"job-{next(self._ids)}"
        self._jobs[job_id] = _WireJob(created.job, ids, list(body["tasks"]))
        location = request.url.with_path(f"{request.url.path}/{job_id}", keep_query=True)
        return _response(202, b"", {"operation-location": str(location)})

    def _status(self, request: Request, service: SimulatedService, now: float) -> Response:
        job_id = request.url.path.rsplit("/", 1)[-1]
        wire_job = self._jobs.get(job_id)
        if wire_job is None:
            body = orjson.dumps({"error": {"code": "NotFound", "message": "no such job"}})
            return _response(404, body)
        status = service.status(wire_job.job, now)
        created = wire_job.job.created + WALL_EPOCH
        data: dict[str, Any] = {
            "jobId": job_id,
            "createdDateTime": iso_seconds(created),
            "lastUpdatedDateTime": iso_seconds(WALL_EPOCH + now),
            "status": status.status,
            "errors": [],
        }
        if status.finished_wall is not None:
            # Kept, as the service keeps a finished job: it may be read again (a poll cut
            # short by the job timeout is followed by another read).
            finished = iso_ticks(status.finished_wall)
            data["lastUpdatedDateTime"] = iso_seconds(status.finished_wall)
            data["tasks"] = {
                "completed": len(wire_job.tasks),
                "failed": 0,
                "inProgress": 0,
                "total": len(wire_job.tasks),
                "items": [_task_result(task, wire_job.ids, finished) for task in wire_job.tasks],
            }
        return _response(200, orjson.dumps(data))


def _task_result(task: dict[str, Any], ids: list[str], finished: str) -> dict[str, Any]:
    kind = str(task["kind"])
    documents: list[dict[str, Any]]
    if kind == "CustomEntityRecognition":
        documents = [{"id": id_, "entities": [], "warnings": []} for id_ in ids]
    else:
        answer = [{"category": "simulated", "confidenceScore": 0.9}]
        documents = [{"id": id_, "class": answer, "warnings": []} for id_ in ids]
    return {
        "kind": _RESULT_KINDS[kind],
        "taskName": task.get("taskName"),
        "lastUpdateDateTime": finished,
        "status": "succeeded",
        "results": {"documents": documents, "errors": [], "modelVersion": "simulated"},
    }


def _response(status: int, body: bytes, headers: Mapping[str, str] | None = None) -> Response:
    return Response.of(status, body, {"apim-request-id": "simulated", **(headers or {})})
