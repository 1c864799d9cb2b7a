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

from ._errors import ConfigurationError
from ._resources import Resource


def shares(resources: Sequence[Resource], workers: int) -> list[list[Resource]]:
    """The resources of each of `workers` workers (each a share of a budget, or whole)."""
    if not resources:
        raise ConfigurationError("at least one resource is needed")
    if workers < 1:
        raise ConfigurationError("at least one worker is needed")
    if workers <= len(resources):
        return [list(resources[index::workers]) for index in range(workers)]
    for index, resource in enumerate(resources):
        _check_enough([resource], len(range(index, workers, len(resources))))
    plan: list[list[Resource]] = []
    for index in range(workers):
        resource = resources[index % len(resources)]
        sharing = len(range(index % len(resources), workers, len(resources)))
        budget = resource.requests_per_minute // sharing
        plan.append([dataclasses.replace(resource, requests_per_minute=budget)])
    return plan


def spread(resources: Sequence[Resource], workers: int) -> list[list[Resource]]:
    """The resources of each of `workers` workers: every resource, an even share of each
    budget (the first workers take the remainder)."""
    if not resources:
        raise ConfigurationError("at least one resource is needed")
    if workers < 1:
        raise ConfigurationError("at least one worker is needed")
    _check_enough(resources, workers)
    return [
        [
            dataclasses.replace(
                resource,
                requests_per_minute=resource.requests_per_minute // workers
                + (index < resource.requests_per_minute % workers),
            )
            for resource in resources
        ]
        for index in range(workers)
    ]


def _check_enough(resources: Sequence[Resource], workers: int) -> None:
    """Refuse shares of less than a request a minute: they would add up to more."""
    for resource in resources:
        if resource.requests_per_minute < workers:
            raise ConfigurationError(
                f"{resource.label}: {resource.requests_per_minute} requests a minute cannot be "
                f"shared by {workers} workers"
            )
