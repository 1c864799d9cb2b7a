"""The command line never destroys data: outputs it may not write, runs it may not mix, and
`--resume` that finishes a run with exactly one line per document."""

from __future__ import annotations

from pathlib import Path

import orjson
import pytest

import asyncclassify
from asyncclassify.emulator import Emulator

from .helpers import (
    COMMAND,
    MULTI,
    SINGLE,
    by_id,
    clean_env,
    connect,
    jsonl,
    output_lines,
    run_cli,
    single_answer,
)

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

TEXTS = {f"t{n}": f"Ticket {n}: my invoice was charged twice" for n in range(60)}


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    path = tmp_path / "tickets.jsonl"
    path.write_bytes(jsonl([{"id": key, "text": text} for key, text in TEXTS.items()]))
    return path


def _content(path: Path) -> bytes:
    return path.read_bytes()


def _write(path: Path, data: bytes) -> None:
    path.write_bytes(data)


async def _finished_run(emulator: Emulator, corpus: Path) -> Path:
    """Run the corpus once to its end; the output it wrote."""
    output = corpus.with_name("out.jsonl")
    first = await run_cli(corpus, "-o", output, "--task", SINGLE, *connect(emulator))
    assert first.returncode == 0, first.stderr
    return output


def _answers() -> dict[str, dict[str, object]]:
    return {key: {"id": key, **single_answer(text)} for key, text in TEXTS.items()}


@pytest.mark.parametrize("resume", [False, True])
async def test_an_output_that_is_the_input_is_refused(
    emulator: Emulator, corpus: Path, resume: bool
) -> None:
    before = _content(corpus)
    link = corpus.with_name("link.jsonl")
    link.symlink_to(corpus)
    flags = ["--resume"] if resume else ["--overwrite"]
    done = await run_cli(corpus, "-o", link, *flags, "--task", SINGLE, *connect(emulator))
    assert done.returncode == 2
    assert b"is the input" in done.stderr
    assert _content(corpus) == before
    assert emulator.stats()["requests"] == {}


async def test_an_existing_output_is_kept_unless_resumed_or_overwritten(
    emulator: Emulator, corpus: Path
) -> None:
    output = corpus.with_name("out.jsonl")
    earlier = b'{"id":"earlier","classes":[]}\n'
    output.write_bytes(earlier)
    refused = await run_cli(corpus, "-o", output, "--task", SINGLE, *connect(emulator))
    assert refused.returncode == 2
    assert b"--resume" in refused.stderr
    assert b"--overwrite" in refused.stderr
    assert output.read_bytes() == earlier
    assert emulator.stats()["requests"] == {}

    replaced = await run_cli(
        corpus, "-o", output, "--overwrite", "--task", SINGLE, *connect(emulator)
    )
    assert replaced.returncode == 0, replaced.stderr
    assert by_id(output_lines(output)) == _answers()


async def test_resume_refuses_another_runs_output(emulator: Emulator, corpus: Path) -> None:
    output = await _finished_run(emulator, corpus)
    written = output.read_bytes()
    record = orjson.loads(output.with_name("out.jsonl.run.json").read_bytes())
    assert record["tasks"] == [SINGLE]
    assert emulator.key is not None
    assert emulator.key not in str(record)

    other = await run_cli(corpus, "-o", output, "--resume", "--task", MULTI, *connect(emulator))
    assert other.returncode == 2
    assert MULTI.encode() in other.stderr
    assert b"another run" in other.stderr
    assert output.read_bytes() == written


async def test_resume_sends_transient_errors_again_and_keeps_permanent_ones(
    emulator: Emulator, corpus: Path
) -> None:
    output = await _finished_run(emulator, corpus)
    lines = output_lines(output)
    outage = {"code": "ServiceUnavailable", "message": "GET failed for 600 s"}
    refused = {"code": "InvalidArgument", "message": "Invalid document"}
    lines[3] = {"id": lines[3]["id"], "error": outage}
    lines[7] = {"id": lines[7]["id"], "error": refused}
    output.write_bytes(jsonl(lines))
    emulator.reset()

    resumed = await run_cli(corpus, "-o", output, "--resume", "--task", SINGLE, *connect(emulator))
    assert resumed.returncode == 1  # the permanent error stays
    assert emulator.stats()["documents_received"] == 1
    after = output_lines(output)
    assert len(after) == len(TEXTS)  # one line per document
    assert by_id(after)[lines[7]["id"]]["error"] == refused
    assert by_id(after)[lines[3]["id"]] == _answers()[lines[3]["id"]]

    emulator.reset()
    again = await run_cli(
        corpus, "-o", output, "--resume", "--retry-errors", "--task", SINGLE, *connect(emulator)
    )
    assert again.returncode == 0, again.stderr
    assert emulator.stats()["documents_received"] == 1
    assert by_id(output_lines(output)) == _answers()


