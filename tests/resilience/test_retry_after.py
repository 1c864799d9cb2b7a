"""A `Retry-After` longer than the client will wait fails the call at once."""

from __future__ import annotations

import anyio
import pytest

import asyncclassify as ac
from asyncclassify.emulator import Emulator, RateLimit

from .conftest import FAST, SINGLE, corpus, fast_client

pytestmark = pytest.mark.anyio

MAX_RETRY_AFTER = 5.0


async def test_an_overlong_retry_after_raises_quota_exceeded() -> None:
    retry = ac.RetryPolicy(backoff_base=0.01, backoff_max=0.1, max_retry_after=MAX_RETRY_AFTER)
    async with (
        # One request per ten minutes: the job's first poll is told to come back in ~600 s.
        Emulator(timing=FAST, rate_limit=RateLimit(requests=1, per_seconds=600)) as emu,
        fast_client(emu.endpoint, emu.key, retry=retry) as client,
    ):
        with anyio.fail_after(MAX_RETRY_AFTER):
            async with client.stream(corpus(10), SINGLE) as stream:
                with pytest.raises(ac.QuotaExceededError) as raised:
                    async for _ in stream:
                        pass
        served = emu.stats()

    error = raised.value
    assert error.status == 429
    assert "600" in str(error)
    assert served["throttled"] == 1
    assert served["requests"] == {"POST 202": 1, "GET 429": 1}
    assert stream.stats.requests == 2
