"""Every document comes back exactly once, with the model's answer, whatever the service does."""

from __future__ import annotations

from typing import Any

import anyio
import pytest

import asyncclassify as ac
from asyncclassify._job.mistakes import TRANSIENT_STRIKES
from asyncclassify.emulator import Emulator, Faults, RateLimit

from .conftest import ENTITIES, FAST, MULTI, SINGLE, check_exactly_once, corpus, fast_client

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

TASKS = (SINGLE, MULTI, ENTITIES)
"""Three tasks per job, so a job can fail in part (`task_failed`)."""
PATIENT_RETRY = ac.RetryPolicy(backoff_base=0.01, backoff_max=0.1, horizon=30.0)
"""Fast retries, for far longer than any run of faults lasts (past the horizon a batch would
get `ServiceUnavailable` error results; see test_credentials)."""

SINGLE_FAULTS: dict[str, dict[str, Any]] = {
    "submit_error": {"submit_error": 0.2},
    "get_error": {"get_error": 0.2},
    "connection_reset": {"connection_reset": 0.1},
    "lost_submit_response": {"lost_submit_response": 0.15},
    "slow_response": {"slow_response": 0.2},
    "job_failed": {"job_failed": 0.15},
    "task_failed": {"task_failed": 0.2},
    "truncated_body": {"truncated_body": 0.2},
}
"""Each fault on its own, with a probability high enough to strike dozens of times."""
FAILS_JOBS = frozenset({"job_failed", "task_failed"})
"""Faults that fail jobs (their documents are submitted again)."""


async def _run(
    faults: Faults,
    count: int,
    rate_limit: RateLimit | None = None,
    ordered: bool = False,
    **client_settings: Any,
) -> tuple[list[ac.Result], list[tuple[str, str]], dict[str, Any], ac.RunStats]:
    documents = corpus(count)
    async with (
        Emulator(timing=FAST, faults=faults, rate_limit=rate_limit, seed=7) as emu,
        fast_client(emu.endpoint, emu.key, retry=PATIENT_RETRY, **client_settings) as client,
    ):
        with anyio.fail_after(30):
            async with client.stream(documents, *TASKS, ordered=ordered) as stream:
                results = [result async for result in stream]
        return results, documents, emu.stats(), stream.stats


@pytest.mark.parametrize("kind", list(SINGLE_FAULTS))
async def test_each_fault_alone(kind: str) -> None:
    faults = Faults(retry_after_on_error=0, slow_seconds=0.05, **SINGLE_FAULTS[kind])
    results, documents, served, stats = await _run(faults, 2_000)

    assert not check_exactly_once(results, documents, TASKS)  # not one error result
    assert served["faults"][kind] > 0, served["faults"]
    assert stats.documents == len(documents)
    if kind in FAILS_JOBS:
        assert stats.resubmits > 0
    elif kind != "slow_response":
        assert stats.retries > 0


@pytest.mark.parametrize(
    ("api_version", "ordered"), [("2023-04-01", False), ("v3.2-preview.2", True)]
)
async def test_every_fault_at_once_with_throttling(api_version: str, ordered: bool) -> None:
    faults = Faults(
        submit_error=0.08,
        get_error=0.08,
        retry_after_on_error=0.1,
        connection_reset=0.05,
        lost_submit_response=0.12,
        slow_response=0.1,
        slow_seconds=0.05,
        job_failed=0.12,
        task_failed=0.12,
        truncated_body=0.08,
    )
    results, documents, served, stats = await _run(
        faults,
        2_000,
        # The service allows 60 requests a second; the client believes in 200.
        rate_limit=RateLimit(requests=60, per_seconds=1.0),
        ordered=ordered,
        api_version=api_version,
        requests_per_minute=200,
        rate_window=1.0,
    )

    assert not check_exactly_once(results, documents, TASKS)  # not one error result
    injected = {kind for kind, count in served["faults"].items() if count > 0}
    assert injected >= set(SINGLE_FAULTS), served["faults"]
    assert served["throttled"] > 0
    assert stats.throttled == served["throttled"]
    # Lost submit responses made the service run some documents twice; the caller saw them once.
    assert served["documents_in_multiple_jobs"] > 0
    if ordered:
        assert [result.index for result in results] == list(range(len(documents)))


