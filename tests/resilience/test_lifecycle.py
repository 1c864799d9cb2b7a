"""Every document answered through what the service does to jobs: faults at once, pages that
expire, outages, timeouts, slow answers; and mistakes that would fail every document stop the
call within seconds."""

from __future__ import annotations

import socket
from typing import Any

import anyio
import pytest

import asyncclassify as ac
from asyncclassify.emulator import Emulator, Faults, Timing

from .conftest import ENTITIES, FAST, MULTI, SINGLE, check_exactly_once, corpus, fast_client

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

TWO_TASKS = (SINGLE, ENTITIES)
EVERY_FAULT = Faults(
    submit_error=0.1,
    get_error=0.1,
    connection_reset=0.1,
    lost_submit_response=0.1,
    slow_response=0.1,
    slow_seconds=0.05,
    job_failed=0.1,
    task_failed=0.1,
    truncated_body=0.1,
)
"""Every fault kind at 10% (the foreign origin aside: that one stops a call, by design)."""


def _retry(**settings: float) -> ac.RetryPolicy:
    settings.setdefault("backoff_base", 0.01)
    settings.setdefault("backoff_max", 0.1)
    settings.setdefault("horizon", 30.0)
    return ac.RetryPolicy(**settings)


async def _classify(
    emulator: Emulator,
    documents: list[tuple[str, str]],
    tasks: tuple[ac.Task, ...],
    *,
    limit: float = 60,
    **settings: Any,
) -> tuple[list[ac.Result], ac.RunStats]:
    settings.setdefault("retry", _retry())
    async with fast_client(emulator.endpoint, emulator.key, **settings) as client:
        with anyio.fail_after(limit):
            async with client.stream(documents, *tasks) as stream:
                results = [result async for result in stream]
    return results, stream.stats


@pytest.mark.parametrize("api_version", ["2023-04-01", "v3.2-preview.2"])
async def test_every_fault_at_once_with_short_pages_and_expiring_jobs(api_version: str) -> None:
    documents = corpus(3_000)
    async with Emulator(
        timing=FAST, faults=EVERY_FAULT, rate_limit=None, seed=3, page_size=7, top_limit=7,
        retention_seconds=0.5,
    ) as emu:  # fmt: skip
        results, stats = await _classify(
            emu, documents, TWO_TASKS, limit=120, api_version=api_version,
            retry=_retry(horizon=60.0),
        )  # fmt: skip
        served = emu.stats()

    assert not check_exactly_once(results, documents, TWO_TASKS)  # not one error result
    assert {kind for kind, n in served["faults"].items() if n} >= {
        "submit_error", "get_error", "connection_reset", "lost_submit_response",
        "slow_response", "job_failed", "task_failed", "truncated_body",
    }  # fmt: skip
    # Jobs the client never saw accepted are counted as orphans.
    assert served["jobs_created"] - stats.jobs <= stats.orphans
    assert stats.orphans >= served["faults"]["lost_submit_response"]


async def test_a_results_page_that_is_gone_costs_only_its_documents() -> None:
    documents = corpus(300)
    # Jobs are forgotten so soon that later pages of some are gone when asked for.
    async with Emulator(
        timing=Timing(base=0.03, per_document=0.0, jitter=0.0), rate_limit=None, page_size=2,
        top_limit=2, retention_seconds=0.25, faults=Faults(slow_response=0.3, slow_seconds=0.1),
    ) as emu:  # fmt: skip
        results, stats = await _classify(emu, documents, (SINGLE,))
        served = emu.stats()

    assert not check_exactly_once(results, documents, (SINGLE,))
    assert served["requests"].get("GET 404", 0) > 0
    # Only documents left unanswered went out again: fewer than every document of every lost job.
    assert served["documents_received"] < len(documents) + 25 * stats.resubmits


async def test_a_batch_failing_several_times_in_a_row_is_answered() -> None:
    documents = corpus(600)
    async with Emulator(timing=FAST, faults=Faults(job_failed=0.4), rate_limit=None, seed=2) as emu:
        results, stats = await _classify(emu, documents, TWO_TASKS)
        served = emu.stats()

    assert not check_exactly_once(results, documents, TWO_TASKS)
    # At 40%, some batch of the 24 met three failures in a row.
    assert served["jobs_created"] - 24 >= 3
    assert stats.resubmits == served["faults"]["job_failed"]


async def test_an_outage_that_forgets_every_job_is_ridden_out() -> None:
    documents = corpus(2_000)
    slow = Timing(base=0.2, per_document=0.0, jitter=0.2)
    async with Emulator(timing=slow, rate_limit=None, outages=((0.1, 2.0),)) as emu:
        results, stats = await _classify(emu, documents, (SINGLE,), retry=_retry(horizon=10))
        served = emu.stats()

    assert emu.outages_served == 1
    assert not check_exactly_once(results, documents, (SINGLE,))
    assert stats.retries > 0
    assert stats.resubmits > 0  # jobs in flight were forgotten and run again
    assert served["documents_in_multiple_jobs"] > 0


async def test_an_outage_longer_than_the_horizon_ends_in_errors_that_say_how_long() -> None:
    documents = corpus(50)
    async with Emulator(timing=FAST, rate_limit=None, outages=((0.0, 3.0),)) as emu:
        results, _ = await _classify(emu, documents, (SINGLE,), retry=_retry(horizon=0.5))

    errors = check_exactly_once(results, documents, (SINGLE,), frozenset({"ServiceUnavailable"}))
    assert errors["ServiceUnavailable"] > 0
    for result in results:
        if result.error is not None:
            assert "failed for" in result.error.message


