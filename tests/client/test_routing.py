"""Which resource a job goes to, and when one is drained: pure logic, no sockets."""

from __future__ import annotations

from dataclasses import dataclass, field

from asyncclassify._resources.routing import ResourceHealth, choose, others_usable


@dataclass(eq=False)
class _Route:
    start: float
    health: ResourceHealth = field(default_factory=ResourceHealth)

    def expected_start(self, now: float) -> float:
        return self.start


def test_a_job_goes_to_the_usable_resource_that_starts_it_soonest() -> None:
    busy, idle, drained = _Route(2.0), _Route(0.5), _Route(0.0)
    drained.health.drain("refused the credentials")
    assert choose([busy, idle, drained], now=0.0) is idle
    assert choose([busy, drained], now=0.0) is busy
    assert choose([], now=0.0) is None


def test_when_every_resource_is_drained_the_soonest_still_takes_the_job() -> None:
    # The last resources are never drained for a call: their errors are its own.
    late, early = _Route(3.0), _Route(1.0)
    late.health.drain("every request failed", until=50.0)
    early.health.drain("every request failed", until=50.0)
    assert choose([late, early], now=0.0) is early
    assert choose([late, early], now=0.0, current=late) is early


def test_on_a_tie_a_job_stays_where_it_ran() -> None:
    first, second = _Route(1.0), _Route(1.0)
    assert choose([first, second], now=0.0) is first
    assert choose([first, second], now=0.0, current=second) is second


def test_a_transient_drain_ends_on_probation_and_an_answer_ends_that() -> None:
    health = ResourceHealth()
    health.failed(10.0)
    assert health.failing_for(12.5) == 2.5
    health.drain("every request failed", until=20.0)
    assert not health.usable(19.9)
    assert health.usable(20.0)
    assert health.on_probation
    assert health.drained is None
    assert health.failing_for(21.0) == 0.0  # the spell before the drain is forgotten
    health.answered()
    assert not health.on_probation


def test_a_drain_for_good_never_ends_and_keeps_its_first_reason() -> None:
    health = ResourceHealth()
    health.drain("refused the credentials")
    health.drain("every request failed", until=5.0)
    assert health.drained == "refused the credentials"
    assert not health.usable(1e9)


def test_others_usable_looks_past_the_resource_itself() -> None:
    one, two = _Route(0.0), _Route(0.0)
    assert others_usable([one, two], one, 0.0)
    two.health.drain("gone")
    assert not others_usable([one, two], one, 0.0)
    assert others_usable([one, two], two, 0.0)
