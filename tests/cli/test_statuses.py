"""Exit statuses, messages on stderr, malformed input and the summary line."""

from __future__ import annotations

import re
import socket
from pathlib import Path

import anyio
import pytest

from asyncclassify.emulator import Emulator
from asyncclassify.emulator.config import CLI_TIMING

from .helpers import SINGLE, by_id, clean_env, connect, jsonl, output_lines, run_cli, single_answer

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

SUMMARY = re.compile(rb"(\d+) documents: (\d+) ok, (\d+) failed in [^\n]*\n")


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "tickets.jsonl"
    path.write_bytes(jsonl([{"id": "a", "text": "I was billed twice"}]))
    return path


async def test_no_task_is_a_usage_error(emulator: Emulator, corpus: Path) -> None:
    output = corpus.with_name("out.jsonl")
    done = await run_cli(corpus, "-o", output, *connect(emulator))
    assert done.returncode == 2
    assert b"--task" in done.stderr
    assert not output.exists()
    assert emulator.stats()["requests"] == {}


@pytest.mark.parametrize("spec", ["bogus:support:prod", "single:support", "single::prod"])
async def test_a_bad_task_is_a_usage_error(emulator: Emulator, corpus: Path, spec: str) -> None:
    output = corpus.with_name("out.jsonl")
    done = await run_cli(corpus, "-o", output, "--task", spec, *connect(emulator))
    assert done.returncode == 2
    assert b"--task" in done.stderr
    assert spec.encode() in done.stderr
    assert b"Traceback" not in done.stderr
    assert not output.exists()
    assert emulator.stats()["requests"] == {}


async def test_a_missing_key_is_a_usage_error(emulator: Emulator, corpus: Path) -> None:
    output = corpus.with_name("out.jsonl")
    output.write_bytes(b'{"id":"earlier","classes":[]}\n')
    done = await run_cli(
        corpus, "-o", output, "--overwrite", "--task", SINGLE, "--endpoint", emulator.endpoint
    )
    assert done.returncode == 2
    assert b"AZURE_LANGUAGE_KEY" in done.stderr
    assert b"Traceback" not in done.stderr
    assert output.read_bytes() == b'{"id":"earlier","classes":[]}\n'  # left as it was
    assert emulator.stats()["requests"] == {}


async def test_a_refused_key_is_never_echoed(emulator: Emulator, corpus: Path) -> None:
    wrong_key = "wrong-key-5f0c1e9a7b3d"
    done = await run_cli(
        corpus, "-o", "-", "--task", SINGLE, "--endpoint", emulator.endpoint, "--key", wrong_key
    )
    assert done.returncode == 2
    assert b"401" in done.stderr
    assert b"Traceback" not in done.stderr
    assert wrong_key.encode() not in done.stdout + done.stderr
    assert emulator.stats()["requests"].get("POST 401", 0) >= 1
    assert emulator.stats()["jobs_created"] == 0


async def test_an_unknown_project_stops_the_run_at_once(tmp_path: Path) -> None:
    corpus = tmp_path / "tickets.jsonl"
    corpus.write_bytes(jsonl([{"id": f"t{i}", "text": f"ticket {i}"} for i in range(3000)]))
    output = tmp_path / "out.jsonl"
    # The command line's own timing: jobs of about two seconds, at the service's budget.
    async with Emulator(timing=CLI_TIMING) as emulator:
        started = anyio.current_time()
        done = await run_cli(
            corpus, "-o", output, "--task", "single:no-such-project:prod", *connect(emulator)
        )
        took = anyio.current_time() - started
        jobs = emulator.stats()["jobs_created"]
    assert done.returncode == 2
    assert b"'no-such-project'" in done.stderr
    assert b"Traceback" not in done.stderr
    assert took < 10
    assert jobs <= 15  # of 120: the failed task shows on the first polls (7 here, unloaded)


