"""`asyncclassify estimate`: documents, billed text records, jobs, requests and the shortest
time, from the input alone (no key, nothing sent)."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncclassify._cli.estimate import estimate
from asyncclassify._models import CustomEntities, SingleLabel

from .helpers import COMMAND, SINGLE, clean_env, jsonl, run_cli

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

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


@pytest.mark.parametrize(
    ("command", "options", "said"),
    [
        (ESTIMATE, ("--requests-per-minute", "0"), b"--requests-per-minute: must be 1 or more"),
        (ESTIMATE, ("--requests-per-minute", "-1"), b"--requests-per-minute: must be 1 or more"),
        (ESTIMATE, ("--price", "nan"), b"--price: must be a finite number of 0 or more"),
        (ESTIMATE, ("--price", "-3"), b"--price: must be a finite number of 0 or more"),
        (COMMAND, ("--max-concurrency", "0", "-o", "out.jsonl"), b"--max-concurrency: must be"),
        (
            COMMAND,
            ("--endpoint", "http://example.com", "--key", "k", "-o", "out.jsonl"),
            b"--endpoint http://example.com: plain http would send the key in clear",
        ),
    ],
)
async def test_a_value_no_run_can_use_is_refused_naming_the_option_typed(
    tmp_path: Path, command: list[str], options: tuple[str, ...], said: bytes
) -> None:
    corpus = tmp_path / "tickets.jsonl"
    corpus.write_bytes(jsonl([{"id": "a", "text": "My invoice is wrong"}]))
    done = await run_cli(corpus, "--task", SINGLE, *options, command=command)
    assert done.returncode == 2
    assert said in done.stderr, done.stderr
    assert b"Traceback" not in done.stderr
    assert b"allow_insecure_http" not in done.stderr
    assert b"Pacing." not in done.stderr
