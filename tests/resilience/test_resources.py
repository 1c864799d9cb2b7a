"""Several resources in one client: the work spread over them, a failing one drained and its
jobs sent to the others, every document answered exactly once; credentials as Azure users
hold them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AsyncExitStack
from typing import Any

import anyio
import pytest

import asyncclassify as ac
from asyncclassify.emulator import DEFAULT_PROJECTS, Emulator, Faults, Timing

from ..waiting import wait_until
from .conftest import FAST, FAST_RETRY, MULTI, SINGLE, check_exactly_once, corpus

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

QUICK_DRAIN = ac.Drainage(drain_after=0.5, revive_after=60.0)


def _resource(emulator: Emulator, name: str, key: str | None = None) -> ac.Resource:
    return ac.Resource(
        emulator.endpoint,
        key or emulator.key or "",
        requests_per_minute=100_000,
        rate_window=1.0,
        name=name,
    )


def _client(resources: list[ac.Resource], **settings: Any) -> ac.Client:
    settings.setdefault("pacing", ac.Pacing(first_poll=0.02))
    settings.setdefault("retry", FAST_RETRY)
    settings.setdefault("drainage", QUICK_DRAIN)
    return ac.Client(resources=resources, **settings)


async def _emulators(stack: AsyncExitStack, count: int, **options: Any) -> list[Emulator]:
    # Unthrottled, as the resources say (100,000 requests a second): a service stricter than
    # its client was told throttles it for a minute (its Retry-After) once polls run hot.
    options.setdefault("rate_limit", None)
    options.setdefault("timing", FAST)
    return [await stack.enter_async_context(Emulator(seed=n, **options)) for n in range(count)]


async def test_the_work_is_spread_over_every_resource() -> None:
    documents = corpus(2_000)
    async with AsyncExitStack() as stack:
        emulators = await _emulators(stack, 3)
        resources = [_resource(emu, f"r{n}") for n, emu in enumerate(emulators)]
        async with _client(resources) as client, client.stream(documents, SINGLE) as stream:
            results = [result async for result in stream]
        created = [emu.stats()["jobs_created"] for emu in emulators]
    assert not check_exactly_once(results, documents, [SINGLE])
    assert sum(created) == stream.stats.jobs == 80
    assert all(jobs >= 10 for jobs in created), created
    assert [stream.stats.resources[f"r{n}"].jobs for n in range(3)] == created


async def test_a_resource_that_dies_mid_run_is_drained_and_its_jobs_answered_elsewhere() -> None:
    documents = corpus(3_000)
    slow = Timing(base=0.05, per_document=0.001, jitter=0.2)
    async with AsyncExitStack() as stack:
        emulators = await _emulators(stack, 3, timing=slow)
        resources = [_resource(emu, f"r{n}") for n, emu in enumerate(emulators)]
        results: list[ac.Result] = []
        async with _client(resources) as client, client.stream(documents, SINGLE) as stream:
            async for result in stream:
                results.append(result)
                if len(results) == 300:
                    # Jobs are in flight on every resource; one of them goes away for good.
                    await emulators[1].stop()
    assert not check_exactly_once(results, documents, [SINGLE])
    drained = stream.stats.resources["r1"].drained
    assert drained is not None
    assert "failed" in drained
    assert stream.stats.resources["r0"].drained is None
    assert stream.stats.orphans >= 1  # the jobs the dead resource may still run


async def test_a_resource_refusing_the_key_is_drained_at_once() -> None:
    documents = corpus(500)
    async with AsyncExitStack() as stack:
        good, refusing = await _emulators(stack, 2)
        resources = [_resource(good, "good"), _resource(refusing, "refusing", key="stale-key")]
        async with _client(resources) as client, client.stream(documents, SINGLE) as stream:
            results = [result async for result in stream]
    assert not check_exactly_once(results, documents, [SINGLE])
    drained = stream.stats.resources["refusing"].drained
    assert drained is not None
    assert "credentials" in drained
    assert stream.stats.resources["good"].jobs == 20


async def test_a_resource_without_a_project_takes_no_jobs_of_it_and_still_takes_others() -> None:
    documents = corpus(500)
    others = tuple(project for project in DEFAULT_PROJECTS if project.kind != "single")
    async with AsyncExitStack() as stack:
        (deployed,) = await _emulators(stack, 1)
        (missing,) = await _emulators(stack, 1, projects=others)
        resources = [_resource(deployed, "deployed"), _resource(missing, "missing")]
        # The resource lacks one project, not every one: another call's jobs still go there.
        async with _client(resources) as client:
            async with client.stream(documents, SINGLE) as stream:
                results = [result async for result in stream]
            async with client.stream(documents, MULTI) as other_stream:
                other_results = [result async for result in other_stream]
    assert not check_exactly_once(results, documents, [SINGLE])
    drained = stream.stats.resources["missing"].drained
    assert drained is not None
    assert SINGLE.project in drained
    assert "missing" in drained
    assert not check_exactly_once(other_results, documents, [MULTI])
    assert other_stream.stats.resources["missing"].drained is None
    assert other_stream.stats.resources["missing"].jobs > 0


async def test_a_call_keeps_its_last_fitting_resource_when_another_call_drains_it() -> None:
    """Call X's project is only on `full`; call Y, which can use both, drains `full` during
    an outage. `full` is still X's last resource: X goes on there, as with one resource,
    instead of waiting out the drain (a minute here) or failing for the other's project."""
    others = tuple(project for project in DEFAULT_PROJECTS if project.kind != "single")
    x_documents, y_documents = corpus(400, "x"), corpus(100_000, "y")
    async with AsyncExitStack() as stack:
        # Unlimited, as the resources say: Y sends thousands of requests.
        (full,) = await _emulators(stack, 1, rate_limit=None)
        (partial,) = await _emulators(stack, 1, projects=others, rate_limit=None)
        resources = [_resource(full, "full"), _resource(partial, "partial")]
        outage_over, stop_y = anyio.Event(), anyio.Event()
        x_results: list[ac.Result] = []

        async def x_source() -> AsyncIterator[tuple[str, str]]:
            """A job's worth at a time, each once the one before has its results, until X
            has left `partial` out; the rest once the outage is over."""
            given = 0
            while not _drained(x, "partial"):
                for document in x_documents[given : given + 25]:
                    yield document
                given += 25
                await _until_results(x_results, given)
            await outage_over.wait()
            for document in x_documents[given:]:
                yield document

        async def y_source() -> AsyncIterator[tuple[str, str]]:
            for document in y_documents:
                if stop_y.is_set():
                    return
                yield document

        # Few jobs in flight: Y runs until it is told to stop, and must not take the CPU.
        async with _client(
            resources, pacing=ac.Pacing(first_poll=0.02, max_jobs_in_flight=8)
        ) as client:
            x = client.stream(x_source(), SINGLE)
            y = client.stream(y_source(), MULTI)

            async def read_x() -> None:
                async with x:
                    async for result in x:
                        x_results.append(result)

            async def read_y() -> None:
                async with y:
                    async for _ in y:
                        pass

            with anyio.fail_after(60):
                async with anyio.create_task_group() as group:
                    group.start_soon(read_x)
                    group.start_soon(read_y)
                    await wait_until(lambda: _drained(x, "partial"), 20)
                    await full.outage(1.5)
                    await wait_until(lambda: _drained(y, "full"), 20)
                    outage_over.set()
                    # Well within the minute the drain lasts.
                    await wait_until(lambda: len(x_results) == len(x_documents), 30)
                    stop_y.set()
    assert not check_exactly_once(x_results, x_documents, [SINGLE])


