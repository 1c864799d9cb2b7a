"""Running the `asyncclassify` command in a subprocess, and what its output must say."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import anyio
import orjson

from asyncclassify.emulator import DEFAULT_PROJECTS, Emulator, Project, Timing
from asyncclassify.emulator.model import classify_multi, classify_single, recognize_entities

PROJECTS: dict[str, Project] = {project.kind: project for project in DEFAULT_PROJECTS}
"""The emulator's default project of each kind."""

SINGLE = "single:support:prod"
MULTI = "multi:genres:prod"
ENTITIES = "entities:loans:prod"

FAST = Timing(base=0.005, per_document=0.0, jitter=0)
"""Jobs that finish almost at once."""

COMMAND = [sys.executable, "-m", "asyncclassify", "run"]
"""The command line, as `python -m asyncclassify run`."""

CONSOLE_SCRIPT = Path(sys.executable).parent / "asyncclassify"
"""The `asyncclassify` console script installed next to the interpreter."""


def clean_env(**extra: str) -> dict[str, str]:
    """The test's environment without any Azure settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("AZURE_LANGUAGE_")}
    env.update(extra)
    return env


UNHURRIED = ["--requests-per-minute", "60000"]
"""A budget that does not bind, for tests of what a run writes rather than of its pace (at the
service's 1,000 requests a minute, 2,000 documents take ten seconds)."""


def connect(emulator: Emulator) -> list[str]:
    """The options that point the command at a running emulator."""
    return ["--endpoint", emulator.endpoint, "--key", emulator.key or ""]


async def run_cli(
    *arguments: str | Path,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
    command: Sequence[str | Path] = COMMAND,
) -> subprocess.CompletedProcess[bytes]:
    """Run the command to its end (the test's event loop keeps serving meanwhile)."""
    with anyio.fail_after(30):
        return await anyio.run_process(
            [*command, *map(str, arguments)],
            input=stdin,
            check=False,
            env=clean_env() if env is None else env,
        )


def jsonl(records: Sequence[dict[str, Any]]) -> bytes:
    """Records as JSON lines."""
    return b"".join(orjson.dumps(record) + b"\n" for record in records)


def parse_lines(data: bytes) -> list[dict[str, Any]]:
    """Every line of a JSONL output; each must be a complete JSON object."""
    assert data.endswith(b"\n") or not data, "the output ends in a torn line"
    records = [orjson.loads(line) for line in data.splitlines()]
    assert all(isinstance(record, dict) for record in records)
    return records


def output_lines(path: Path) -> list[dict[str, Any]]:
    """Every line of a JSONL output file."""
    return parse_lines(path.read_bytes())


def has_whole_line(path: Path) -> bool:
    """Whether a run has written at least one whole line to `path` yet."""
    return path.exists() and b"\n" in path.read_bytes()


def by_id(records: Sequence[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Output lines keyed by id (and no id twice)."""
    keyed = {record["id"]: record for record in records}
    assert len(keyed) == len(records), "an id is written twice"
    return keyed


def single_answer(text: str) -> dict[str, Any]:
    """The output of a single-label task for `text`."""
    answer = classify_single(text, PROJECTS["single"].labels)
    return {"classes": [{"category": answer.category, "confidenceScore": answer.confidence}]}


def multi_answer(text: str) -> dict[str, Any]:
    """The output of a multi-label task for `text`."""
    answers = classify_multi(text, PROJECTS["multi"].labels)
    return {"classes": [{"category": a.category, "confidenceScore": a.confidence} for a in answers]}


def entities_answer(text: str) -> dict[str, Any]:
    """The output of an entity task for `text`, offsets in code points."""
    matches = recognize_entities(text, PROJECTS["entities"].labels, unit="UnicodeCodePoint")
    return {
        "entities": [
            {
                "text": m.text,
                "category": m.category,
                "offset": m.offset,
                "length": m.length,
                "confidenceScore": m.confidence,
            }
            for m in matches
        ]
    }