async def test_a_task_failing_in_every_job_before_it_ever_ran_stops_an_older_api_call() -> None:
    documents = corpus(60)
    async with (
        Emulator(timing=FAST, faults=Faults(job_failed=1.0), rate_limit=None) as emu,
        fast_client(
            emu.endpoint, emu.key, retry=PATIENT_RETRY, api_version="v3.2-preview.2"
        ) as client,
    ):
        with anyio.fail_after(10), pytest.raises(ac.TaskConfigurationError) as raised:
            await client.classify(documents, SINGLE, ENTITIES)
        served = emu.stats()

    # The older API reports a missing project as an internal error: after a few jobs that
    # all failed so, before any success, the call stops and says what may be wrong.
    assert "InternalServerError" in str(raised.value)
    assert "not there" in str(raised.value)
    batches = -(-len(documents) // 25)
    assert TRANSIENT_STRIKES <= served["jobs_created"] <= TRANSIENT_STRIKES + batches


async def test_a_task_failing_in_every_job_is_retried_for_the_horizon_then_reported() -> None:
    documents = corpus(60)
    retry = ac.RetryPolicy(backoff_base=0.01, backoff_max=0.05, horizon=0.5)
    async with (
        Emulator(timing=FAST, faults=Faults(job_failed=1.0), rate_limit=None) as emu,
        fast_client(emu.endpoint, emu.key, retry=retry) as client,
    ):
        with anyio.fail_after(10):
            results = await client.classify(documents, SINGLE, ENTITIES)

    # The current API says NotFound of a missing project: an internal error is a fault.
    errors = check_exactly_once(
        results, documents, (SINGLE, ENTITIES), frozenset({"InternalServerError"})
    )
    assert errors["InternalServerError"] == 2 * len(documents)
    for result in results:
        assert result.error is not None
        assert "failing for" in result.error.message


async def test_a_partly_failed_job_resubmits_only_the_failed_task() -> None:
    documents = corpus(60)
    async with (
        Emulator(timing=FAST, faults=Faults(task_failed=1.0), rate_limit=None) as emu,
        fast_client(emu.endpoint, emu.key, retry=PATIENT_RETRY) as client,
    ):
        with anyio.fail_after(10):
            async with client.stream(documents, SINGLE, ENTITIES) as stream:
                results = [result async for result in stream]
        served = emu.stats()

    # Every two-task job loses one task; its re-submission has one task, which cannot fail in part.
    errors = check_exactly_once(results, documents, (SINGLE, ENTITIES))
    assert not errors
    batches = -(-len(documents) // 25)
    assert served["faults"]["task_failed"] == batches
    assert served["jobs_created"] == 2 * batches
    assert stream.stats.resubmits == batches


async def test_answers_slower_than_the_request_timeout_are_retried() -> None:
    documents = corpus(500)
    retry = ac.RetryPolicy(
        backoff_base=0.01, backoff_max=0.1, horizon=30.0, submit_timeout=0.2, poll_timeout=0.2
    )
    faults = Faults(slow_response=0.2, slow_seconds=0.5)
    async with (
        Emulator(timing=FAST, faults=faults, rate_limit=None, seed=7) as emu,
        fast_client(emu.endpoint, emu.key, retry=retry) as client,
    ):
        with anyio.fail_after(30):
            async with client.stream(documents, SINGLE, ENTITIES) as stream:
                results = [result async for result in stream]
        served = emu.stats()

    assert not check_exactly_once(results, documents, (SINGLE, ENTITIES))
    assert served["faults"]["slow_response"] > 0
    # Every slow answer outlasted the timeout, and was asked for again.
    assert stream.stats.retries >= served["faults"]["slow_response"]