async def test_a_call_whose_project_one_resource_lacks_uses_another_already_drained() -> None:
    """`full` was drained by an earlier call during an outage (now over); call X then finds
    that `partial` lacks its project. `full` is X's last resource: X goes on there at once,
    not once the drain (a minute here) has ended."""
    others = tuple(project for project in DEFAULT_PROJECTS if project.kind != "single")
    async with AsyncExitStack() as stack:
        (full,) = await _emulators(stack, 1, rate_limit=None)
        (partial,) = await _emulators(stack, 1, projects=others, rate_limit=None)
        resources = [_resource(full, "full"), _resource(partial, "partial")]
        async with _client(
            resources, pacing=ac.Pacing(first_poll=0.02, max_jobs_in_flight=8)
        ) as client:
            stop = anyio.Event()

            async def endless() -> AsyncIterator[tuple[str, str]]:
                for document in corpus(100_000, "y"):
                    if stop.is_set():
                        return
                    yield document

            async with anyio.create_task_group() as group, client.stream(endless(), MULTI) as y:

                async def read_y() -> None:
                    async for _ in y:
                        pass

                group.start_soon(read_y)
                await full.outage(1.5)
                await wait_until(lambda: _drained(y, "full"), 20)
                stop.set()
            x_documents = corpus(400, "x")
            with anyio.fail_after(20):
                x_results = await client.classify(x_documents, SINGLE)
    assert not check_exactly_once(x_results, x_documents, [SINGLE])


