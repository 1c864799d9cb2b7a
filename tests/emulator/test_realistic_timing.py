"""Realistic timing: skewed and heavy-tailed durations, slow spells, a pre-filled window."""

from __future__ import annotations

import math
import random
import statistics

import pytest

from asyncclassify.emulator import RateLimit, Regime, Timing
from asyncclassify.emulator.cli import build_parser, emulator_from_args
from asyncclassify.emulator.ratelimit import SlidingWindowLimiter
from asyncclassify.emulator.slots import Slot, make_slots

from .conftest import ClientFactory
from .helpers import documents, modern_body

pytestmark = pytest.mark.anyio


def _durations(timing: Timing, count: int = 20_000) -> list[float]:
    rng = random.Random(3)
    return [timing.task_duration(25, rng) for _ in range(count)]


def test_lognormal_durations_have_the_median_and_spread_asked_for() -> None:
    timing = Timing(base=0.5, per_document=0.02, jitter=0.4, spread="lognormal")
    logs = [math.log(d) for d in _durations(timing)]
    assert statistics.median(logs) == pytest.approx(math.log(1.0), abs=0.02)
    assert statistics.stdev(logs) == pytest.approx(0.4, rel=0.03)


def test_loglogistic_durations_have_a_heavier_tail_than_lognormal_ones() -> None:
    lognormal = sorted(_durations(Timing(base=1.0, per_document=0, jitter=0.4, spread="lognormal")))
    heavy = sorted(_durations(Timing(base=1.0, per_document=0, jitter=0.4, spread="loglogistic")))
    assert statistics.median(heavy) == pytest.approx(1.0, rel=0.03)
    # The same spread of log durations in all, but the 1-in-1000 job takes much longer.
    assert statistics.stdev(math.log(d) for d in heavy) == pytest.approx(0.4, rel=0.05)
    assert heavy[-20] > 1.25 * lognormal[-20]


def test_uniform_jitter_stays_within_its_bounds() -> None:
    durations = _durations(Timing(base=1.0, per_document=0, jitter=0.3))
    assert min(durations) >= 0.7
    assert max(durations) <= 1.3


def test_a_regime_makes_the_service_slower_for_a_while() -> None:
    timing = Timing(base=1.0, per_document=0, jitter=0, regimes=(Regime(10, 20, 2.5),))
    assert [timing.regime_factor(t) for t in (0, 9.9, 10, 19.9, 20)] == [
        1.0, 1.0, 2.5, 2.5, 1.0,
    ]  # fmt: skip


async def test_jobs_follow_the_regime_counted_from_the_first_job(emulated: ClientFactory) -> None:
    timing = Timing(base=0.05, per_document=0, jitter=0, regimes=(Regime(0.0, 5.0, 40.0),))
    async with emulated(timing=timing) as client:
        slow = await client.submit(modern_body(documents(1)))
        assert (await client.get(slow))["status"] in ("notStarted", "running")
        job = client.emulator.service.store.jobs[slow.rsplit("/", 1)[1].split("?")[0]]
        assert job.end_at - job.start_at == pytest.approx(2.0)


def test_a_prefilled_window_holds_requests_of_another_client() -> None:
    limit = RateLimit(10, 6.0, prefill=8, prefill_seconds=3.0, retry_after_unit=0.1)
    limiter = SlidingWindowLimiter(limit, "key")
    assert limiter.try_acquire("other", 100.0) is None  # other keys are not prefilled
    assert limiter.try_acquire("key", 100.0) is None
    assert limiter.try_acquire("key", 100.0) is None
    wait = limiter.try_acquire("key", 100.0)
    # The eight were sent evenly over [97, 100]: the first leaves the window at 103.375.
    assert wait == pytest.approx(3.375)
    assert limit.retry_after(wait) == pytest.approx(3.4)
    assert RateLimit().retry_after(0.2) == 1.0  # whole seconds, as the service


