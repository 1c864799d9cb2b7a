"""How several workers (Ray actors, processes) share resources. Pure logic.

`spread`: every worker uses every resource, with an even share of each budget, so a worker
whose resource fails moves its jobs to the others, as one client does. `shares`: with at
least as many resources as workers, each worker gets whole resources (round robin), so no
two workers pace one budget; with more workers than resources, the workers of one resource
split its budget evenly. Either way each worker's pacer still learns from 429s on top, should
the shares not add up (another client on the key, a restarted worker).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence

from .._errors import ConfigurationError
from .links import Resource


def shares(resources: Sequence[Resource], workers: int) -> list[list[Resource]]:
    """The resources of each of `workers` workers (each a share of a budget, or whole)."""
    _check(resources, workers)
    count = len(resources)
    if workers <= count:
        return [list(resources[index::workers]) for index in range(workers)]
    return [
        [
            _share(
                resources[index % count], len(range(index % count, workers, count)), index // count
            )
        ]
        for index in range(workers)
    ]


def spread(resources: Sequence[Resource], workers: int) -> list[list[Resource]]:
    """The resources of each of `workers` workers: every resource, an even share of each
    budget."""
    _check(resources, workers)
    return [
        [_share(resource, workers, index) for resource in resources] for index in range(workers)
    ]


def _check(resources: Sequence[Resource], workers: int) -> None:
    if not resources:
        raise ConfigurationError("at least one resource is needed")
    if workers < 1:
        raise ConfigurationError("at least one worker is needed")


def _share(resource: Resource, sharers: int, place: int) -> Resource:
    """The share of `resource` that the sharer at `place` (0-based) among `sharers` gets:
    even shares, the first sharers taking the remainder, so that they add up to the budget.
    Shares of less than a request a minute are refused: they would add up to more."""
    budget = resource.requests_per_minute
    if budget < sharers:
        raise ConfigurationError(
            f"{resource.label}: {budget} requests a minute cannot be shared by {sharers} workers"
        )
    if sharers == 1:
        return resource
    return dataclasses.replace(
        resource, requests_per_minute=budget // sharers + (place < budget % sharers)
    )