async def _until_results(results: list[ac.Result], count: int) -> None:
    await wait_until(lambda: len(results) >= count, 10)


def _drained(stream: ac.ResultStream, name: str) -> bool:
    """Whether the call of `stream` has left resource `name` out (once the call has begun)."""
    counts = stream.stats.resources.get(name)
    return counts is not None and counts.drained is not None


async def test_when_every_resource_refuses_the_key_the_call_stops_as_with_one() -> None:
    async with AsyncExitStack() as stack:
        emulators = await _emulators(stack, 2)
        resources = [_resource(emu, f"r{n}", key="stale") for n, emu in enumerate(emulators)]
        async with _client(resources) as client:
            with anyio.fail_after(10), pytest.raises(ac.AuthenticationError):
                await client.classify(corpus(100), SINGLE)


class RotatingKey:
    """Shaped as `azure.core.credentials.AzureKeyCredential`: a `key` and `update()`."""

    def __init__(self, key: str) -> None:
        self._key = key

    @property
    def key(self) -> str:
        return self._key

    def update(self, key: str) -> None:
        self._key = key


async def test_a_key_credential_is_read_for_every_request() -> None:
    async with Emulator(timing=FAST) as emulator:
        assert emulator.key is not None
        credential = RotatingKey(emulator.key)
        resource = ac.Resource(emulator.endpoint, credential, 100_000, rate_window=1.0)
        async with _client([resource]) as client:
            results = await client.classify(corpus(30), SINGLE)
            assert all(result.ok for result in results)
            credential.update("rotated-away")
            with anyio.fail_after(10), pytest.raises(ac.AuthenticationError):
                await client.classify(corpus(30), SINGLE)
            credential.update(emulator.key)
            results = await client.classify(corpus(30), SINGLE)
            assert all(result.ok for result in results)
    assert "rotated-away" not in repr(resource)
    assert emulator.key not in repr(resource)


async def test_resources_must_be_told_apart_and_are_given_one_way() -> None:
    resource = ac.Resource("http://127.0.0.1:1", "key")
    with pytest.raises(ac.ConfigurationError, match="distinct"):
        ac.Client(resources=[resource, resource])
    with pytest.raises(ac.ConfigurationError, match="either"):
        ac.Client("http://127.0.0.1:1", "key", resources=[resource])
    with pytest.raises(ac.ConfigurationError, match="at least one"):
        ac.Client(resources=[])
    with pytest.raises(ac.ConfigurationError, match="credential"):
        ac.Client("http://127.0.0.1:1", object())  # type: ignore[arg-type]


