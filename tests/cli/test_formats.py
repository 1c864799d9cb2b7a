"""Inputs as users have them: long CSV fields, other encodings, byte order marks, JSON arrays,
TSV, folders with binary or CRLF files; a bad record is its own error line, naming the file
and the line, and nothing else is lost."""

from __future__ import annotations

import bz2
import codecs
import gzip
import json
import lzma
from collections.abc import Callable
from pathlib import Path

import orjson
import pytest
import zstandard

from asyncclassify.emulator import Emulator

from .helpers import (
    ENTITIES,
    SINGLE,
    by_id,
    connect,
    entities_answer,
    output_lines,
    run_cli,
    single_answer,
)

pytestmark = [pytest.mark.anyio, pytest.mark.slow]


async def _classify(emulator: Emulator, corpus: Path, *options: str) -> tuple[int, bytes, dict]:
    output = corpus.parent / "out.jsonl"
    done = await run_cli(corpus, "-o", output, "--task", SINGLE, *options, *connect(emulator))
    assert b"Traceback" not in done.stderr
    return done.returncode, done.stderr, by_id(output_lines(output))


async def test_a_csv_field_longer_than_the_csv_modules_limit(
    emulator: Emulator, tmp_path: Path
) -> None:
    corpus = tmp_path / "tickets.csv"
    long_text = "refund " * 20_000  # 140,000 characters
    corpus.write_text(f"id,text\na,My invoice is wrong\nlong,{long_text}\nb,App crashes\n")
    status, _, lines = await _classify(emulator, corpus)
    assert status == 1
    assert lines["a"] == {"id": "a", **single_answer("My invoice is wrong")}
    assert lines["b"] == {"id": "b", **single_answer("App crashes")}
    assert lines["long"]["error"]["code"] == "InvalidInput"  # over the service's limit


async def test_an_undecodable_csv_row_is_its_own_error(emulator: Emulator, tmp_path: Path) -> None:
    corpus = tmp_path / "tickets.csv"
    corpus.write_bytes(b"id,text\na,My invoice is wrong\nb,caf\xe9 order\nc,App crashes\n")
    status, _, lines = await _classify(emulator, corpus)
    assert status == 1
    assert set(lines) == {"a", "line:3", "c"}
    message = lines["line:3"]["error"]["message"]
    assert f"{corpus} line 3" in message
    assert "utf-8" in message


async def test_another_encoding_is_read_with_encoding(emulator: Emulator, tmp_path: Path) -> None:
    corpus = tmp_path / "tickets.csv"
    corpus.write_bytes("id,text\na,Mon café est froid\n".encode("latin-1"))
    status, _, lines = await _classify(emulator, corpus, "--encoding", "latin-1")
    assert status == 0
    assert lines == {"a": {"id": "a", **single_answer("Mon café est froid")}}


async def test_tsv_and_a_delimiter(emulator: Emulator, tmp_path: Path) -> None:
    tsv = tmp_path / "tickets.tsv"
    tsv.write_text("id\ttext\na\tMy invoice, again, is wrong\n", encoding="utf-8")
    status, _, lines = await _classify(emulator, tsv)
    assert status == 0
    assert lines == {"a": {"id": "a", **single_answer("My invoice, again, is wrong")}}
    semicolons = tmp_path / "tickets.csv"
    semicolons.write_text("id;text\nb;App crashes\n", encoding="utf-8")
    status, _, lines = await _classify(emulator, semicolons, "--overwrite", "--delimiter", ";")
    assert status == 0
    assert lines == {"b": {"id": "b", **single_answer("App crashes")}}
    tabs = tmp_path / "tickets.txt"  # a tab-separated file by another name
    tabs.write_text("id\ttext\nc\tParcel lost\n", encoding="utf-8")
    status, _, lines = await _classify(
        emulator, tabs, "--overwrite", "--format", "csv", "--delimiter", "\\t"
    )
    assert status == 0
    assert lines == {"c": {"id": "c", **single_answer("Parcel lost")}}


async def test_jsonl_with_a_byte_order_mark(emulator: Emulator, tmp_path: Path) -> None:
    corpus = tmp_path / "tickets.jsonl"
    corpus.write_bytes(b'\xef\xbb\xbf{"id": "a", "text": "My invoice is wrong"}\n')
    status, _, lines = await _classify(emulator, corpus)
    assert status == 0
    assert lines == {"a": {"id": "a", **single_answer("My invoice is wrong")}}


