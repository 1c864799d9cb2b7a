"""A run killed or interrupted midway leaves whole lines, and `--resume` finishes it."""

from __future__ import annotations

import signal
import subprocess
from collections.abc import AsyncIterator
from pathlib import Path

import anyio
import orjson
import pytest
from anyio.abc import Process

from asyncclassify.emulator import Emulator, Timing

from .helpers import (
    COMMAND,
    FAST,
    SINGLE,
    by_id,
    clean_env,
    connect,
    has_whole_line,
    jsonl,
    output_lines,
    run_cli,
    single_answer,
)

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

CORPUS_SIZE = 600
INTERRUPTIBLE = [
    COMMAND[0],
    "-c",
    "import signal, sys; signal.signal(signal.SIGINT, signal.default_int_handler); "
    "from asyncclassify._cli import main; sys.exit(main(sys.argv[1:]))",
    "run",
]
"""The command, answering SIGINT even when started from a background job (which inherits
SIGINT ignored, as a shell's `&` does): as a user's Ctrl-C at a terminal."""
SLOW = Timing(base=0.1, per_document=0.0, jitter=0, max_running_jobs=1)
"""Jobs of 25 documents that run one at a time: 600 documents take a few seconds."""

TEXTS = {
    f"doc-{n:03}": f"Ticket {n}: " + ("billed twice", "app crashes", "parcel lost")[n % 3]
    for n in range(CORPUS_SIZE)
}


@pytest.fixture
async def slow_emulator() -> AsyncIterator[Emulator]:
    async with Emulator(timing=SLOW) as running:
        yield running


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "tickets.jsonl"
    path.write_bytes(jsonl([{"id": key, "text": text} for key, text in TEXTS.items()]))
    return path


async def start_run(corpus: Path, output: Path, emulator: Emulator, stderr: Path) -> Process:
    """Start a run in the background, its stderr going to a file."""
    with stderr.open("wb") as errors:
        return await anyio.open_process(
            [*INTERRUPTIBLE, str(corpus), "-o", str(output), "--task", SINGLE, *connect(emulator)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=errors,
            env=clean_env(),
        )


async def wait_for_first_lines(output: Path) -> None:
    """Wait until the run has written at least one whole line."""
    with anyio.fail_after(15):
        # Another process writes the file: there is no event to wait on, so poll it.
        while not has_whole_line(output):  # noqa: ASYNC110
            await anyio.sleep(0.005)


def whole_lines(data: bytes) -> list[bytes]:
    """The complete lines of a partial output (a torn last line left out)."""
    return data.splitlines(keepends=True)[: data.count(b"\n")]


async def resume_and_check(corpus: Path, output: Path, finished: set[str]) -> None:
    """Resume the run: every id ends up with one right line, and none is sent again."""
    async with Emulator(timing=FAST) as emulator:  # the same model, answering at once
        done = await run_cli(corpus, "-o", output, "--task", SINGLE, "--resume", *connect(emulator))
        assert done.returncode == 0, done.stderr
        assert emulator.stats()["documents_received"] == CORPUS_SIZE - len(finished)
    lines = by_id(output_lines(output))
    assert lines == {key: {"id": key, **single_answer(text)} for key, text in TEXTS.items()}
    assert done.stderr.startswith(f"{CORPUS_SIZE} documents: {CORPUS_SIZE} ok, 0 failed".encode())


async def test_resume_after_sigkill_and_a_torn_line(
    slow_emulator: Emulator, corpus: Path, tmp_path: Path
) -> None:
    output = tmp_path / "out.jsonl"
    process = await start_run(corpus, output, slow_emulator, tmp_path / "stderr")
    async with process:
        await wait_for_first_lines(output)
        process.kill()
        with anyio.fail_after(10):
            assert await process.wait() == -signal.SIGKILL
    finished = {orjson.loads(line)["id"] for line in whole_lines(output.read_bytes())}
    assert 0 < len(finished) < CORPUS_SIZE  # killed midway
    missing = min(set(TEXTS) - finished)
    torn = orjson.dumps({"id": missing, **single_answer(TEXTS[missing])})
    with output.open("ab") as handle:  # a line cut short by the crash
        handle.write(torn[: len(torn) // 2])
    await resume_and_check(corpus, output, finished)


@pytest.mark.parametrize(
    ("signum", "status", "said"),
    [(signal.SIGINT, 130, b"interrupted"), (signal.SIGTERM, 143, b"terminated")],
    ids=["ctrl-c", "sigterm"],
)
async def test_a_stop_signal_cancels_the_jobs_in_flight_and_resume_finishes(
    slow_emulator: Emulator, corpus: Path, tmp_path: Path, signum: int, status: int, said: bytes
) -> None:
    output, stderr = tmp_path / "out.jsonl", tmp_path / "stderr"
    process = await start_run(corpus, output, slow_emulator, stderr)
    async with process:
        await wait_for_first_lines(output)
        process.send_signal(signum)  # Ctrl-C, or a service manager stopping the run
        with anyio.fail_after(10):
            assert await process.wait() == status
    partial = output_lines(output)  # every line whole and valid
    finished = set(by_id(partial))
    assert 0 < len(finished) < CORPUS_SIZE  # interrupted midway
    # The jobs in flight were cancelled on the service: nobody would have read them.
    assert slow_emulator.stats()["jobs_cancelled"] > 0
    messages = stderr.read_bytes()
    assert said in messages
    assert b"--resume" in messages
    assert b"Traceback" not in messages
    # The summary counts what was written, not what was still on its way.
    assert f"\n{len(finished)} documents: {len(finished)} ok, 0 failed".encode() in messages
    await resume_and_check(corpus, output, finished)


STARTING = """
import os, signal, sys

class InterruptWhileLoading:
    def find_spec(self, name, path=None, target=None):
        if name == "asyncclassify._cli.run":  # the command line's modules are loading
            os.kill(os.getpid(), signal.SIGINT)
        return None

sys.meta_path.insert(0, InterruptWhileLoading())
sys.argv = ["asyncclassify", *sys.argv[1:]]
from asyncclassify.__main__ import run
run()
"""


async def test_ctrl_c_while_the_command_starts_is_an_interruption_not_a_traceback(
    tmp_path: Path,
) -> None:
    corpus = tmp_path / "tickets.jsonl"
    corpus.write_bytes(jsonl([{"id": "a", "text": "My invoice is wrong"}]))
    output = tmp_path / "out.jsonl"
    command = [COMMAND[0], "-c", STARTING]
    done = await run_cli(
        "run", corpus, "-o", output, "--task", SINGLE, "--emulator", command=command
    )
    assert done.returncode == 130, done.stderr
    assert done.stderr == b"interrupted\n"
    assert not output.exists()