async def test_queued_time_does_not_count_against_the_job_timeout() -> None:
    documents = corpus(1_000)  # 40 jobs, one running at a time: the last waits about 2 s
    queue = Timing(base=0.05, per_document=0.0, jitter=0.0, max_running_jobs=1)
    async with Emulator(timing=queue, rate_limit=None) as emu:
        results, _ = await _classify(emu, documents, (SINGLE,), retry=_retry(job_timeout=0.5))
        served = emu.stats()

    assert not check_exactly_once(results, documents, (SINGLE,))
    assert served["jobs_created"] == 40
    assert served["jobs_cancelled"] == 0


async def test_jobs_past_the_timeout_are_read_then_cancelled_and_run_again() -> None:
    documents = corpus(500)
    # A median of 0.1 s, with a long tail; the client gives a job 0.12 s.
    spread = Timing(base=0.1, per_document=0.0, jitter=0.6, spread="lognormal")
    async with Emulator(timing=spread, rate_limit=None, seed=4) as emu:
        results, stats = await _classify(emu, documents, (SINGLE,), retry=_retry(job_timeout=0.12))
        served = emu.stats()

    assert not check_exactly_once(results, documents, (SINGLE,))
    assert served["jobs_cancelled"] > 0
    assert stats.resubmits >= served["jobs_cancelled"]


async def test_slow_answers_cost_a_short_timeout_on_reads_and_no_duplicate_on_submits() -> None:
    documents = corpus(500)
    faults = Faults(slow_response=0.2, slow_seconds=0.4)
    retry = _retry(poll_timeout=0.1, submit_timeout=5.0)
    async with Emulator(timing=FAST, faults=faults, rate_limit=None, seed=7) as emu:
        results, stats = await _classify(emu, documents, TWO_TASKS, retry=retry)
        served = emu.stats()

    assert not check_exactly_once(results, documents, TWO_TASKS)
    assert served["faults"]["slow_response"] > 0
    assert stats.retries > 0  # slow GETs were asked again
    assert served["documents_in_multiple_jobs"] == 0  # slow submits were waited for
    assert stats.orphans == 0


async def test_every_attempt_is_the_clients_own_and_counted() -> None:
    documents = corpus(500)
    faults = Faults(connection_reset=0.2, truncated_body=0.1)
    async with Emulator(timing=FAST, faults=faults, rate_limit=None, seed=5) as emu:
        results, stats = await _classify(emu, documents, TWO_TASKS)
        served = emu.stats()

    assert not check_exactly_once(results, documents, TWO_TASKS)
    received = sum(served["requests"].values()) + served["connections_dropped"]
    assert served["connections_dropped"] > 0
    assert stats.requests == received


NOPE = ac.SingleLabel("nope", "prod")
WRONG_KIND = ac.SingleLabel("genres", "prod")  # a multi-label project


@pytest.mark.parametrize(
    ("api_version", "tasks", "named"),
    [
        # The task fails as it starts; the other one runs on: the running job shows it.
        ("2023-04-01", (MULTI, NOPE), "'nope'"),
        ("2023-04-01", (WRONG_KIND,), "'genres'"),
        # The older API says only that a task failed (an internal error), job after job.
        ("v3.2-preview.2", (NOPE,), "'nope'"),
    ],
)
async def test_a_task_that_cannot_run_stops_the_call_after_a_few_jobs(
    api_version: str, tasks: tuple[ac.Task, ...], named: str
) -> None:
    documents = corpus(3_000)
    slow = Timing(base=0.3, per_document=0.0, jitter=0.2)
    async with (
        Emulator(timing=slow, rate_limit=None) as emu,
        fast_client(
            emu.endpoint, emu.key, api_version=api_version, requests_per_minute=6000,
            rate_window=60.0, retry=_retry(),
        ) as client,
    ):  # fmt: skip
        with anyio.fail_after(10), pytest.raises(ac.TaskConfigurationError) as raised:
            await client.classify(documents, *tasks)
        served = emu.stats()

    assert named in str(raised.value)
    assert raised.value.task == tasks[-1]
    assert served["jobs_created"] <= 12  # of 120


async def test_a_default_language_the_service_refuses_stops_the_call() -> None:
    documents = corpus(500)
    async with (
        Emulator(timing=FAST, rate_limit=None) as emu,
        fast_client(emu.endpoint, emu.key, language="xx") as client,
    ):
        with anyio.fail_after(10), pytest.raises(ac.TaskConfigurationError) as raised:
            await client.classify(documents, SINGLE)

    assert "'xx'" in str(raised.value)
    assert raised.value.task is None


async def test_an_endpoint_where_nothing_listens_stops_the_call_naming_it() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    endpoint = f"http://127.0.0.1:{port}"
    async with fast_client(endpoint, "k3y-never-shown", retry=_retry(first_contact=0.5)) as client:
        started = anyio.current_time()
        with anyio.fail_after(10), pytest.raises(ac.EndpointError) as raised:
            await client.classify(corpus(300), SINGLE)
        took = anyio.current_time() - started

    assert endpoint in str(raised.value)
    assert took < 5
    assert "k3y-never-shown" not in str(raised.value)