async def test_a_scaled_window_answers_retry_after_in_its_unit(emulated: ClientFactory) -> None:
    limit = RateLimit(1, 0.6, retry_after_unit=0.1)
    async with emulated(rate_limit=limit) as client:
        url = await client.submit(modern_body(documents(1)))
        status, _, response = await client.request("GET", url)
    assert status == 429
    assert 0.1 <= float(response.headers["Retry-After"]) <= 0.6


def test_timing_flags_build_the_realistic_emulator() -> None:
    args = build_parser().parse_args(
        ["--spread", "loglogistic", "--jitter", "0.7", "--regime", "30:60:2",
         "--max-running-jobs", "20", "--prefill", "900:6", "--rate-limit", "1000/6",
         "--retry-after-unit", "0.1"]
    )  # fmt: skip
    service = emulator_from_args(args).service
    timing = service.store.timing
    assert (timing.spread, timing.jitter, timing.max_running_jobs) == ("loglogistic", 0.7, 20)
    assert timing.regimes == (Regime(30, 60, 2),)
    assert service.rate_limit == RateLimit(
        1000, 6.0, prefill=900, prefill_seconds=6.0, retry_after_unit=0.1
    )


@pytest.mark.parametrize(
    "argv",
    [["--regime", "5:2:1"], ["--regime", "a:b:c"], ["--prefill", "-3"], ["--spread", "normal"]],
)
def test_bad_timing_flags_exit_2(argv: list[str]) -> None:
    with pytest.raises(SystemExit) as excinfo:
        build_parser().parse_args(argv)
    assert excinfo.value.code == 2


def test_bad_timings_are_refused() -> None:
    with pytest.raises(ValueError, match="uniform"):
        Timing(jitter=1.5)
    Timing(jitter=1.5, spread="lognormal")  # a log spread may exceed 1
    with pytest.raises(ValueError, match="prefill_seconds"):
        RateLimit(10, 6.0, prefill=3, prefill_seconds=7.0)


def test_a_regime_paces_jobs_by_when_they_run_not_when_they_were_queued() -> None:
    # One job runs at a time; work done in the first 0.45 s goes ten times as fast. All six
    # are queued at once: four run within the fast spell, the fifth runs half its work in it
    # and half after, the sixth, queued then but started after it, runs at the usual pace.
    timing = Timing(base=1.0, per_document=0, jitter=0, regimes=(Regime(0.0, 0.45, 0.1),))
    slots = make_slots(1, "fifo", random.Random(0))
    queued = [slots.add(Slot(0.0, 1.0, pace=timing.pace_after(0.0))) for _ in range(6)]
    finishes = [slot.start + slot.duration for slot in queued]
    assert finishes == pytest.approx([0.1, 0.2, 0.3, 0.4, 0.95, 1.95])


def test_a_job_running_across_a_spell_slows_only_for_the_part_in_it() -> None:
    # Twice as slow from 10 s to 20 s: a job of 8 s of work begun at 6 s does 4 s of it before
    # the spell and the other 4 in 8 s within it (12 s in all); one begun at 19.9 s is slowed
    # for the first 0.1 s of its run only.
    # (Paced by its start alone, the second would take 16 s: two jobs a moment apart, one of
    # them twice as slow for its whole run, would make any comparison of clients a lottery.)
    timing = Timing(regimes=(Regime(10.0, 20.0, 2.0),))
    assert timing.run_time(6.0, 8.0) == pytest.approx(12.0)
    assert timing.run_time(19.9, 8.0) == pytest.approx(8.05)
    assert timing.run_time(12.0, 3.0) == pytest.approx(6.0)
    assert timing.run_time(25.0, 3.0) == pytest.approx(3.0)
    both = Timing(regimes=(Regime(0.0, 4.0, 2.0), Regime(2.0, 6.0, 0.5)))
    # 0-2 s: x2 (1 s of work), 2-4 s: x1 (2 s), 4-6 s: x0.5 (4 s), then the usual pace.
    assert both.run_time(0.0, 8.0) == pytest.approx(7.0)
