"""How workers share resources: whole resources where there are enough, else even shares."""

from __future__ import annotations

import pytest

import asyncclassify as ac
from asyncclassify._resources.sharing import shares, spread
from asyncclassify.ray import _batches_for as batches_for


def test_actors_get_whole_resources_or_an_even_share_of_one() -> None:
    one, two = ac.Resource("https://a.example", "k", 1000), ac.Resource("https://b.example", "k")
    assert shares([one, two], 2) == [[one], [two]]
    assert shares([one, two], 1) == [[one, two]]
    plan = shares([one, two], 5)
    assert [[r.endpoint for r in part] for part in plan] == [
        ["https://a.example"], ["https://b.example"], ["https://a.example"],
        ["https://b.example"], ["https://a.example"],
    ]  # fmt: skip
    assert [part[0].requests_per_minute for part in plan] == [334, 500, 333, 500, 333]


def test_a_share_needs_resources_and_workers() -> None:
    with pytest.raises(ac.ConfigurationError):
        shares([], 2)
    with pytest.raises(ac.ConfigurationError):
        shares([ac.Resource("https://a.example", "k")], 0)


def test_each_actor_works_on_as_many_batches_as_its_largest_budget_needs() -> None:
    one, two = ac.Resource("https://a.example", "k", 1000), ac.Resource("https://b.example", "k")
    assert batches_for(shares([one, two], 2), 250) == 64  # 640 jobs of 25 per 1,000 requests
    assert batches_for(shares([one, two], 1), 250) == 128  # one actor paces both budgets
    assert batches_for(shares([one], 2), 250) == 32  # each actor has half a budget
    assert batches_for(shares([one], 2), 100) == 80  # batches of four jobs
    small = ac.Resource("https://c.example", "k", requests_per_minute=10)
    assert batches_for([[small]], 250) == 4  # never fewer than Ray runs per task


def test_spread_gives_every_worker_every_resource_and_the_budgets_add_up() -> None:
    one = ac.Resource("https://a.example", "k", 1000)
    two = ac.Resource("https://b.example", "k", 10)
    plan = spread([one, two], 3)
    assert [[r.endpoint for r in part] for part in plan] == [[one.endpoint, two.endpoint]] * 3
    assert [part[0].requests_per_minute for part in plan] == [334, 333, 333]
    assert [part[1].requests_per_minute for part in plan] == [4, 3, 3]
    assert spread([one], 1) == [[one]]
    with pytest.raises(ac.ConfigurationError):
        spread([], 2)
    with pytest.raises(ac.ConfigurationError):
        spread([one], 0)


def test_a_budget_too_small_to_share_is_refused() -> None:
    tiny = ac.Resource("https://a.example", "k", requests_per_minute=2)
    assert [part[0].requests_per_minute for part in spread([tiny], 2)] == [1, 1]
    with pytest.raises(ac.ConfigurationError, match="cannot be shared"):
        spread([tiny], 3)
    with pytest.raises(ac.ConfigurationError, match="cannot be shared"):
        shares([tiny], 3)
    # A resource of one request a minute may go whole to one of three workers.
    whole = ac.Resource("https://b.example", "k", requests_per_minute=1)
    big = ac.Resource("https://c.example", "k", requests_per_minute=1000)
    assert [r.requests_per_minute for part in shares([big, whole], 3) for r in part] == [
        500,
        1,
        500,
    ]