async def test_a_call_ends_with_its_input_while_a_resource_is_drained_for_a_while() -> None:
    documents = corpus(1_000)
    async with AsyncExitStack() as stack:
        emulators = await _emulators(stack, 2, timing=Timing(base=0.05, per_document=0.001))
        resources = [_resource(emu, f"r{n}") for n, emu in enumerate(emulators)]
        async with _client(resources) as client:

            def drained() -> bool:
                return stream.stats.resources["r1"].drained is not None

            stream = client.stream(_dying_midway(documents, emulators[1], drained), SINGLE)
            with anyio.fail_after(20):  # not the minute until the drained resource is retried
                async with stream:
                    results = [result async for result in stream]
    assert not check_exactly_once(results, documents, [SINGLE])
    assert drained()


async def _dying_midway(
    documents: list[tuple[str, str]], dying: Emulator, drained: Callable[[], bool]
) -> AsyncIterator[tuple[str, str]]:
    """The documents; halfway, `dying` goes away, and the rest follow once it is drained."""
    for number, document in enumerate(documents):
        if number == len(documents) // 2:
            await dying.stop()
            await wait_until(drained, 10)
        yield document


async def test_a_resource_whose_submits_keep_failing_is_drained_and_nothing_fails() -> None:
    documents = corpus(500)
    async with AsyncExitStack() as stack:
        (good,) = await _emulators(stack, 1)
        (failing,) = await _emulators(stack, 1, faults=Faults(submit_error=1.0))
        resources = [_resource(good, "good"), _resource(failing, "failing")]
        async with _client(resources) as client, client.stream(documents, SINGLE) as stream:
            with anyio.fail_after(30):  # a drain after 0.5 s, not the retry horizon
                results = [result async for result in stream]
    assert not check_exactly_once(results, documents, [SINGLE])
    assert stream.stats.resources["failing"].drained is not None


async def test_jobs_accepted_before_a_drain_are_still_read_where_they_run() -> None:
    documents = corpus(300)
    slow = Timing(base=2.0, per_document=0.0, jitter=0.0)
    async with AsyncExitStack() as stack:
        good, failing = await _emulators(stack, 2, timing=slow)
        resources = [_resource(good, "good"), _resource(failing, "failing")]
        pacing = ac.Pacing(first_poll=0.02, max_jobs_in_flight=4)

        async def source() -> AsyncIterator[tuple[str, str]]:
            """A job's worth at a time until one runs on `failing`; then its submits fail,
            and it is drained while that job, two seconds long, still runs there."""

            def created() -> int:
                return int(good.stats()["jobs_created"] + failing.stats()["jobs_created"])

            async def until_created(count: int) -> None:
                await wait_until(lambda: created() >= count, 10)

            given = 0
            while failing.stats()["jobs_created"] == 0:
                next_job = created() + 1
                for document in documents[given : given + 25]:
                    yield document
                given += 25
                await until_created(next_job)
            failing.service.faults.faults = Faults(submit_error=1.0, retry_after_on_error=0.0)
            for document in documents[given:]:
                yield document

        async with _client(resources, pacing=pacing) as client:
            with anyio.fail_after(30):
                async with client.stream(source(), SINGLE) as stream:
                    results = [result async for result in stream]
        served = failing.stats()
    assert not check_exactly_once(results, documents, [SINGLE])
    assert stream.stats.resources["failing"].drained is not None
    assert served["faults"]["submit_error"] > 0
    # Not one accepted job was left unread there, to be billed again elsewhere.
    assert stream.stats.orphans == 0
    assert served["jobs_created"] == stream.stats.resources["failing"].jobs >= 1


class SyncTokenCredential:
    """Shaped as azure.identity's synchronous credentials."""

    def get_token(self, *scopes: str) -> Any:
        raise AssertionError("never called")


def test_a_synchronous_token_credential_is_refused_at_once() -> None:
    with pytest.raises(ac.ConfigurationError, match="async"):
        ac.Client("https://a.example.com", SyncTokenCredential())  # type: ignore[arg-type]
