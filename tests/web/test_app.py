"""The example aiohttp application, served on loopback against the emulator."""

from __future__ import annotations

import asyncio
import math
from typing import Any

import anyio
import orjson
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

import asyncclassify as ac
from asyncclassify.emulator import Emulator, Timing

from ..waiting import client_tasks, wait_until
from .conftest import (
    expected_single,
    fast_emulator,
    load_example,
    text_for,
)

pytestmark = pytest.mark.anyio

app_module = load_example("aiohttp_app")


def _app(emu: Emulator, **options: Any) -> web.Application:
    assert emu.key is not None
    app: web.Application = app_module.create_app(
        emu.endpoint, emu.key, pacing=ac.Pacing(first_poll=0.02), **options
    )
    return app


def _labels(answer: dict[str, Any]) -> tuple[ac.Label, ...]:
    return tuple(
        ac.Label(label["category"], label["confidenceScore"]) for label in answer["labels"]
    )


async def test_concurrent_requests_get_their_own_labels_from_shared_jobs() -> None:
    async with fast_emulator() as emu:
        baseline = set(asyncio.all_tasks())
        app = _app(emu)
        requests = 120
        bodies = {n: [text_for(n * 3 + i) for i in range(1 + n % 3)] for n in range(requests)}
        answers: dict[int, Any] = {}
        async with TestClient(TestServer(app)) as http:

            async def request(number: int) -> None:
                response = await http.post(
                    "/classify", data=orjson.dumps({"texts": bodies[number]})
                )
                assert response.status == 200
                answers[number] = orjson.loads(await response.read())

            with anyio.fail_after(20):
                async with anyio.create_task_group() as group:
                    for number in range(requests):
                        group.start_soon(request, number)

            for number, texts in bodies.items():
                results = answers[number]["results"]
                assert [_labels(answer) for answer in results] == [
                    expected_single(text) for text in texts
                ]
            documents = sum(len(texts) for texts in bodies.values())
            assert emu.stats()["documents_received"] == documents
            assert emu.stats()["jobs_created"] <= math.ceil(documents / 25) + 3
        # Shutting the application down closed its client: nothing of it keeps running.
        await wait_until(lambda: not client_tasks(baseline))


async def test_bad_requests_and_bad_texts() -> None:
    async with fast_emulator() as emu, TestClient(TestServer(_app(emu))) as http:
        for body in (b"not json", b'{"texts": "one"}', b'{"texts": []}', b'{"texts": [1]}'):
            response = await http.post("/classify", data=body)
            assert response.status == 400, body
        response = await http.post("/classify", data=b'{"texts": ["fine text", "  "]}')
        assert response.status == 200
        fine, empty = orjson.loads(await response.read())["results"]
        assert _labels(fine) == expected_single("fine text")
        assert empty["error"]["code"] == "InvalidInput"


async def test_per_request_mode_gives_the_same_answers_with_a_job_each() -> None:
    async with fast_emulator() as emu, TestClient(TestServer(_app(emu, coalesce=False))) as http:
        texts = [text_for(n) for n in range(3)]
        for _ in range(2):
            response = await http.post("/classify", data=orjson.dumps({"texts": texts}))
            results = orjson.loads(await response.read())["results"]
            assert [_labels(answer) for answer in results] == [expected_single(t) for t in texts]
        assert emu.stats()["jobs_created"] == 2


async def test_overload_answers_503() -> None:
    # Jobs long enough that the first request's texts are still waiting for the second.
    slow = Timing(base=1.0, per_document=0.0, jitter=0)
    async with fast_emulator(timing=slow) as emu:
        app = _app(emu, coalescing=ac.Coalescing(max_pending=2))
        async with TestClient(TestServer(app)) as http:
            client: ac.Client = app[app_module.CLIENT]
            first: dict[str, Any] = {}

            async def waiting() -> None:
                response = await http.post("/classify", data=b'{"texts": ["one", "two"]}')
                first["status"] = response.status

            with anyio.fail_after(10):
                async with anyio.create_task_group() as group:
                    group.start_soon(waiting)
                    await wait_until(lambda: client.coalesced_pending == 2)
                    response = await http.post("/classify", data=b'{"texts": ["three"]}')
                    assert response.status == 503
                    assert response.headers["Retry-After"] == "1"
                    assert orjson.loads(await response.read())["error"] == "overloaded"
            assert first["status"] == 200
