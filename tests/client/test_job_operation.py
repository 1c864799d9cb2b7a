"""A job's life over the transport seam, without sockets: result pages merged and a page gone,
a job past its timeout cancelled and run again, a refused batch halved to its bad document.
Each runs `Client.stream` over a `MockTransport` scripted to answer as the service would."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

import asyncclassify as ac
from asyncclassify.transport import MockTransport, Request, Response

from .scripted import job_body

pytestmark = pytest.mark.anyio

ENDPOINT = "https://scripted.example"
TASK = ac.SingleLabel("support", "prod")
FAST = ac.RetryPolicy(backoff_base=0.001, backoff_max=0.01, job_timeout=0.2)


def _error(status: int, code: str, inner: str | None = None) -> Response:
    error: dict[str, Any] = {"code": code, "message": f"{code} (scripted)"}
    if inner is not None:
        error["innererror"] = {"code": inner, "message": f"{inner} (scripted)"}
    return Response.of(status, orjson.dumps({"error": error}))


class ScriptedService:
    """Accepts every submit as a job (its documents' ids kept); `answer` says what a GET of
    it returns. Records every request."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self.jobs: dict[str, list[str]] = {}
        self.gets: dict[str, int] = {}

    def submit(self, request: Request) -> Response | None:
        """None: accept the submit as a job."""
        return None

    def answer(self, name: str, request: Request) -> Response:
        return Response.of(200, job_body(name, self.jobs[name]))

    async def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        path = request.url.path
        if request.method == "POST" and path.endswith(":cancel"):
            return Response.of(202, headers={"operation-location": str(request.url)})
        if request.method == "POST":
            refused = self.submit(request)
            if refused is not None:
                return refused
            assert request.body is not None
            documents = orjson.loads(request.body)["analysisInput"]["documents"]
            name = f"job{len(self.jobs)}"
            self.jobs[name] = [str(document["id"]) for document in documents]
            location = request.url.with_path(f"{path}/{name}", keep_query=True)
            return Response.of(202, headers={"operation-location": str(location)})
        name = path.rsplit("/", 1)[-1]
        self.gets[name] = self.gets.get(name, 0) + 1
        return self.answer(name, request)


async def _classify(service: ScriptedService, count: int) -> tuple[list[ac.Result], ac.RunStats]:
    texts = [(f"d{index}", f"text {index}") for index in range(count)]
    async with (
        ac.Client(ENDPOINT, "key", transport=MockTransport(service), retry=FAST) as client,
        client.stream(texts, TASK) as stream,
    ):
        results = [result async for result in stream]
    return results, stream.stats


def _answered_once(results: list[ac.Result], count: int) -> None:
    assert sorted(result.id for result in results) == sorted(f"d{i}" for i in range(count))
    assert all(result.ok for result in results), [r for r in results if not r.ok][:2]


class PagedService(ScriptedService):
    """Each finished job answers its documents in two pages; the first job's second page is
    gone (404) when read."""

    def answer(self, name: str, request: Request) -> Response:
        ids = self.jobs[name]
        half = len(ids) // 2
        if request.url.query.get("page") == "2":
            if name == "job0":
                return _error(404, "NotFound")
            return Response.of(200, job_body(name, ids[half:]))
        following = str(request.url.update_query(page="2"))
        return Response.of(200, job_body(name, ids[:half], next_link=following))


async def test_pages_are_merged_and_a_page_gone_costs_only_its_documents() -> None:
    service = PagedService()
    results, stats = await _classify(service, 20)

    _answered_once(results, 20)
    # The first job's first page answered its ten; its lost page's ten went out again.
    assert service.jobs["job0"] == [str(i) for i in range(20)]
    assert len(service.jobs["job1"]) == 10
    assert len(service.jobs) == 2
    assert stats.resubmits == 1


class SlowService(ScriptedService):
    """The first job runs for ever; later ones finish at once."""

    def answer(self, name: str, request: Request) -> Response:
        if name == "job0":
            return Response.of(200, job_body(name, self.jobs[name], status="running"))
        return super().answer(name, request)


async def test_a_job_past_its_timeout_is_cancelled_and_run_again() -> None:
    service = SlowService()
    results, stats = await _classify(service, 5)

    _answered_once(results, 5)
    cancels = [r for r in service.requests if r.url.path.endswith("job0:cancel")]
    assert len(cancels) == 1
    assert service.jobs["job1"] == service.jobs["job0"]
    assert stats.orphans == 0


class OneBadDocument(ScriptedService):
    """Refuses any batch holding document 13 (a document's fault: InvalidDocument)."""

    def submit(self, request: Request) -> Response | None:
        assert request.body is not None
        documents = orjson.loads(request.body)["analysisInput"]["documents"]
        if any(document["id"] == "13" for document in documents):
            return _error(400, "InvalidRequest", "InvalidDocument")
        return None


async def test_a_refused_batch_is_halved_until_only_its_bad_document_fails() -> None:
    service = OneBadDocument()
    results, _ = await _classify(service, 25)

    failed = [result for result in results if not result.ok]
    assert [result.id for result in failed] == ["d13"]
    assert failed[0].tasks[0].error is not None
    assert failed[0].tasks[0].error.code == "InvalidRequest"
    assert sorted(result.id for result in results) == sorted(f"d{i}" for i in range(25))
    # Halving: 25 -> 12 + 13 -> ... -> 1; at most two submits per level refused.
    refused = [r for r in service.requests if r.method == "POST"]
    assert len(refused) <= 2 * 5 + len(service.jobs)
