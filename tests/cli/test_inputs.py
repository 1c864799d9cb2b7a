"""Each input format of `asyncclassify run`, through the real command against the emulator."""

from __future__ import annotations

from pathlib import Path

import pytest

from asyncclassify import RunStats
from asyncclassify._cli.progress import Progress
from asyncclassify._cli.run import _count
from asyncclassify._cli.sources import Source
from asyncclassify.emulator import Emulator

from .helpers import SINGLE, by_id, connect, jsonl, output_lines, run_cli, single_answer

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def test_jsonl_with_languages(emulator: Emulator, tmp_path: Path) -> None:
    corpus = tmp_path / "tickets.jsonl"
    corpus.write_bytes(
        jsonl(
            [
                {"id": "en-1", "text": "I was charged twice on my invoice", "language": "en"},
                {"id": "es-1", "text": "El paquete no llegó a tiempo", "language": "es"},
                {"id": "zz-1", "text": "Please reset my password", "language": "zz"},
                {"id": 42, "text": "The app crashes on start"},
            ]
        )
    )
    output = tmp_path / "out.jsonl"
    # Documents naming no language get --language; an unsupported one fails only itself.
    done = await run_cli(
        corpus, "-o", output, "--task", SINGLE, "--language", "en", *connect(emulator)
    )
    assert done.returncode == 1, done.stderr
    lines = by_id(output_lines(output))
    assert set(lines) == {"en-1", "es-1", "zz-1", "42"}
    assert lines["en-1"] == {"id": "en-1", **single_answer("I was charged twice on my invoice")}
    assert lines["es-1"] == {"id": "es-1", **single_answer("El paquete no llegó a tiempo")}
    assert lines["42"] == {"id": "42", **single_answer("The app crashes on start")}
    error = lines["zz-1"]["error"]
    assert error["code"] == "InvalidArgument"
    assert "zz" in error["message"]
    assert emulator.stats()["documents_received"] == 4


async def test_a_default_language_the_service_refuses_stops_the_run(
    emulator: Emulator, tmp_path: Path
) -> None:
    corpus = tmp_path / "tickets.jsonl"
    corpus.write_bytes(
        jsonl(
            [
                {"id": "en-1", "text": "I was charged twice on my invoice", "language": "en"},
                {"id": "default", "text": "Please reset my password"},
            ]
        )
    )
    output = tmp_path / "out.jsonl"
    done = await run_cli(
        corpus, "-o", output, "--task", SINGLE, "--language", "zz", *connect(emulator)
    )
    assert done.returncode == 2, done.stderr
    assert b"'zz'" in done.stderr
    assert b"Traceback" not in done.stderr
    # What the job answered is kept, the refusal too; no other job is sent.
    lines = by_id(output_lines(output))
    assert lines["en-1"] == {"id": "en-1", **single_answer("I was charged twice on my invoice")}
    assert lines["default"]["error"]["code"] == "InvalidArgument"
    assert emulator.stats()["jobs_created"] == 1


async def test_csv_with_named_columns(emulator: Emulator, tmp_path: Path) -> None:
    corpus = tmp_path / "tickets.csv"
    corpus.write_text(
        "ticket,channel,body,lang\n"
        "T-1,mail,My invoice shows a wrong price,en\n"
        'T-2,chat,"Shipping is late, and the ""tracking"" link\nis broken",en\n'
        "T-3,phone,Mi cuenta está bloqueada,es\n",
        encoding="utf-8",
    )
    output = tmp_path / "out.jsonl"
    done = await run_cli(
        corpus,
        "-o",
        output,
        "--task",
        SINGLE,
        "--id-column",
        "ticket",
        "--text-column",
        "body",
        "--language-column",
        "lang",
        *connect(emulator),
    )
    assert done.returncode == 0, done.stderr
    lines = by_id(output_lines(output))
    texts = {
        "T-1": "My invoice shows a wrong price",
        "T-2": 'Shipping is late, and the "tracking" link\nis broken',
        "T-3": "Mi cuenta está bloqueada",
    }
    assert lines == {key: {"id": key, **single_answer(text)} for key, text in texts.items()}


async def test_csv_without_the_named_column_is_a_usage_error(
    emulator: Emulator, tmp_path: Path
) -> None:
    corpus = tmp_path / "tickets.csv"
    corpus.write_text("id,text\n1,hello\n", encoding="utf-8")
    done = await run_cli(
        corpus, "-o", tmp_path / "out.jsonl", "--task", SINGLE, "--text-column", "body",
        *connect(emulator),
    )  # fmt: skip
    assert done.returncode == 2
    assert b"body" in done.stderr
    assert b"Traceback" not in done.stderr
    assert emulator.stats()["jobs_created"] == 0
    assert not (tmp_path / "out.jsonl").exists()  # refused before the run began


