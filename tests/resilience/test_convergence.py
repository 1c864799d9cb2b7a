"""A client whose budget is above the service's limit learns the limit and stops being throttled."""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import anyio
import pytest

from asyncclassify.emulator import Emulator, RateLimit

from .conftest import FAST, SINGLE, check_exactly_once, corpus, fast_client

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SERVICE_LIMIT = 50
CLIENT_LIMIT = 100
WINDOW = 1.0
SETTLING_WINDOWS = 2
"""Windows after the first 429 within which the client must have learnt the limit."""
EPISODE = 0.25 * WINDOW
"""429s closer together than this are one throttling episode."""
EPISODE_429S = 3
"""The most 429s one episode may hold."""
OBSERVED_WINDOWS = 3
"""Windows watched after settling, at least. A client that only obeys `Retry-After` without
learning gets a 429 in each of them; the rate limit itself makes the run last that long."""


@dataclass(frozen=True, slots=True)
class Sample:
    at: float
    client_throttled: int
    service_throttled: int
    learnt_limit: int


async def test_throttling_stops_once_the_client_has_learnt_the_limit() -> None:
    # Two requests per job of 25 at the service's 50 per second: about 8 s of requests, so
    # the run outlasts the first 429, the settling and the windows watched.
    documents = corpus(5_000)
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
                            anyio.current_time(),
                            stream.stats.throttled,
                            emu.stats()["throttled"],
                            client.budget.limit,
                        )
                    )
        served = emu.stats()

    assert not check_exactly_once(results, documents, (SINGLE,))
    final = samples[-1]
    assert final.client_throttled == served["throttled"] > 0  # the limit was hit, and seen
    first_throttled = next(s.at for s in samples if s.service_throttled > 0)
    settled = first_throttled + SETTLING_WINDOWS * WINDOW
    assert final.at - settled >= OBSERVED_WINDOWS * WINDOW
    # After that, 429s come only from probes of the learnt ceiling (should a share of it
    # have been another client's), rarer each time: at most one probe every two windows,
    # where a client that only waits meets 429s in every window. A probe's 429s are one
    # episode: on a starved CPU the emulator (same event loop) can receive requests late and
    # bunched, so one probe may meet several at once. One stray episode is tolerated.
    throttled_at = [
        (s.at, s.service_throttled)
        for previous, s in itertools.pairwise(samples)
        if s.service_throttled > previous.service_throttled
    ]
    late = [at for at, _ in throttled_at if at >= settled]
    episodes = sum(
        1 for previous, at in itertools.pairwise([-math.inf, *late]) if at - previous > EPISODE
    )
    observed_windows = (final.at - settled) / WINDOW
    late_429s = final.service_throttled - max(
        (count for at, count in throttled_at if at < settled), default=0
    )
    # ...and a probe meets a few 429s, not a window's worth.
    assert late_429s <= EPISODE_429S * episodes, throttled_at
    assert episodes <= 1 + observed_windows / 2, [
        (round(at - first_throttled, 2), count) for at, count in throttled_at
    ]
    # What it learnt is at most the service's limit, not the configured budget. After a few
    # quiet windows the client probes above it (another client's share may have come free), so
    # the limit at the end may stand a little above; it never goes back to the configured one.
    after = [s.learnt_limit for s in samples if s.at >= settled]
    assert min(after) <= SERVICE_LIMIT, after
    assert max(after) < CLIENT_LIMIT, after
