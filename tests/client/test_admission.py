"""A batch's place among the jobs in flight: taken when its first submit is granted, moved
with the batch to another resource, given back once."""

from __future__ import annotations

import anyio
import pytest

import asyncclassify as ac
from asyncclassify._resources.links import Admission, ResourceLink

pytestmark = pytest.mark.anyio


def link(name: str) -> ResourceLink:
    resource = ac.Resource(f"https://{name}.example", "key", name=name)
    return ResourceLink(resource, pacing=ac.Pacing(), allow_insecure_http=False)


async def test_a_place_moves_with_its_batch_and_is_given_back_once() -> None:
    first, second = link("first"), link("second")
    async with anyio.create_task_group() as group:
        for each in (first, second):
            each.runtime.attach(group.start_soon)
        await moves_and_gives_back(first, second)
        first.close()
        second.close()


async def moves_and_gives_back(first: ResourceLink, second: ResourceLink) -> None:
    admission = Admission(first, size=100)
    await admission.wait()

    assert admission.granted
    assert (first.pacer.in_flight.jobs, first.pacer.in_flight.bytes) == (1, 100)
    assert admission.first_turn() is not None
    assert admission.first_turn() is None  # the first submit's turn is taken once

    admission.move_to(second)
    assert (first.pacer.in_flight.jobs, first.pacer.in_flight.bytes) == (0, 0)
    assert (second.pacer.in_flight.jobs, second.pacer.in_flight.bytes) == (1, 100)

    with admission:
        pass
    admission.release()
    assert (second.pacer.in_flight.jobs, second.pacer.in_flight.bytes) == (0, 0)
    assert not admission.granted


async def test_a_place_never_granted_is_neither_moved_nor_given_back() -> None:
    first, second = link("first"), link("second")
    admission = Admission(first, size=100)  # the call stopped before the pacer granted it

    assert not admission.granted
    assert admission.first_turn() is None
    admission.move_to(second)
    admission.release()
    assert first.pacer.in_flight.jobs == second.pacer.in_flight.jobs == 0


async def test_a_wait_cancelled_before_its_grant_holds_no_place() -> None:
    resource = ac.Resource("https://one.example", "key", name="one")
    only = ResourceLink(resource, pacing=ac.Pacing(max_jobs_in_flight=1), allow_insecure_http=False)
    async with anyio.create_task_group() as group:
        only.runtime.attach(group.start_soon)
        first, second = Admission(only, size=100), Admission(only, size=100)
        await first.wait()
        with anyio.move_on_after(0.05):
            await second.wait()  # no room: one job in flight is all it may hold
        assert first.granted
        assert not second.granted
        second.release()
        assert only.pacer.in_flight.jobs == 1
        first.release()
        assert only.pacer.in_flight.jobs == 0
        only.close()
