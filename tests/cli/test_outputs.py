"""The shapes of the output lines, and where they go."""

from __future__ import annotations

import os
import re
from pathlib import Path

import anyio
import pytest

from asyncclassify.emulator import Emulator
from asyncclassify.emulator.model import recognize_entities

from .helpers import (
    COMMAND,
    CONSOLE_SCRIPT,
    ENTITIES,
    MULTI,
    PROJECTS,
    SINGLE,
    by_id,
    connect,
    entities_answer,
    jsonl,
    multi_answer,
    output_lines,
    parse_lines,
    run_cli,
    single_answer,
)

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

REVIEWS = [
    "A hilarious comedy with a scary horror twist",
    "A tearful romance and a family drama",
    "A documentary about whales",
]

NON_ASCII = (
    "👩‍👩‍👧 café Zoë e\u0301 東京タワー: call José Müller at jose@contoso.com, "
    "2024-03-05, $1,250.00"
)
"""Emoji, a ZWJ sequence, a combining mark and CJK before the entities."""


async def test_console_script_against_the_embedded_emulator(tmp_path: Path) -> None:
    corpus = tmp_path / "reviews.txt"
    corpus.write_text("".join(f"{text}\n" for text in REVIEWS), encoding="utf-8")
    output = tmp_path / "out.jsonl"
    done = await run_cli(
        "run", corpus, "-o", output, "--task", MULTI, "--emulator", command=[CONSOLE_SCRIPT]
    )
    assert done.returncode == 0, done.stderr
    lines = by_id(output_lines(output))
    expected = {
        str(number): {"id": str(number), **multi_answer(text)}
        for number, text in enumerate(REVIEWS, start=1)
    }
    assert lines == expected
    assert any(len(line["classes"]) > 1 for line in lines.values())


async def test_single_label_against_the_embedded_emulator(tmp_path: Path) -> None:
    texts = {"a": "I was overcharged on my bill", "b": "My parcel never arrived"}
    corpus = tmp_path / "tickets.jsonl"
    corpus.write_bytes(jsonl([{"id": key, "text": text} for key, text in texts.items()]))
    output = tmp_path / "out.jsonl"
    done = await run_cli(corpus, "-o", output, "--task", SINGLE, "--emulator")
    assert done.returncode == 0, done.stderr
    lines = by_id(output_lines(output))
    assert lines == {key: {"id": key, **single_answer(text)} for key, text in texts.items()}
    assert all(len(line["classes"]) == 1 for line in lines.values())


async def test_entity_offsets_are_code_points(emulator: Emulator, tmp_path: Path) -> None:
    labels = PROJECTS["entities"].labels
    offsets = {
        unit: [match.offset for match in recognize_entities(NON_ASCII, labels, unit)]
        for unit in ("TextElements_v8", "UnicodeCodePoint", "Utf16CodeUnit")
    }
    assert len({tuple(found) for found in offsets.values()}) == 3  # the units differ here
    corpus = tmp_path / "letters.jsonl"
    corpus.write_bytes(jsonl([{"id": "letter", "text": NON_ASCII}]))
    output = tmp_path / "out.jsonl"
    done = await run_cli(corpus, "-o", output, "--task", ENTITIES, *connect(emulator))
    assert done.returncode == 0, done.stderr
    [line] = output_lines(output)
    assert line == {"id": "letter", **entities_answer(NON_ASCII)}
    assert len(line["entities"]) >= 4
    for entity in line["entities"]:
        assert set(entity) == {"text", "category", "offset", "length", "confidenceScore"}
        assert entity["category"] in labels
        start = entity["offset"]
        assert NON_ASCII[start : start + entity["length"]] == entity["text"]


async def test_a_failed_document_is_an_error_line(emulator: Emulator, tmp_path: Path) -> None:
    corpus = tmp_path / "tickets.jsonl"
    corpus.write_bytes(
        jsonl(
            [
                {"id": "1", "text": "My invoice is wrong"},
                {"id": "2", "text": ""},
                {"id": "3", "text": "The app crashes"},
            ]
        )
    )
    output = tmp_path / "out.jsonl"
    done = await run_cli(corpus, "-o", output, "--task", SINGLE, *connect(emulator))
    assert done.returncode == 1, done.stderr
    lines = by_id(output_lines(output))
    assert lines["1"] == {"id": "1", **single_answer("My invoice is wrong")}
    assert lines["3"] == {"id": "3", **single_answer("The app crashes")}
    assert set(lines["2"]) == {"id", "error"}
    error = lines["2"]["error"]
    assert set(error) == {"code", "message"}
    assert error["code"] == "InvalidInput"
    assert "empty" in error["message"]