async def test_an_endpoint_where_nothing_listens_stops_the_run_naming_it(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        endpoint = f"http://127.0.0.1:{probe.getsockname()[1]}"
    corpus = tmp_path / "tickets.jsonl"
    corpus.write_bytes(jsonl([{"id": f"t{i}", "text": f"ticket {i}"} for i in range(300)]))
    started = anyio.current_time()
    done = await run_cli(
        corpus, "-o", tmp_path / "out.jsonl", "--task", SINGLE, "--endpoint", endpoint,
        "--key", "k",
    )  # fmt: skip
    took = anyio.current_time() - started
    assert done.returncode == 2
    assert endpoint.encode() in done.stderr
    assert b"Traceback" not in done.stderr
    assert took < 15


async def test_malformed_lines_become_error_lines(emulator: Emulator, tmp_path: Path) -> None:
    corpus = tmp_path / "tickets.jsonl"
    corpus.write_bytes(
        b'{"id": "a", "text": "I was billed twice"}\n'
        b'{"id": "b", "text": "truncated\n'
        b'{"id": "c"}\n'
        b"\n"
        b'["not", "an", "object"]\n'
        b'{"text": "no id here"}\n'
        b'{"id": "d", "text": "My package is lost"}\n'
    )
    output = tmp_path / "out.jsonl"
    done = await run_cli(corpus, "-o", output, "--task", SINGLE, *connect(emulator))
    assert done.returncode == 1
    lines = by_id(output_lines(output))
    assert set(lines) == {"a", "d", "line:2", "line:3", "line:5", "line:6"}
    assert lines["a"] == {"id": "a", **single_answer("I was billed twice")}
    assert lines["d"] == {"id": "d", **single_answer("My package is lost")}
    for number in (2, 3, 5, 6):
        error = lines[f"line:{number}"]["error"]
        assert error["code"] == "MalformedInput"
        assert error["message"].startswith(f"{corpus} line {number}:")
    assert emulator.stats()["documents_received"] == 2
    summary = SUMMARY.fullmatch(done.stderr)
    assert summary is not None, done.stderr
    assert summary.groups() == (b"6", b"2", b"4")


async def test_quiet_success_prints_nothing(emulator: Emulator, corpus: Path) -> None:
    output = corpus.with_name("out.jsonl")
    endpoint, key = emulator.endpoint, emulator.key or ""
    env = clean_env(AZURE_LANGUAGE_ENDPOINT=endpoint, AZURE_LANGUAGE_KEY=key)
    done = await run_cli(corpus, "-o", output, "--task", SINGLE, "--quiet", env=env)
    assert done.returncode == 0
    assert done.stderr == b""
    assert done.stdout == b""
    assert output_lines(output) == [{"id": "a", **single_answer("I was billed twice")}]


async def test_a_missing_input_leaves_the_output_alone(emulator: Emulator, tmp_path: Path) -> None:
    output = tmp_path / "out.jsonl"
    output.write_bytes(b'{"id":"earlier","classes":[]}\n')
    missing = tmp_path / "nowhere.jsonl"
    done = await run_cli(missing, "-o", output, "--task", SINGLE, *connect(emulator))
    assert done.returncode == 2
    assert str(missing).encode() in done.stderr
    assert b"Traceback" not in done.stderr
    assert output.read_bytes() == b'{"id":"earlier","classes":[]}\n'


async def test_resume_still_reports_earlier_failures(emulator: Emulator, tmp_path: Path) -> None:
    corpus = tmp_path / "tickets.txt"
    corpus.write_bytes(b"My invoice is wrong\nnot utf-8: \xff\nThe app crashes\n")
    output = tmp_path / "out.jsonl"
    first = await run_cli(corpus, "-o", output, "--task", SINGLE, *connect(emulator))
    assert first.returncode == 1
    written = output.read_bytes()
    emulator.reset()
    again = await run_cli(corpus, "-o", output, "--task", SINGLE, "--resume", *connect(emulator))
    assert again.returncode == 1  # line 2 is still an error line in the output
    # The malformed line was read again from the input (and is malformed still).
    assert sorted(output.read_bytes().splitlines()) == sorted(written.splitlines())
    assert emulator.stats()["documents_received"] == 0
    summary = SUMMARY.fullmatch(again.stderr)
    assert summary is not None, again.stderr
    assert summary.groups() == (b"3", b"2", b"1")
