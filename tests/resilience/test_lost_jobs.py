"""A job that is gone when polled (expired, purged) is run again, until the retry horizon;
then its documents are reported, saying how long they failed."""

from __future__ import annotations

import anyio
import pytest

import asyncclassify as ac
from asyncclassify.emulator import Emulator, Timing

from .conftest import SINGLE, check_exactly_once, corpus, fast_client

pytestmark = pytest.mark.anyio


async def test_a_job_gone_before_its_first_poll_is_submitted_again() -> None:
    documents = corpus(30)
    # Results are purged 0.05 s after submission; the client first looks after 0.3 s.
    async with (
        Emulator(timing=Timing(base=0.0), rate_limit=None, retention_seconds=0.05) as emu,
        fast_client(
            emu.endpoint,
            emu.key,
            pacing=ac.Pacing(first_poll=0.3),
            retry=ac.RetryPolicy(backoff_base=0.01, backoff_max=0.1, horizon=1.0),
        ) as client,
    ):
        with anyio.fail_after(20):
            stream = client.stream(documents, SINGLE)
            results = [result async for result in stream]
        jobs_created = emu.stats()["jobs_created"]

    errors = check_exactly_once(
        results, documents, (SINGLE,), allowed_error_codes=frozenset({"JobLost"})
    )
    assert errors["JobLost"] == len(documents)
    # Two batches, each submitted again and again for the horizon's second.
    assert stream.stats.resubmits >= 4
    assert jobs_created == 2 + stream.stats.resubmits
    for result in results:
        assert result.error is not None
        assert "NotFound" in result.error.message
        assert "failing for 1 s" in result.error.message
