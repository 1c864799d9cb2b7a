"""`asyncclassify estimate`: documents, billed text records, jobs, requests and the shortest
time, from the input alone (no key, nothing sent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncclassify._cli.estimate import estimate
from asyncclassify._models import CustomEntities, SingleLabel

from .helpers import COMMAND, SINGLE, clean_env, jsonl, run_cli

pytestmark = pytest.mark.anyio

TASKS = (SINGLE, "entities:loans:prod")
ESTIMATE = [*COMMAND[:-1], "estimate"]


def test_records_are_billed_per_thousand_characters_per_task() -> None:
    documents = ["short", "x" * 1000, "y" * 1001, ""]  # the empty one is invalid
    tasks = (SingleLabel("p", "d"), CustomEntities("p", "d"))
    result = estimate(documents, tasks, "2023-04-01", 1000)
    assert (result.documents, result.invalid) == (3, 1)
    assert result.text_records == (1 + 1 + 2) * 2
    assert result.jobs == 1
    assert result.requests == 2


def test_jobs_hold_25_documents_and_the_budget_bounds_the_time() -> None:
    documents = (f"ticket {n}" for n in range(2_501))
    result = estimate(documents, (SingleLabel("p", "d"),), "2023-04-01", 1000)
    assert result.jobs == 101
    assert result.shortest_minutes == pytest.approx(202 / 1000)


async def test_the_command_needs_no_key_and_prints_a_price(tmp_path: Path) -> None:
    corpus = tmp_path / "tickets.jsonl"
    records = [{"id": f"t{n}", "text": "a" * 1500} for n in range(50)]
    corpus.write_bytes(jsonl([*records, {"id": "x"}]))
    args = ["--task", TASKS[0], "--task", TASKS[1], "--price", "1.5"]
    done = await run_cli(corpus, *args, command=ESTIMATE, env=clean_env())
    assert done.returncode == 0, done.stderr
    out = done.stdout.decode()
    assert "documents      50 (and 1 invalid, not sent)" in out
    assert "text records   200" in out
    assert "jobs           2" in out
    assert "cost           0.30" in out
