"""The transport seam: a client over a `MockTransport` runs its own code without sockets."""

from __future__ import annotations

import orjson
import pytest

import asyncclassify as ac
from asyncclassify.transport import MockTransport, Request, Response

from .scripted import job_body

pytestmark = pytest.mark.anyio

KEY = "k3y-mock-Tt5Yy8Uu2"
TASK = ac.SingleLabel("support", "prod")


class _OneJobService:
    """Accepts each submit as a job that is running at its first GET and done at its second;
    refuses the first submit with a 429."""

    def __init__(self) -> None:
        self.requests: list[Request] = []
        self._jobs: dict[str, tuple[list[str], int]] = {}

    async def __call__(self, request: Request) -> Response:
        self.requests.append(request)
        if request.method == "POST":
            if len(self.requests) == 1:
                return Response.of(429, b"{}", {"Retry-After": "0.01"})
            assert request.body is not None
            ids = [
                str(doc["id"]) for doc in orjson.loads(request.body)["analysisInput"]["documents"]
            ]
            name = f"job{len(self._jobs)}"
            self._jobs[name] = (ids, 0)
            location = request.url.with_path(f"{request.url.path}/{name}", keep_query=True)
            return Response.of(202, headers={"operation-location": str(location)})
        name = request.url.path.rsplit("/", 1)[-1]
        ids, polls = self._jobs[name]
        self._jobs[name] = (ids, polls + 1)
        return Response.of(200, job_body(name, ids, "succeeded" if polls >= 1 else "running"))


async def test_a_client_over_a_mock_transport_answers_every_document() -> None:
    service = _OneJobService()
    documents = [f"ticket {index}" for index in range(60)]
    async with ac.Client(
        "http://127.0.0.1:9", KEY, transport=MockTransport(service), rate_window=0.6
    ) as client:
        results = await client.classify(documents, TASK)

    assert [result.index for result in results] == list(range(60))
    assert {result.tasks[0].labels[0].category for result in results} == {"Billing"}
    posts = [request for request in service.requests if request.method == "POST"]
    assert len(posts) == 4  # three jobs of at most 25, and the submit refused with a 429
    # Every request carries the key, and nothing else shows it.
    assert all(request.headers.get("Ocp-Apim-Subscription-Key") == KEY for request in posts)
    assert KEY not in repr(service.requests)


def test_a_client_takes_a_session_or_a_transport_not_both() -> None:
    async def never(request: Request) -> Response:
        raise AssertionError(request)

    with pytest.raises(ac.ConfigurationError, match="session or a transport"):
        ac.Client(
            "http://127.0.0.1:9",
            KEY,
            session=object(),  # type: ignore[arg-type]
            transport=MockTransport(never),
        )
