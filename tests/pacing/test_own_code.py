"""The client's own code in virtual time: an event loop whose clock jumps, a `MockTransport`
answering from simulated services, and the scenarios and family draws run through
`Client.stream` rather than the model of its job code."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from asyncclassify._simulation import simulate
from asyncclassify._simulation.family import judge
from asyncclassify._simulation.scenarios import Scenario, realistic_timing
from asyncclassify._simulation.virtual import NothingLeftError, run_virtual

pytestmark = pytest.mark.slow


def test_the_virtual_clock_jumps_to_each_timer_in_order() -> None:
    woke: list[tuple[str, float]] = []

    async def sleeper(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        woke.append((name, asyncio.get_running_loop().time()))

    async def main() -> float:
        await asyncio.gather(sleeper("hour", 3600), sleeper("minute", 60), sleeper("now", 0))
        return asyncio.get_running_loop().time()

    assert run_virtual(main) == 3600
    assert woke == [("now", 0), ("minute", 60), ("hour", 3600)]


def test_a_loop_where_nothing_can_happen_raises_instead_of_hanging() -> None:
    async def main() -> None:
        await asyncio.Event().wait()

    with pytest.raises(NothingLeftError):
        run_virtual(main)


def test_a_scenario_run_by_the_clients_own_code_answers_every_document_once() -> None:
    scenario = Scenario("own code", realistic_timing(0.4), jobs=600, seed=3)
    figures = simulate(scenario)

    assert figures["results"] == 600 * 25
    assert figures["errors"] == 0
    assert figures["fraction_of_bound"] >= 0.85, figures
    assert figures["gets_per_job"] <= 1.15, figures


def test_two_processes_on_one_key_each_finish_their_share() -> None:
    scenario = Scenario("two", realistic_timing(0.4), jobs=800, clients=2, seed=5)
    figures = simulate(scenario)

    assert figures["results"] == 800 * 25
    assert len(figures["finished_s_by_client"]) == 2
    assert figures["throttled_fraction"] <= 0.02, figures


def test_own_code_and_model_agree_on_a_plain_service() -> None:
    scenario = replace(Scenario("plain", realistic_timing(0.2)), jobs=1_200, seed=2)
    own = judge(scenario)
    model = judge(scenario, model=True)

    assert abs(own["fraction_of_ceiling"] - model["fraction_of_ceiling"]) <= 0.03
    assert abs(own["gets_per_job"] - model["gets_per_job"]) <= 0.05
