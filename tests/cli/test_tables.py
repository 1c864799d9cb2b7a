"""Outputs in the input's shape: CSV, TSV and Parquet, a row per input record in the input's
order, the input's columns carried through, written whole when the run ends."""

from __future__ import annotations

import csv
import io
import os
import signal
import stat
import subprocess
from pathlib import Path
from typing import Any

import anyio
import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from asyncclassify.emulator import Emulator, Timing
from asyncclassify.emulator.model import classify_multi, classify_single, recognize_entities

from .helpers import (
    COMMAND,
    ENTITIES,
    MULTI,
    PROJECTS,
    SINGLE,
    clean_env,
    connect,
    has_whole_line,
    jsonl,
    run_cli,
)

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

ROWS = [
    {"ticket": "T-1", "channel": "mail", "body": "Anna Smith paid 120 dollars, invoice wrong"},
    {"ticket": "T-2", "channel": "chat", "body": 'Shipping is late, the "link"\nis broken'},
    {"ticket": "T-3", "channel": "phone", "body": ""},  # empty: the service's error
    {"ticket": "T-1", "channel": "mail", "body": "A record that repeats an id"},
    {"ticket": "T-4", "channel": "mail", "body": "A comedy about a horror film"},
]
TICKET_OPTIONS = ("--id-column", "ticket", "--text-column", "body")


def _single(text: str) -> tuple[str, float]:
    answer = classify_single(text, PROJECTS["single"].labels)
    return answer.category, answer.confidence


def _entities(text: str) -> list[dict[str, Any]]:
    return [
        {
            "text": m.text,
            "category": m.category,
            "offset": m.offset,
            "length": m.length,
            "confidence": m.confidence,
        }
        for m in recognize_entities(text, PROJECTS["entities"].labels, unit="UnicodeCodePoint")
    ]


def _names(folder: Path) -> list[str]:
    return sorted(path.name for path in folder.iterdir())


def _write_csv(path: Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(ROWS[0]))
        writer.writeheader()
        writer.writerows(ROWS)