async def test_resume_stops_at_a_line_that_is_not_a_result(
    emulator: Emulator, corpus: Path
) -> None:
    output = await _finished_run(emulator, corpus)
    data = output.read_bytes().split(b"\n")
    data[2] = b"edited by hand"
    output.write_bytes(b"\n".join(data))
    before = output.read_bytes()
    done = await run_cli(corpus, "-o", output, "--resume", "--task", SINGLE, *connect(emulator))
    assert done.returncode == 2
    assert b"line 3" in done.stderr
    assert output.read_bytes() == before  # nothing cut


async def test_a_missing_output_directory_is_found_before_anything_is_sent(
    emulator: Emulator, corpus: Path
) -> None:
    output = corpus.parent / "no-such-dir" / "out.jsonl"
    done = await run_cli(corpus, "-o", output, "--task", SINGLE, *connect(emulator))
    assert done.returncode == 2
    assert b"no-such-dir" in done.stderr
    assert emulator.stats()["requests"] == {}


@pytest.mark.parametrize("from_stdin", [False, True])
async def test_the_key_comes_from_a_file_or_stdin(
    emulator: Emulator, corpus: Path, from_stdin: bool
) -> None:
    assert emulator.key is not None
    key_file = corpus.with_name("key.txt")
    key_file.write_text(emulator.key + "\n", encoding="utf-8")
    source = "-" if from_stdin else str(key_file)
    output = corpus.with_name("out.jsonl")
    done = await run_cli(
        corpus, "-o", output, "--task", SINGLE, "--endpoint", emulator.endpoint,
        "--key-file", source, stdin=key_file.read_bytes() if from_stdin else None,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert emulator.key.encode() not in done.stderr
    assert by_id(output_lines(output)) == _answers()


async def test_version_and_help() -> None:
    version = await run_cli("--version", command=COMMAND[:-1])  # no `run`
    assert version.returncode == 0
    assert asyncclassify.__version__.encode() in version.stdout
    helped = await run_cli("--help")
    assert helped.returncode == 0
    for expected in (b"exit status", b"130", b"(default: 1000", b"--key-file", b"ps"):
        assert expected in helped.stdout, expected


async def test_a_key_file_as_editors_save_it_and_keys_no_service_has(
    emulator: Emulator, corpus: Path
) -> None:
    assert emulator.key is not None
    key_file = corpus.with_name("key.txt")
    key_file.write_bytes(b"\xef\xbb\xbf" + emulator.key.encode() + b"\r\n")  # Notepad's way
    output = corpus.with_name("out.jsonl")
    done = await run_cli(
        corpus, "-o", output, "--task", SINGLE, "--endpoint", emulator.endpoint,
        "--key-file", key_file,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    env = clean_env(AZURE_LANGUAGE_KEY="s3cr3t\nk3y", AZURE_LANGUAGE_ENDPOINT=emulator.endpoint)
    broken = await run_cli(corpus, "-o", "-", "--task", SINGLE, env=env)
    assert broken.returncode == 2
    assert b"AZURE_LANGUAGE_KEY holds characters" in broken.stderr
    assert b"s3cr3t" not in broken.stderr
    foreign = await run_cli(
        corpus, "-o", "-", "--task", SINGLE, "--endpoint", emulator.endpoint, "--key", "café"
    )
    assert foreign.returncode == 2
    assert emulator.stats()["requests"].get("POST 500", 0) == 0


async def test_resume_after_fixing_the_encoding_leaves_one_line_per_record(
    emulator: Emulator, tmp_path: Path
) -> None:
    corpus = tmp_path / "tickets.csv"
    corpus.write_bytes("id,text\na,My invoice\nb,Mon café est froid\n".encode("cp1252"))
    output = tmp_path / "out.jsonl"
    first = await run_cli(corpus, "-o", output, "--task", SINGLE, *connect(emulator))
    assert first.returncode == 1
    assert set(by_id(output_lines(output))) == {"a", "line:3"}
    again = await run_cli(
        corpus, "-o", output, "--resume", "--encoding", "cp1252", "--task", SINGLE,
        *connect(emulator),
    )  # fmt: skip
    assert again.returncode == 0, again.stderr
    assert by_id(output_lines(output)) == {
        "a": {"id": "a", **single_answer("My invoice")},
        "b": {"id": "b", **single_answer("Mon café est froid")},
    }


async def test_an_output_inside_the_input_folder_is_not_read_as_input(
    emulator: Emulator, tmp_path: Path
) -> None:
    root = tmp_path / "letters"
    root.mkdir()
    (root / "a.txt").write_text("My invoice is wrong", encoding="utf-8")
    output = root / "results.txt"
    for flags in ([], ["--resume"]):
        done = await run_cli(root, "-o", output, *flags, "--task", SINGLE, *connect(emulator))
        assert done.returncode == 0, done.stderr
        assert set(by_id(output_lines(output))) == {"a.txt"}


async def test_resume_without_a_run_record_still_checks_each_lines_shape(
    emulator: Emulator, corpus: Path
) -> None:
    output = corpus.with_name("out.jsonl")
    done = await run_cli(corpus, "-o", output, "--task", "entities:loans:prod", *connect(emulator))
    assert done.returncode == 0, done.stderr
    output.with_name("out.jsonl.run.json").unlink()
    before = output.read_bytes()
    other = await run_cli(corpus, "-o", output, "--resume", "--task", SINGLE, *connect(emulator))
    assert other.returncode == 2
    assert b"line 1 is not this run's" in other.stderr
    assert output.read_bytes() == before


async def test_resume_says_when_kept_lines_are_for_ids_the_input_lost(
    emulator: Emulator, corpus: Path
) -> None:
    output = await _finished_run(emulator, corpus)
    _write(corpus, jsonl([{"id": "t0", "text": TEXTS["t0"]}]))  # the others are gone
    again = await run_cli(corpus, "-o", output, "--resume", "--task", SINGLE, *connect(emulator))
    assert again.returncode == 0, again.stderr
    assert f"{len(TEXTS) - 1} lines kept".encode() in again.stderr


@pytest.mark.parametrize(
    "flags",
    [["--resume", "--overwrite"], ["--delimiter", ";;"], ["-o", ""]],
    ids=["resume-and-overwrite", "long-delimiter", "empty-output"],
)
async def test_contradictory_or_impossible_options_are_usage_errors(
    emulator: Emulator, corpus: Path, flags: list[str]
) -> None:
    output = ["-o", str(corpus.with_name("out.jsonl"))] if "-o" not in flags else []
    done = await run_cli(corpus, *output, *flags, "--task", SINGLE, *connect(emulator))
    assert done.returncode == 2
    assert b"Traceback" not in done.stderr
    assert emulator.stats()["requests"] == {}


async def test_repeated_ids_keep_one_line_per_record_through_resume_and_retry_errors(
    emulator: Emulator, tmp_path: Path
) -> None:
    records = [("a", "My invoice is wrong"), ("b", "App crashes"), ("a", "Another a")]
    records += [("c", "Parcel lost"), ("b", "Another b"), ("d", "Close it"), ("a", "Third a")]
    corpus = tmp_path / "tickets.jsonl"
    corpus.write_bytes(jsonl([{"id": key, "text": text} for key, text in records]))
    output = tmp_path / "out.jsonl"
    expected = {"a": 3, "b": 2, "c": 1, "d": 1}

    def lines_by_id() -> dict[str, list[dict[str, object]]]:
        grouped: dict[str, list[dict[str, object]]] = {}
        for line in output_lines(output):
            grouped.setdefault(str(line["id"]), []).append(line)
        return grouped

    def check() -> None:
        grouped = lines_by_id()
        assert {key: len(lines) for key, lines in grouped.items()} == expected
        for key, lines in grouped.items():
            # The id's answer is its first record's; each repeat is an error of its own.
            first = next(text for k, text in records if k == key)
            assert lines.count({"id": key, **single_answer(first)}) == 1, lines
            repeats = [line for line in lines if "error" in line]
            assert len(repeats) == expected[key] - 1
            assert all(line["error"]["code"] == "DuplicateId" for line in repeats)  # type: ignore[index]

    done = await run_cli(corpus, "-o", output, "--task", SINGLE, *connect(emulator))
    assert done.returncode == 1
    check()
    for flags in (["--resume"], ["--resume", "--retry-errors"]):
        again = await run_cli(corpus, "-o", output, *flags, "--task", SINGLE, *connect(emulator))
        assert again.returncode == 1, again.stderr
        check()
    # A run cut short after two repeats' errors were written, before the answer of their id.
    grouped = lines_by_id()
    output.write_bytes(jsonl([*(line for line in grouped["a"] if "error" in line), *grouped["c"]]))
    emulator.reset()
    resumed = await run_cli(corpus, "-o", output, "--resume", "--task", SINGLE, *connect(emulator))
    assert resumed.returncode == 1, resumed.stderr
    check()
    assert emulator.stats()["documents_received"] == 3  # a, b and d: the rest were kept
