"""Resources that are one budget at the service, found by their 429s and paced as one.

The service's limit may hold per subscription or region rather than per resource. Then the
resources of one client, each paced to its own limit, fill one window together, and each
learns from its own 429s a share of it: four learners settle apart, probe apart and burst
apart, and lose a few percent of the window for good. Pure logic, time passed in.

* `PoolFinder` hears each resource's throttling episodes. When two resources meet 429s within
  a tenth of a window of each other, each while its own window held far less than its limit
  (what one resource's traffic cannot explain), they are taken to share one budget.
* `BudgetPool` is that budget: one `RequestBudget` whose configured limit is the members' sum
  and which learns from every member's 429s as one client would. Each member keeps to its own
  limit, to the pool's window, and to its share of the pool: what it sent in the last window
  and a little more, the rest split among those that want more, never less than an even
  split (so that no member is starved by the others' dispatchers, and none leaves its share
  idle).
* The pool is a hypothesis: once nothing it learnt holds anyone back (its limit is back at
  the members' sum) and no 429 has come for a few windows, the members are paced apart again.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol

from .budget import NEAR_LIMIT, RequestBudget

COINCIDE_WINDOWS = 0.1
"""Episodes of two resources this close (in windows) come together."""
APART_WINDOWS = 5.0
"""Windows without a 429, the pool's limit back at the members' sum, before they part."""
GROWTH = 1.25
"""A member's share of a pool is what it sent in the last window times this (so that it
can grow), or more."""


class Budget(Protocol):
    """What a pacer asks of its request budget."""

    @property
    def configured(self) -> float: ...

    @property
    def limit(self) -> int: ...

    @property
    def ceiling(self) -> int: ...

    @property
    def rate(self) -> float: ...

    @property
    def paused_until(self) -> float: ...

    def ready_at(self, now: float) -> float: ...

    def spend(self, now: float) -> None: ...

    def utilization(self, now: float) -> float: ...

    def use_falls_under(self, level: float, now: float) -> float: ...

    def throttled(self, now: float, retry_after: float, sent_at: float) -> float | None: ...


class Member(Protocol):
    """A resource's pacer, as the pool finder sees it."""

    label: str
    own_budget: RequestBudget
    budget: Budget

    def note(self, what: str, reason: str, now: float) -> None:
        """Log a change of course."""


class BudgetPool:
    """Several resources' one budget (see the module docstring)."""

    def __init__(self, members: Iterable[Member], now: float) -> None:
        self.members = list(members)
        self.budget = RequestBudget.pooled([member.own_budget for member in self.members])
        self.formed_at = now
        self._shares: tuple[float, dict[str, float]] = (-1.0, {})
        """The shares as last reckoned, and when (every member asks at each of its turns)."""

    def shares(self, now: float) -> dict[str, float]:
        """Each member's requests per window: what it sent in the last window and a little
        more (so a growing member grows), the rest split evenly among those that want more,
        and never less than an even split of the whole (so that no member is starved while
        the others are busy; the pool's own window keeps the sum)."""
        if self._shares[0] == now:
            return self._shares[1]
        limit = float(self.budget.limit)
        wants = {m.label: m.own_budget.in_window(now) * GROWTH for m in self.members}
        level = _water_level(sorted(wants.values()), limit)
        fair = limit / len(self.members)
        shares = {label: max(fair, min(want, level)) for label, want in wants.items()}
        self._shares = (now, shares)
        return shares

    def parted(self, now: float) -> bool:
        """Whether the evidence for one budget is gone: no 429 for a few windows, and the
        limit back at the members' sum."""
        budget = self.budget
        quiet = now - max(budget.last_throttle, self.formed_at)
        return quiet > APART_WINDOWS * budget.window and budget.ceiling >= budget.configured


def _water_level(wants: list[float], limit: float) -> float:
    """The level L at which sum(min(want, L)) is `limit` (inf when all wants fit)."""
    left = limit
    for index, want in enumerate(wants):
        even = left / (len(wants) - index)
        if want >= even:
            return even
        left -= want
    return float("inf")