async def test_json_fields_are_named_as_csv_columns_are(emulator: Emulator, tmp_path: Path) -> None:
    corpus = tmp_path / "tickets.jsonl"
    corpus.write_bytes(
        b'{"ticket": "T-1", "body": "My invoice shows a wrong price", "lang": "en"}\n'
        b'{"ticket": 2, "body": "Mi cuenta est\xc3\xa1 bloqueada", "lang": "es"}\n'
        b'{"ticket": "T-3", "text": "no body"}\n'
    )
    output = tmp_path / "out.jsonl"
    done = await run_cli(
        corpus, "-o", output, "--task", SINGLE, "--id-column", "ticket", "--text-column", "body",
        "--language-column", "lang", *connect(emulator),
    )  # fmt: skip
    assert done.returncode == 1, done.stderr
    lines = by_id(output_lines(output))
    assert lines["T-1"] == {"id": "T-1", **single_answer("My invoice shows a wrong price")}
    assert lines["2"] == {"id": "2", **single_answer("Mi cuenta está bloqueada")}
    assert "line 3: the object has no 'body' string" in lines["line:3"]["error"]["message"]


@pytest.mark.parametrize(
    ("name", "content", "options", "said"),
    [
        # Every record would fail: the fields are named otherwise.
        ("a.jsonl", b'{"ticket": "1", "body": "x"}\n', (), b"no field 'id' (its fields: 'ticket'"),
        ("a.jsonl", b'\n{"id": "1", "body": "x"}\n', (), b"line 2 has no field 'text'"),
        ("a.csv", b"id,text\n1,x\n", ("--language-column", "lang"), b"no column 'lang'"),
        ("a.txt", b"x\n", ("--text-column", "body"), b"--text-column: the input"),
        ("a.txt", b"x\n", ("--delimiter", ";"), b"has no columns"),
    ],
)
async def test_fields_or_columns_the_input_does_not_have_refuse_the_run(
    emulator: Emulator,
    tmp_path: Path,
    name: str,
    content: bytes,
    options: tuple[str, ...],
    said: bytes,
) -> None:
    corpus = tmp_path / name
    corpus.write_bytes(content)
    output = tmp_path / "out.jsonl"
    done = await run_cli(corpus, "-o", output, "--task", SINGLE, *options, *connect(emulator))
    assert done.returncode == 2
    assert said in done.stderr, done.stderr
    assert b"Traceback" not in done.stderr
    assert emulator.stats()["jobs_created"] == 0
    assert not output.exists()


async def test_counting_an_unreadable_input_leaves_the_report_to_the_run(tmp_path: Path) -> None:
    # The count runs beside the run; were it to raise first, the user would get a
    # traceback instead of the reader's message (a CI failure, once in a few runs).
    corpus = tmp_path / "tickets.csv"
    corpus.write_text("id,text\n1,hello\n", encoding="utf-8")
    source = Source(str(corpus), "csv", columns=("id", "body", None))
    await _count(Progress(RunStats(), None, "off"), source)


async def test_plain_text_ids_are_line_numbers(emulator: Emulator, tmp_path: Path) -> None:
    corpus = tmp_path / "tickets.txt"
    corpus.write_bytes(
        b"Refund my last payment please\r\nThe login page is down\nWhere is my parcel?\n"
    )
    output = tmp_path / "out.jsonl"
    done = await run_cli(corpus, "-o", output, "--task", SINGLE, *connect(emulator))
    assert done.returncode == 0, done.stderr
    lines = by_id(output_lines(output))
    texts = ["Refund my last payment please", "The login page is down", "Where is my parcel?"]
    assert lines == {
        str(number): {"id": str(number), **single_answer(text)}
        for number, text in enumerate(texts, start=1)
    }


async def test_folder_ids_are_relative_paths(emulator: Emulator, tmp_path: Path) -> None:
    root = tmp_path / "corpus"
    files = {
        "top.txt": "I cannot log in to my account",
        "mail/late.txt": "My order has not shipped yet",
        "mail/2024/march/bill.txt": "Why was I billed twice?",
    }
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    (root / "mail" / "README.md").write_text("not a document", encoding="utf-8")
    output = tmp_path / "out.jsonl"
    done = await run_cli(root, "-o", output, "--task", SINGLE, *connect(emulator))
    assert done.returncode == 0, done.stderr
    lines = by_id(output_lines(output))
    assert lines == {name: {"id": name, **single_answer(text)} for name, text in files.items()}


async def test_stdin_is_read_as_jsonl(emulator: Emulator, tmp_path: Path) -> None:
    records = [
        {"id": f"s{n}", "text": f"Ticket {n}: the parcel arrived damaged"} for n in range(30)
    ]
    output = tmp_path / "out.jsonl"
    done = await run_cli(
        "-", "-o", output, "--task", SINGLE, *connect(emulator), stdin=jsonl(records)
    )
    assert done.returncode == 0, done.stderr
    lines = by_id(output_lines(output))
    assert lines == {r["id"]: {"id": r["id"], **single_answer(r["text"])} for r in records}
