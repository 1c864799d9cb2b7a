"""Jobs of one key that may run at once: first come first served, or picked up in no order."""

from __future__ import annotations

import math
import random

import pytest

from asyncclassify.emulator.config import Timing
from asyncclassify.emulator.slots import FifoSlots, RandomSlots, Slot


def test_first_come_first_served_starts_are_known_at_once() -> None:
    slots = FifoSlots(2)
    starts = [slots.add(Slot(0.0, 10.0)).start for _ in range(5)]
    assert starts == [0.0, 0.0, 10.0, 10.0, 20.0]


def test_random_pick_up_keeps_the_slots_full_in_no_fixed_order() -> None:
    orders = set()
    for seed in range(5):
        slots = RandomSlots(2, random.Random(seed))
        jobs = [slots.add(Slot(0.0, 10.0)) for _ in range(6)]
        slots.advance(5.0)
        assert sum(job.start == 0.0 for job in jobs) == 2  # two run at once from the start
        slots.advance(100.0)
        starts = sorted(job.start for job in jobs)
        assert starts == [0.0, 0.0, 10.0, 10.0, 20.0, 20.0]  # never idle while jobs wait
        orders.add(tuple(job.start for job in jobs))
    assert len(orders) > 1


def test_a_random_slot_is_taken_only_once_its_job_is_ready() -> None:
    slots = RandomSlots(1, random.Random(0))
    late = slots.add(Slot(5.0, 1.0))
    slots.advance(4.0)
    assert late.start == float("inf")
    slots.advance(6.0)
    assert late.start == 5.0


def test_start_spells_vary_around_their_median_and_a_share_of_jobs_is_slow() -> None:
    rng = random.Random(1)
    timing = Timing(queue_delay=2.0, queue_jitter=0.8, slow_share=0.1, slow_factor=5.0)
    spells = sorted(timing.start_spell(rng) for _ in range(2000))
    assert spells[1000] == pytest.approx(2.0, rel=0.15)
    assert spells[1900] > 5.0  # a long tail: some jobs wait far longer than most
    factors = [timing.job_factor(rng) for _ in range(2000)]
    assert set(factors) == {1.0, 5.0}
    assert 150 <= factors.count(5.0) <= 250
    assert Timing(queue_delay=2.0).start_spell(rng) == 2.0


def test_timing_refuses_what_cannot_be() -> None:
    with pytest.raises(ValueError, match="pickup"):
        Timing(pickup="lifo")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="slow_share"):
        Timing(slow_share=1.5)
    with pytest.raises(ValueError, match="queue_jitter"):
        Timing(queue_jitter=-1.0)


def test_first_come_first_served_never_runs_more_than_its_slots() -> None:
    # Jobs ready out of the order they came (start spells that vary): a job that came later
    # but is ready sooner must not squeeze into a slot another job still holds.
    rng = random.Random(3)
    slots = FifoSlots(5)
    jobs = [
        slots.add(Slot(index * 0.01 + 0.5 * math.exp(rng.gauss(0.0, 1.0)), 1.0))
        for index in range(400)
    ]
    events = sorted([(job.start, 1) for job in jobs] + [(job.start + 1.0, -1) for job in jobs])
    running = peak = 0
    for _, change in sorted(events, key=lambda event: (event[0], event[1])):
        running += change
        peak = max(peak, running)
    assert peak <= 5
    assert all(job.start >= job.ready for job in jobs)
