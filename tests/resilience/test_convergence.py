"""A client whose budget is above the service's limit learns the limit and stops being throttled."""

from __future__ import annotations

from dataclasses import dataclass

import anyio
import pytest

from asyncclassify.emulator import Emulator, RateLimit

from .conftest import FAST, SINGLE, check_exactly_once, corpus, fast_client

pytestmark = pytest.mark.anyio

SERVICE_LIMIT = 50
CLIENT_LIMIT = 100
WINDOW = 1.0
SETTLING_WINDOWS = 2
"""Windows after the first 429 within which the client must have learnt the limit."""


@dataclass(frozen=True, slots=True)
class Sample:
    at: float
    client_throttled: int
    service_throttled: int


async def test_throttling_stops_once_the_client_has_learnt_the_limit() -> None:
    documents = corpus(2_000)
    samples: list[Sample] = []
    async with (
        Emulator(timing=FAST, rate_limit=RateLimit(SERVICE_LIMIT, WINDOW)) as emu,
        fast_client(
            emu.endpoint, emu.key, requests_per_minute=CLIENT_LIMIT, rate_window=WINDOW
        ) as client,
    ):
        results = []
        with anyio.fail_after(30):
            async with client.stream(documents, SINGLE) as stream:
                async for result in stream:
                    results.append(result)
                    samples.append(
                        Sample(
                            anyio.current_time(), stream.stats.throttled, emu.stats()["throttled"]
                        )
                    )
        served = emu.stats()

    assert not check_exactly_once(results, documents, (SINGLE,))
    final = samples[-1]
    assert final.client_throttled == served["throttled"] > 0  # the limit was hit, and seen
    first_throttled = next(s.at for s in samples if s.service_throttled > 0)
    settled = first_throttled + SETTLING_WINDOWS * WINDOW
    later = [s for s in samples if s.at >= settled]
    # The run goes on past the settling time (ten jobs or more), so "no more 429s" means something.
    assert len(later) >= 10 * 25
    assert all(s.service_throttled == final.service_throttled for s in later), [
        (round(s.at - first_throttled, 2), s.service_throttled)
        for s in samples[:: len(samples) // 40]
    ]
    # What it learnt is at most the service's limit, not the configured budget.
    assert client.budget.limit <= SERVICE_LIMIT