async def test_a_json_array_is_streamed(emulator: Emulator, tmp_path: Path) -> None:
    corpus = tmp_path / "tickets.json"
    records = [{"id": f"r{n}", "text": f"Ticket {n}: app crashes"} for n in range(40)]
    corpus.write_bytes(orjson.dumps([*records[:20], {"text": "no id"}, *records[20:]]))
    status, _, lines = await _classify(emulator, corpus)
    assert status == 1
    assert {key: lines[key] for key in lines if key.startswith("r")} == {
        r["id"]: {"id": r["id"], **single_answer(r["text"])} for r in records
    }
    assert "item 21" in lines["item:21"]["error"]["message"]


async def test_blank_lines_are_skipped_in_every_format(emulator: Emulator, tmp_path: Path) -> None:
    for name, data in {
        "a.jsonl": b'{"id": "1", "text": "App crashes"}\n\n  \n',
        "a.csv": b"id,text\n1,App crashes\n\n",
        "a.txt": b"App crashes\n\n  \n",
    }.items():
        corpus = tmp_path / name
        corpus.write_bytes(data)
        status, _, lines = await _classify(emulator, corpus, "--overwrite")
        assert status == 0, name
        assert lines == {"1": {"id": "1", **single_answer("App crashes")}}, name


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32", "utf-16-le"])
async def test_utf16_and_utf32_are_decoded_before_they_are_split_into_lines(
    emulator: Emulator, tmp_path: Path, encoding: str
) -> None:
    # As Notepad's "Unicode" and PowerShell 5's `>` write them: a byte order mark says the
    # encoding by itself; without one (utf-16-le), --encoding says it. Each line one record,
    # not its 0x0a bytes.
    options = () if encoding in ("utf-16", "utf-32") else ("--encoding", encoding)
    texts = ["Mon café est froid", "App crashes ✓"]
    for name, content in {
        "a.jsonl": "".join(
            orjson.dumps({"id": str(n), "text": t}).decode() + "\r\n" for n, t in enumerate(texts)
        ),
        "a.txt": "".join(f"{text}\r\n" for text in texts) + "\r\n",
        "a.csv": "id,text\r\n" + "".join(f"{n},{t}\r\n" for n, t in enumerate(texts)),
        "a.json": orjson.dumps([{"id": str(n), "text": t} for n, t in enumerate(texts)]).decode(),
    }.items():
        corpus = tmp_path / name
        corpus.write_bytes(content.encode(encoding))
        status, _, lines = await _classify(emulator, corpus, "--overwrite", *options)
        assert status == 0, name
        first = 1 if name == "a.txt" else 0  # (a text file's lines are numbered from 1)
        assert lines == {
            str(n + first): {"id": str(n + first), **single_answer(text)}
            for n, text in enumerate(texts)
        }, name
    root = tmp_path / "letters"  # a folder's file: not taken for a binary file by its NULs
    root.mkdir()
    (root / "letter.txt").write_bytes("Dear bank,\r\nMon café\r\n".encode(encoding))
    output = tmp_path / "letters.jsonl"
    done = await run_cli(root, "-o", output, "--task", SINGLE, *options, *connect(emulator))
    assert done.returncode == 0, done.stderr
    assert by_id(output_lines(output)) == {
        "letter.txt": {"id": "letter.txt", **single_answer("Dear bank,\r\nMon café\r\n")}
    }


async def test_a_utf16_line_that_does_not_decode_is_its_own_error(
    emulator: Emulator, tmp_path: Path
) -> None:
    corpus = tmp_path / "tickets.jsonl"
    good = '{"id": "a", "text": "My invoice is wrong"}\n'.encode("utf-16-le")
    lone = b"\x00\xd8" + "\n".encode("utf-16-le")  # half a surrogate pair
    corpus.write_bytes(
        codecs.BOM_UTF16_LE + good + lone + '{"id": "c", "text": "ok"}\n'.encode("utf-16-le")
    )
    status, _, lines = await _classify(emulator, corpus)
    assert status == 1
    assert set(lines) == {"a", "line:2", "c"}
    assert f"{corpus} line 2: bytes that are not utf-16" in lines["line:2"]["error"]["message"]