async def test_csv_in_csv_out_in_the_inputs_order_with_its_columns(
    emulator: Emulator, tmp_path: Path
) -> None:
    corpus, output = tmp_path / "tickets.csv", tmp_path / "labelled.csv"
    _write_csv(corpus)
    done = await run_cli(
        corpus, "-o", output, "--task", SINGLE, "--task", ENTITIES, *TICKET_OPTIONS,
        *connect(emulator),
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # (the empty text and the repeat)
    assert b"wrote 5 rows to" in done.stderr
    with output.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert list(rows[0]) == [
        "ticket", "channel", "body", "support", "support_confidence", "support_error",
        "loans", "loans_error",
    ]  # fmt: skip
    assert [{k: row[k] for k in ROWS[0]} for row in rows] == ROWS  # every record, in order
    for row in (rows[0], rows[1], rows[4]):
        category, confidence = _single(row["body"])
        assert (row["support"], float(row["support_confidence"])) == (category, confidence)
        assert row["support_error"] == ""
        assert orjson.loads(row["loans"]) == _entities(row["body"])
    assert rows[2]["support"] == rows[2]["loans"] == ""
    assert rows[2]["support_error"].startswith("InvalidInput: ")
    assert rows[3]["support_error"].startswith("DuplicateId: ")  # the id's answer is row 1's
    assert rows[3]["loans_error"] == rows[3]["support_error"]


async def test_parquet_in_parquet_out_keeps_the_inputs_types(
    emulator: Emulator, tmp_path: Path
) -> None:
    corpus, output = tmp_path / "tickets.parquet", tmp_path / "labelled.parquet"
    table = pa.table(
        {
            "ticket": pa.array([10, 11, 12], pa.int64()),
            "body": ["A tearful romance", None, "Anna Smith paid 120 dollars"],
            "score": pa.array([0.5, 1.5, 2.5]),
        }
    )
    pq.write_table(table, corpus, row_group_size=2)
    done = await run_cli(
        corpus, "-o", output, "--task", MULTI, "--task", ENTITIES, *TICKET_OPTIONS,
        "--keep-columns", "score", *connect(emulator),
    )  # fmt: skip
    assert done.returncode == 1, done.stderr  # (the row without a text)
    written = pq.read_table(output)
    assert written.schema.field("ticket").type == pa.int64()
    assert written.schema.field("score").type == pa.float64()
    assert written.schema.field("genres").type == pa.list_(pa.string())
    assert written.schema.field("loans").type.value_type.names == [
        "text", "category", "offset", "length", "confidence",
    ]  # fmt: skip
    rows = written.to_pylist()
    assert [row["ticket"] for row in rows] == [10, 11, 12]
    assert "body" not in rows[0]  # (only the columns asked for, and the ids)
    first = classify_multi("A tearful romance", PROJECTS["multi"].labels)
    assert rows[0]["genres"] == [answer.category for answer in first]
    assert rows[0]["genres_confidences"] == [answer.confidence for answer in first]
    assert rows[2]["loans"] == _entities("Anna Smith paid 120 dollars")
    assert rows[1]["genres"] is None
    assert rows[1]["genres_error"].startswith("MalformedInput: ")
    assert "row 2" in rows[1]["genres_error"]


async def test_jsonl_in_tsv_and_parquet_out_carry_the_ids(
    emulator: Emulator, tmp_path: Path
) -> None:
    corpus = tmp_path / "tickets.jsonl"
    texts = [f"Ticket {n}: my invoice is wrong" for n in range(60)]
    corpus.write_bytes(jsonl([{"id": f"t{n}", "text": text} for n, text in enumerate(texts)]))
    for name in ("out.tsv", "out.parquet"):
        output = tmp_path / name
        done = await run_cli(corpus, "-o", output, "--task", SINGLE, *connect(emulator))
        assert done.returncode == 0, done.stderr
        if name.endswith(".tsv"):
            data = output.read_text(encoding="utf-8")
            rows: list[dict[str, Any]] = list(csv.DictReader(io.StringIO(data), delimiter="\t"))
        else:
            rows = pq.read_table(output).to_pylist()
        assert [row["id"] for row in rows] == [f"t{n}" for n in range(60)]
        assert [row["support"] for row in rows] == [_single(text)[0] for text in texts]


SLOW = Timing(base=0.1, per_document=0.0, jitter=0, max_running_jobs=1)


async def test_an_interrupted_table_run_leaves_no_table_and_resume_finishes_it(
    tmp_path: Path,
) -> None:
    corpus, output = tmp_path / "tickets.csv", tmp_path / "labelled.csv"
    texts = {f"d{n:03}": f"Ticket {n}: parcel lost" for n in range(400)}
    corpus.write_text(
        "id,text\n" + "".join(f"{key},{text}\n" for key, text in texts.items()), encoding="utf-8"
    )
    journal = Path(f"{output}.journal.jsonl")
    command = [*COMMAND, str(corpus), "-o", str(output), "--task", SINGLE]
    async with Emulator(timing=SLOW) as slow:
        process = await anyio.open_process(
            [*command, *connect(slow)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env=clean_env(),
        )
        async with process:
            with anyio.fail_after(15):
                # Another process writes the file: there is no event to wait on, so poll it.
                while not has_whole_line(journal):  # noqa: ASYNC110
                    await anyio.sleep(0.005)
            process.kill()
            with anyio.fail_after(10):
                assert await process.wait() == -signal.SIGKILL
    assert not output.exists()  # nothing at the output's path looks complete
    async with Emulator() as fast:
        done = await run_cli(corpus, "-o", output, "--task", SINGLE, "--resume", *connect(fast))
        assert done.returncode == 0, done.stderr
        assert 0 < fast.stats()["documents_received"] < len(texts)  # only what was missing
    with output.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["id"] for row in rows] == list(texts)  # exactly one row per input row
    assert [row["support"] for row in rows] == [_single(text)[0] for text in texts.values()]


@pytest.mark.parametrize(
    ("output", "options", "said"),
    [
        ("out.xlsx", (), b"no output format is written as .xlsx"),
        ("out.jsonl", ("--keep-columns", "channel"), b"only a .csv, .tsv or .parquet output"),
        ("out.csv", ("--keep-columns", "nope"), b"has no column 'nope'"),
    ],
)
async def test_an_output_the_command_cannot_write_is_refused_before_anything_is_sent(
    emulator: Emulator, tmp_path: Path, output: str, options: tuple[str, ...], said: bytes
) -> None:
    corpus = tmp_path / "tickets.csv"
    _write_csv(corpus)
    done = await run_cli(
        corpus, "-o", tmp_path / output, "--task", SINGLE, *TICKET_OPTIONS, *options,
        *connect(emulator),
    )  # fmt: skip
    assert done.returncode == 2
    assert said in done.stderr, done.stderr
    assert emulator.stats()["jobs_created"] == 0
    assert not (tmp_path / output).exists()


async def test_an_input_column_an_answer_would_overwrite_is_refused_before_the_run(
    emulator: Emulator, tmp_path: Path
) -> None:
    corpus = tmp_path / "tickets.csv"
    corpus.write_text("id,text,support\na,My invoice is wrong,Billing\n", encoding="utf-8")
    output = tmp_path / "out.csv"
    done = await run_cli(corpus, "-o", output, "--task", SINGLE, *connect(emulator))
    assert done.returncode == 2
    assert b"'support' would be overwritten by an answer column" in done.stderr
    assert emulator.stats()["jobs_created"] == 0
    kept = await run_cli(
        corpus, "-o", output, "--task", SINGLE, "--keep-columns", "text", *connect(emulator)
    )
    assert kept.returncode == 0, kept.stderr


async def test_a_run_refused_as_a_whole_leaves_nothing_behind(
    emulator: Emulator, tmp_path: Path
) -> None:
    # Error lines of bad records were written before the task was found not to exist: the
    # corrected run must not meet them as "an output that exists".
    for name in ("out.csv", "out.jsonl"):
        folder = tmp_path / name.replace(".", "_")
        folder.mkdir()
        corpus, output = folder / "tickets.csv", folder / name
        corpus.write_text("id,text\n1,My invoice\n1,again\n2,\n", encoding="utf-8")
        done = await run_cli(
            corpus, "-o", output, "--task", "single:support:nope", *connect(emulator)
        )
        assert done.returncode == 2
        assert b"cannot run" in done.stderr
        assert _names(folder) == ["tickets.csv"]
        again = await run_cli(corpus, "-o", output, "--task", SINGLE, *connect(emulator))
        assert again.returncode == 1, again.stderr  # (the repeat and the empty text)


INTERRUPT_THE_TABLE = """
import os, signal, sys
import asyncclassify._cli.run as command

def interrupted(*arguments, **options):
    os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C while the table is written
    return written(*arguments, **options)

written, command.write_table = command.write_table, interrupted
signal.signal(signal.SIGINT, signal.default_int_handler)
sys.exit(command.main(sys.argv[1:]))
"""


async def test_ctrl_c_while_the_table_is_written_leaves_no_table_and_says_so(
    emulator: Emulator, tmp_path: Path
) -> None:
    corpus, output = tmp_path / "tickets.csv", tmp_path / "labelled.csv"
    _write_csv(corpus)
    done = await run_cli(
        corpus, "-o", output, "--task", SINGLE, *TICKET_OPTIONS, *connect(emulator),
        command=[COMMAND[0], "-c", INTERRUPT_THE_TABLE],
    )  # fmt: skip
    assert done.returncode == 130, done.stderr
    assert b"no table was written; run again with --resume" in done.stderr
    assert not output.exists()
    assert [name for name in _names(tmp_path) if name.startswith(".")] == []
    resumed = await run_cli(
        corpus, "-o", output, "--task", SINGLE, *TICKET_OPTIONS, "--resume", *connect(emulator)
    )
    assert resumed.returncode == 1, resumed.stderr
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(output.stat().st_mode) == 0o666 & ~umask  # as any file it writes
