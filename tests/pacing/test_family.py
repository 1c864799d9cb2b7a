"""The client's own code over a randomized family of services, each judged against its own
clairvoyant ceiling (a fixed set of draws, corpora cut to three windows;
`benchmarks/pacing_family.py` runs fresh draws whole)."""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any

import pytest

from asyncclassify._simulation.family import draw, judge
from asyncclassify._simulation.scenarios import Scenario

pytestmark = pytest.mark.slow

DRAWS = (10, 3, 8, 1, 0, 7, 6, 11, 2, 5, 4, 9)
"""Twelve draws, the slowest to simulate first (so that the workers finish together)."""


def _judged(seed: int) -> dict[str, Any]:
    service = draw(seed)
    scenario = service.scenario(max_windows=3)
    figures = judge(scenario)
    figures["expected_jobs"] = scenario.jobs // scenario.clients * scenario.clients
    figures["service"] = service.label()
    return figures


@pytest.fixture(scope="module")
def family() -> list[dict[str, Any]]:
    # Virtual time: the figures do not depend on how the draws share the cores. (Fresh
    # interpreters, not forks of one that runs servers and Ray in threads.)
    workers = min(len(DRAWS), os.cpu_count() or 1)
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(pool.map(_judged, DRAWS))


def test_every_draw_answers_every_job(family: list[dict[str, Any]]) -> None:
    for figures in family:
        assert figures["jobs"] == figures["expected_jobs"], figures


def test_no_draw_collapses_and_most_reach_their_ceiling(family: list[dict[str, Any]]) -> None:
    fractions = sorted(figures["fraction_of_ceiling"] for figures in family)
    worst = min(family, key=lambda figures: figures["fraction_of_ceiling"])
    assert fractions[0] >= 0.5, worst
    assert fractions[len(fractions) // 2] >= 0.95, fractions


def test_where_the_budget_binds_a_job_costs_about_one_get(
    family: list[dict[str, Any]],
) -> None:
    bound = [figures for figures in family if figures["budget_binds"]]
    assert bound
    for figures in bound:
        assert figures["gets_per_job"] <= 1.15, figures
        assert figures["throttled_fraction"] <= 0.01, figures


def test_draws_are_replayable_and_wide() -> None:
    assert draw(7) == draw(7)
    services = [draw(seed) for seed in range(200)]
    assert any(service.running is None for service in services)
    assert any(service.pickup == "random" and service.running for service in services)
    assert {service.shape for service in services} == {"lognormal", "loglogistic", "bimodal"}
    assert {service.tasks for service in services} == {1, 2, 3}
    assert min(service.median for service in services) < 3 < 50 < max(s.median for s in services)


def test_a_realization_is_the_same_service_with_other_luck() -> None:
    service = draw(25140)
    first, other = service.scenario(), service.scenario(realization=1)
    assert (first.timing, first.jobs, first.rate_limit) == (
        other.timing,
        other.jobs,
        other.rate_limit,
    )
    assert len({first.seed, other.seed, service.scenario(realization=2).seed}) == 3

    def durations(scenario: Scenario) -> list[float]:
        simulated = scenario.service()
        return [simulated.create(0.0).job.slot.duration for _ in range(5)]

    assert durations(first) == durations(service.scenario())
    assert durations(first) != durations(other)