async def test_a_folder_skips_binary_files_and_keeps_each_files_newlines(
    emulator: Emulator, tmp_path: Path
) -> None:
    root = tmp_path / "letters"
    root.mkdir()
    crlf = "Dear bank,\r\nAnna Smith paid 120 dollars to Li Wei.\r\n"
    (root / "letter.txt").write_bytes(crlf.encode())
    (root / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\0\0\0")
    (root / "latin.txt").write_bytes(b"caf\xe9")
    output = tmp_path / "out.jsonl"
    done = await run_cli(root, "-o", output, "--task", ENTITIES, *connect(emulator))
    assert done.returncode == 1
    assert b"image.txt" in done.stderr  # the warning
    lines = by_id(output_lines(output))
    assert set(lines) == {"letter.txt", "latin.txt"}
    assert lines["letter.txt"] == {"id": "letter.txt", **entities_answer(crlf)}
    assert lines["letter.txt"]["entities"]  # offsets index the file, \r\n included
    assert "latin.txt" in lines["latin.txt"]["error"]["message"]


async def test_numbers_as_ids_keep_their_digits(emulator: Emulator, tmp_path: Path) -> None:
    # An integer past 64 bits is exact (the fast JSON parsers cannot hold it: a JSON array
    # is read again by the exact parser from where it stopped); a float id is its digits.
    big = 123456789012345678901234567890
    records: list[dict[str, object]] = [{"id": n, "text": f"Ticket {n}"} for n in range(30)]
    records += [{"id": big, "text": "My invoice is wrong"}, {"id": 1.5, "text": "Parcel lost"}]
    records += [{"id": "last", "text": "Close my account"}]
    expected = {
        str(r["id"]): {"id": str(r["id"]), **single_answer(str(r["text"]))} for r in records
    }
    as_jsonl = "".join(json.dumps(record) + "\n" for record in records)
    for name, data in {"a.jsonl": as_jsonl, "a.json": json.dumps(records)}.items():
        corpus = tmp_path / name
        corpus.write_text(data, encoding="utf-8")
        status, _, lines = await _classify(emulator, corpus, "--overwrite")
        assert status == 0, name
        assert lines == expected, name


@pytest.mark.parametrize("content", [b"", b"id,text\r\n", None])
async def test_an_input_without_documents_says_so(
    emulator: Emulator, tmp_path: Path, content: bytes | None
) -> None:
    if content is None:
        corpus = tmp_path / "empty"
        corpus.mkdir()
    else:
        corpus = tmp_path / "tickets.csv"
        corpus.write_bytes(content)
    status, said, lines = await _classify(emulator, corpus)
    assert status == 0
    assert lines == {}
    assert b"holds no documents" in said


@pytest.mark.parametrize(
    ("name", "compress"),
    [
        ("a.jsonl.gz", gzip.compress),
        ("a.jsonl.bz2", bz2.compress),
        ("a.jsonl.xz", lzma.compress),
        ("a.jsonl.zst", lambda data: zstandard.ZstdCompressor().compress(data)),
        ("a.csv.gz", gzip.compress),
        ("a.json.gz", gzip.compress),
        ("a.jsonl", gzip.compress),  # compressed, by another name: told by its first bytes
    ],
)
async def test_compressed_inputs_are_read_as_a_stream(
    emulator: Emulator, tmp_path: Path, name: str, compress: Callable[[bytes], bytes]
) -> None:
    texts = {f"t{n}": f"Ticket {n}: my parcel is lost" for n in range(60)}
    if ".csv" in name:
        data = ("id,text\n" + "".join(f"{k},{t}\n" for k, t in texts.items())).encode()
    elif ".json." in name:
        data = orjson.dumps([{"id": k, "text": t} for k, t in texts.items()])
    else:
        data = b"".join(orjson.dumps({"id": k, "text": t}) + b"\n" for k, t in texts.items())
    corpus = tmp_path / name
    corpus.write_bytes(compress(data))
    status, said, lines = await _classify(emulator, corpus)
    assert status == 0, said
    assert lines == {k: {"id": k, **single_answer(t)} for k, t in texts.items()}


async def test_a_damaged_compressed_input_is_named(emulator: Emulator, tmp_path: Path) -> None:
    corpus = tmp_path / "a.jsonl.gz"
    corpus.write_bytes(b"not gzip at all\n")
    output = tmp_path / "out.jsonl"
    done = await run_cli(corpus, "-o", output, "--task", SINGLE, *connect(emulator))
    assert done.returncode == 2
    assert f"{corpus} is not readable gzip".encode() in done.stderr
    assert b"Traceback" not in done.stderr
    assert emulator.stats()["jobs_created"] == 0


async def test_a_csv_row_with_more_fields_than_its_header_is_its_own_error(
    emulator: Emulator, tmp_path: Path
) -> None:
    # An unquoted comma in a text: sent as it was read, the text would be cut short.
    corpus = tmp_path / "tickets.csv"
    corpus.write_text("id,text\na,My invoice\nb,app crash, and more\nc,Parcel lost\n")
    status, _, lines = await _classify(emulator, corpus)
    assert status == 1
    assert set(lines) == {"a", "line:3", "c"}
    message = lines["line:3"]["error"]["message"]
    assert f"{corpus} line 3: 3 fields where the header has 2" in message
    assert "not quoted" in message
