"""Resources found to share one budget, in virtual time: when they pool, how they share the
pool, and when they part again."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field, replace

import pytest

from asyncclassify._pacing.budget import RequestBudget
from asyncclassify._pacing.pooling import (
    COINCIDE_WINDOWS,
    Budget,
    PooledBudget,
    PoolFinder,
)
from asyncclassify._simulation import Scenario, realistic_timing, simulate_model

WINDOW = 6.0
LIMIT = 100


@dataclass
class _Member:
    """A resource's pacer as the finder sees it, noting what it is told."""

    label: str
    own_budget: RequestBudget = field(default_factory=lambda: RequestBudget(LIMIT, WINDOW))
    budget: Budget = field(init=False)
    notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.budget = self.own_budget

    def note(self, what: str, reason: str, now: float) -> None:
        self.notes.append(what)


def _members(count: int) -> list[_Member]:
    return [_Member(f"r{index}") for index in range(count)]


def _send(member: _Member, count: int, start: float, spacing: float) -> float:
    """`count` requests from `member`, `spacing` apart from `start`; the time after them."""
    now = start
    for _ in range(count):
        member.budget.spend(now)
        now += spacing
    return now


def _throttle(finder: PoolFinder, member: _Member, now: float) -> None:
    """A 429 for a request `member` just sent, reported as its pacer would."""
    fraction = member.budget.throttled(now, retry_after=0.5, sent_at=now - 0.01)
    if fraction is not None:
        finder.episode(member, now, fraction)


def test_resources_that_meet_429s_together_far_below_their_limits_pool() -> None:
    members = _members(3)
    finder = PoolFinder(members)
    # Each sent 30 of its 100 in the window: together they filled a shared 90.
    for member in members:
        _send(member, 30, 0.0, 0.1)
    for member in members:
        _throttle(finder, member, 3.0)
    finder.review(3.0 + COINCIDE_WINDOWS * WINDOW / 2)
    assert finder.pools == []  # not yet: more may have met 429s at the same time
    finder.review(3.0 + COINCIDE_WINDOWS * WINDOW)
    assert len(finder.pools) == 1
    assert {m.label for m in finder.pools[0].members} == {"r0", "r1", "r2"}
    assert all(isinstance(m.budget, PooledBudget) for m in members)
    # All three at once: one decision each, logged once.
    assert all(m.notes == ["one budget with other resources"] for m in members)
    # The pool starts just under what their windows held together, not at 300.
    pool = finder.pools[0].budget
    assert 85 <= pool.limit <= 90, pool.limit
    # The resources' own budgets learnt nothing from a window they did not fill alone.
    assert all(m.own_budget.limit == LIMIT for m in members)


@pytest.mark.parametrize("case", ["alone", "apart", "near its own limit"])
def test_429s_one_resource_explains_do_not_pool(case: str) -> None:
    members = _members(2)
    finder = PoolFinder(members)
    first, second = members
    sent = 95 if case == "near its own limit" else 30
    _send(first, sent, 0.0, 0.02)
    _send(second, sent, 0.0, 0.02)
    _throttle(finder, first, 2.5)
    if case == "apart":
        _throttle(finder, second, 2.5 + 2 * COINCIDE_WINDOWS * WINDOW)
    elif case == "near its own limit":
        _throttle(finder, second, 2.5)
    finder.review(2.5 + WINDOW)
    assert finder.pools == []
    assert all(m.budget is m.own_budget and m.notes == [] for m in members)


def _pool_of(count: int) -> tuple[PoolFinder, list[_Member]]:
    members = _members(count)
    finder = PoolFinder(members)
    for member in members:
        _send(member, 20, 0.0, 0.1)
    for member in members:
        _throttle(finder, member, 2.0)
    finder.review(2.0 + COINCIDE_WINDOWS * WINDOW)
    assert len(finder.pools) == 1
    return finder, members