@dataclass(slots=True)
class PooledBudget:
    """One member's view of its pool: its own limit, its share of the pool, and the pool's
    window, all kept."""

    label: str
    own: RequestBudget
    pool: BudgetPool
    part: RequestBudget

    @classmethod
    def of(cls, member: Member, pool: BudgetPool) -> PooledBudget:
        """`member`'s view of `pool`, its share starting at an even split."""
        own = member.own_budget
        part = RequestBudget(int(own.configured), own.window)
        part.resize(pool.budget.limit / len(pool.members))
        return cls(member.label, own, pool, part)

    def _share(self, now: float) -> RequestBudget:
        self.part.resize(self.pool.shares(now)[self.label])
        return self.part

    @property
    def limit(self) -> int:
        """The member's share of the pool's requests per window."""
        return self.part.limit

    @property
    def configured(self) -> float:
        """The pool's configured limit: its members' added up."""
        return self.pool.budget.configured

    @property
    def ceiling(self) -> int:
        """The level the pool's limit climbs back to after a 429 (what it learnt, or all)."""
        return self.pool.budget.ceiling

    @property
    def rate(self) -> float:
        """Requests per second the member may send."""
        return min(self.own.rate, self.part.rate)

    @property
    def paused_until(self) -> float:
        """Until when a `Retry-After` holds the member's requests back."""
        return max(self.own.paused_until, self.pool.budget.paused_until)

    def ready_at(self, now: float) -> float:
        """The earliest time one more request may leave."""
        return max(
            self.own.ready_at(now), self._share(now).ready_at(now), self.pool.budget.ready_at(now)
        )

    def spend(self, now: float) -> None:
        """Count one request leaving at `now`."""
        self.own.spend(now)
        self.part.spend(now)
        self.pool.budget.spend(now)

    def utilization(self, now: float) -> float:
        """How much of the member's share is used lately."""
        return self._share(now).utilization(now)

    def use_falls_under(self, level: float, now: float) -> float:
        """When the member's use of its share falls under `level` if it sends nothing."""
        return self._share(now).use_falls_under(level, now)

    def throttled(self, now: float, retry_after: float, sent_at: float) -> float | None:
        """A 429: the pool learns from it (the member's own limit is not what was met)."""
        self.own.paused_until = max(self.own.paused_until, now + retry_after)
        return self.pool.budget.throttled(now, retry_after, sent_at)


class PoolFinder:
    """Finds the resources of one client that share a budget (see the module docstring)."""

    def __init__(self, members: Iterable[Member]) -> None:
        self.members = list(members)
        self.pools: list[BudgetPool] = []
        self._episodes: dict[str, float] = {}
        """When each member last met 429s far below its limit."""

    def episode(self, member: Member, now: float, fraction: float) -> None:
        """`member` met a new throttling episode at `now`, its window holding `fraction` of
        its limit."""
        if fraction < NEAR_LIMIT:  # (near it, its own pace explains it)
            self._episodes[member.label] = now

    def review(self, now: float) -> None:
        """Pool the members whose episodes came together (once all that came together are
        in), and part the members of any pool whose evidence is gone."""
        self._pool_episodes(now)
        self._part(now)

    def _pool_episodes(self, now: float) -> None:
        if not self._episodes:
            return
        window = self.members[0].own_budget.window
        times = sorted(self._episodes.values())
        settled = now - times[-1] >= COINCIDE_WINDOWS * window or now - times[0] >= window
        if not settled:
            return
        by_label = {m.label: m for m in self.members}
        group: list[Member] = []
        last = -float("inf")
        for at, label in sorted((at, label) for label, at in self._episodes.items()):
            if at - last > COINCIDE_WINDOWS * window:
                self._join(group, now)
                group = []
            group.append(by_label[label])
            last = at
        self._join(group, now)
        self._episodes.clear()

    def _join(self, group: list[Member], now: float) -> None:
        """Pool `group` (with the pools its members were in), unless it is one member or all
        of it is pooled together already."""
        pools = {id(pool): pool for m in group if (pool := self._pool_of(m)) is not None}
        if len(group) < 2 or (len(pools) == 1 and all(self._pool_of(m) for m in group)):
            return
        for pool in pools.values():
            self.pools.remove(pool)
        everyone = {m.label: m for pool in pools.values() for m in pool.members}
        everyone.update((m.label, m) for m in group)
        pool = BudgetPool(everyone.values(), now)
        self.pools.append(pool)
        for m in pool.members:
            m.budget = PooledBudget.of(m, pool)
        names = ", ".join(sorted(everyone))
        for m in pool.members:
            m.note(
                "one budget with other resources",
                f"{names} met 429s together, each far below its own limit: paced as one "
                f"budget of {pool.budget.limit} requests a window, learnt from all their 429s",
                now,
            )

    def _part(self, now: float) -> None:
        for pool in [pool for pool in self.pools if pool.parted(now)]:
            self.pools.remove(pool)
            for m in pool.members:
                m.budget = m.own_budget
                m.note(
                    "own budget again",
                    f"no 429 for {APART_WINDOWS:.0f} windows at the pooled resources' whole "
                    "limit: each is paced by its own budget again",
                    now,
                )

    def _pool_of(self, member: Member) -> BudgetPool | None:
        return next((pool for pool in self.pools if member in pool.members), None)