async def test_several_tasks_are_keyed_by_name(emulator: Emulator, tmp_path: Path) -> None:
    texts = {"n1": NON_ASCII, "n2": "Refund of $40 for Anna Schmidt from Fabrikam"}
    corpus = tmp_path / "letters.jsonl"
    records = [{"id": key, "text": text} for key, text in texts.items()]
    corpus.write_bytes(jsonl([*records, {"id": "n3", "text": ""}]))
    output = tmp_path / "out.jsonl"
    done = await run_cli(
        corpus, "-o", output, "--task", SINGLE, "--task", ENTITIES, *connect(emulator)
    )
    assert done.returncode == 1, done.stderr  # n3 has no text
    lines = by_id(output_lines(output))
    for key, text in texts.items():
        assert lines[key] == {
            "id": key,
            "tasks": {SINGLE: single_answer(text), ENTITIES: entities_answer(text)},
        }
    failed = lines["n3"]["tasks"]
    assert set(failed) == {SINGLE, ENTITIES}
    assert all(outcome["error"]["code"] == "InvalidInput" for outcome in failed.values())
    assert emulator.stats()["jobs_created"] == 1  # both tasks travel in one job


async def test_output_to_stdout(emulator: Emulator, tmp_path: Path) -> None:
    corpus = tmp_path / "reviews.txt"
    corpus.write_text("".join(f"{text}\n" for text in REVIEWS), encoding="utf-8")
    done = await run_cli(corpus, "-o", "-", "--task", MULTI, *connect(emulator))
    assert done.returncode == 0, done.stderr
    lines = by_id(parse_lines(done.stdout))
    assert lines == {
        str(number): {"id": str(number), **multi_answer(text)}
        for number, text in enumerate(REVIEWS, start=1)
    }
    assert not (tmp_path / "-").exists()  # "-" names stdout, not a file
    assert re.fullmatch(rb"3 documents: 3 ok, 0 failed [^\n]*\n", done.stderr), done.stderr


async def test_a_reader_that_leaves_stdout_early_ends_the_run_quietly(
    emulator: Emulator, tmp_path: Path
) -> None:
    # `asyncclassify run ... -o - | head -3`: the rest of the run is of no use to anyone;
    # it stops as other tools do (the status of a SIGPIPE), with no error and no traceback.
    # (More output than a pipe holds, so that writes meet the closed pipe.)
    corpus = tmp_path / "tickets.jsonl"
    corpus.write_bytes(
        jsonl([{"id": str(n), "text": f"Ticket {n}: my invoice is wrong"} for n in range(3000)])
    )
    piped = ["bash", "-c", 'set -o pipefail; "$@" | head -3', "-", *COMMAND]
    done = await run_cli(corpus, "-o", "-", "--task", SINGLE, *connect(emulator), command=piped)
    assert len(parse_lines(done.stdout)) == 3
    status, said = done.returncode, done.stderr
    assert status == 141, said
    assert b"Traceback" not in said
    assert b"error" not in said.lower()


async def test_a_full_disk_says_the_output_is_whole_up_to_its_last_line(
    emulator: Emulator, tmp_path: Path
) -> None:
    corpus = tmp_path / "tickets.txt"
    corpus.write_text("".join(f"{text}\n" for text in REVIEWS), encoding="utf-8")
    done = await run_cli(corpus, "-o", "/dev/full", "--task", SINGLE, *connect(emulator))
    assert done.returncode == 3
    assert b"No space left on device" in done.stderr
    assert b"--resume" in done.stderr
    assert b"Traceback" not in done.stderr


async def test_a_device_as_the_output_gets_no_run_record_beside_it(
    emulator: Emulator, tmp_path: Path
) -> None:
    corpus = tmp_path / "tickets.txt"
    corpus.write_text("".join(f"{text}\n" for text in REVIEWS), encoding="utf-8")
    done = await run_cli(corpus, "-o", os.devnull, "--task", SINGLE, *connect(emulator))
    assert done.returncode == 0, done.stderr
    assert not await anyio.Path(os.devnull + ".run.json").exists()