def _drive(
    finder: PoolFinder,
    members: list[_Member],
    until: float,
    shared: int,
    quiet_every: dict[str, float] | None = None,
) -> dict[str, int]:
    """Members send whenever their budgets allow (the first always asks first; a quiet one
    at most once per its interval) to a service whose one window allows `shared`; 429s are
    reported as the pacers would. The requests each sent in the last three windows."""
    quiet_every = quiet_every or {}
    service: deque[float] = deque()
    next_send = {m.label: 0.0 for m in members}
    sent = {m.label: 0 for m in members}
    now = 2.0
    while now < until:
        for member in members:
            if now < next_send[member.label] or member.budget.ready_at(now) > now:
                continue
            member.budget.spend(now)
            next_send[member.label] = now + quiet_every.get(member.label, 0.0)
            while service and service[0] <= now - WINDOW:
                service.popleft()
            if len(service) >= shared:
                _throttle(finder, member, now + 0.01)
                continue
            service.append(now)
            if now >= until - 3 * WINDOW:
                sent[member.label] += 1
        finder.review(now)
        now += 0.005
    return sent


def test_a_busy_member_takes_what_an_idle_one_leaves() -> None:
    finder, members = _pool_of(2)
    sent = _drive(finder, members, 20 * WINDOW, shared=60, quiet_every={"r1": 1.0})
    assert sent["r1"] == pytest.approx(3 * WINDOW / 1.0, abs=2)  # all it asked for
    # The busy one gets the rest of the shared 60 a window (a little under it).
    assert sent["r0"] + sent["r1"] >= 0.93 * 3 * 60, sent


def test_two_busy_members_split_the_pool_evenly() -> None:
    # The first member's dispatcher always asks first: without shares it would take all.
    finder, members = _pool_of(2)
    sent = _drive(finder, members, 20 * WINDOW, shared=60)
    assert sent["r1"] == pytest.approx(sent["r0"], rel=0.1), sent
    assert sent["r0"] + sent["r1"] >= 0.93 * 3 * 60, sent
    assert len(finder.pools) == 1


def test_a_pool_parts_once_its_limit_is_back_and_429s_stay_away() -> None:
    # The 429s that pooled them were someone else's: nothing more is refused, the pool probes
    # its way back to the whole 200 and parts.
    finder, members = _pool_of(2)
    sent = _drive(finder, members, 40 * WINDOW, shared=10_000)
    assert finder.pools == [], "the pool never parted"
    assert all(m.budget is m.own_budget for m in members)
    assert all(m.notes[-1] == "own budget again" for m in members)
    # Each is back at its own whole limit.
    assert all(count >= 0.95 * 3 * LIMIT for count in sent.values()), sent


def test_a_pool_that_keeps_meeting_429s_does_not_part() -> None:
    finder, members = _pool_of(2)
    _drive(finder, members, 60 * WINDOW, shared=40)
    assert len(finder.pools) == 1
    assert all(isinstance(m.budget, PooledBudget) for m in members)
    assert 36 <= finder.pools[0].budget.ceiling <= 40


def test_resources_of_one_client_on_one_budget_are_paced_as_one() -> None:
    # Four resources that the service counts as one budget: they find it from their 429s,
    # share it evenly, and keep 429s rare.
    scenario = Scenario(
        "four resources on one budget",
        realistic_timing(0.4),
        clients=4,
        jobs=2_400,
        one_client=True,
        seed=3,
    )
    pooled = simulate_model(scenario)
    apart = simulate_model(replace(scenario, one_client=False))
    assert pooled["pooled"] == 4
    assert apart["pooled"] == 0
    assert pooled["fraction_of_bound"] >= 0.93, pooled
    assert pooled["throttled_fraction"] <= 0.003, pooled
    assert pooled["throttled_fraction"] < apart["throttled_fraction"], (pooled, apart)
    # Each had a quarter of the corpus: shared evenly, they finish together.
    finished = pooled["finished_s_by_client"]
    assert max(finished) - min(finished) <= 0.05 * max(finished), finished
