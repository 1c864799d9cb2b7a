"""Reading a corpus lazily, as users have it: JSONL, a JSON array, CSV or TSV, plain text
lines, or a folder of .txt files.

A record that cannot become a document (bad JSON, no id, bytes the encoding cannot decode)
becomes that record's error line, naming the file and the line; the others go on. Blank
lines and rows are skipped in every format. A folder's files keep their own newlines, so
entity offsets index the file.

A byte order mark says the encoding by itself (UTF-8, UTF-16 or UTF-32, as Notepad's
"Unicode" and PowerShell 5's `>` write them). Text in UTF-16 or UTF-32 is decoded before it
is split into lines: a newline there is not the byte 0x0a.
"""

from __future__ import annotations

import codecs
import io
import json
import math
from collections.abc import Container, Iterator
from pathlib import Path
from typing import IO, Any

import ijson
import ijson.backends.python as exact_json
import orjson

from . import parquet
from .compression import inner_name, open_input
from .csv_input import csv_document, csv_rows
from .encodings import encoding_of, escaped, not_in, peek, wide, wide_lines
from .sources import BINARY_SNIFF, BOM, Format, Malformed, Source, Warn


def detect_format(source: str) -> Format:
    """The format a path's name (or a .json file's first byte) suggests; stdin is JSONL."""
    if source == "-":
        return "jsonl"
    path = Path(source)
    if path.is_dir():
        return "folder"
    suffix = Path(inner_name(source)).suffix.lower()
    if suffix == ".parquet" or (suffix != ".json" and _head(path).startswith(parquet.MAGIC)):
        return "parquet"
    if suffix == ".json":
        return "json" if _first_byte(path) == b"[" else "jsonl"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    return "text"


def count_documents(source: Source) -> int | None:
    """How many records the source holds (for progress; None for stdin)."""
    if source.path == "-":
        return None
    if source.form == "folder":
        files = Path(source.path).rglob("*.txt")
        return sum(1 for path in files if str(path.resolve()) not in source.exclude)
    if source.form == "parquet":
        return parquet.row_count(source.path)
    if source.form in ("json", "csv"):  # records may span lines: parse them
        return sum(1 for _ in read_documents(source, lambda _id, _problem: None))
    with open_input(source.path) as handle:  # a record per non-blank line
        encoding = encoding_of(peek(handle), source.encoding)
        if wide(encoding):
            return sum(1 for line in wide_lines(handle, encoding) if line.strip())
        return sum(1 for line in handle if line.strip(b" \t\r\n" + BOM))


def read_documents(
    source: Source,
    on_malformed: Malformed,
    skip: Container[str] = (),
    warn: Warn | None = None,
) -> Iterator[dict[str, Any]]:
    """Documents as {"id", "text", "language"?}, one at a time, leaving out ids in `skip`."""
    if source.form == "folder":
        yield from _folder(source, on_malformed, skip, warn)
        return
    if source.form == "parquet":
        yield from _parquet(source, on_malformed, skip)
        return
    with open_input(source.path) as handle:
        if source.form == "jsonl":
            yield from _jsonl(handle, source, on_malformed, skip)
        elif source.form == "json":
            yield from _json_array(handle, source, on_malformed, skip)
        elif source.form == "csv":
            yield from _csv(handle, source, on_malformed, skip)
        else:
            yield from _text(handle, source, on_malformed, skip)


def malformed_id(line_number: int) -> str:
    """The id a malformed input line is reported under."""
    return f"line:{line_number}"


def json_document(
    record: object, columns: tuple[str, str, str | None], noun: str = "object"
) -> dict[str, Any]:
    """A JSON record as a document, or ValueError saying what is wrong with it."""
    id_field, text_field, language_field = columns
    if not isinstance(record, dict):
        raise ValueError("a record must be a JSON object")
    document_id = record.get(id_field)
    if isinstance(document_id, (int, float)) and not isinstance(document_id, bool):
        if not math.isfinite(document_id):
            raise ValueError(f"the {noun}'s {id_field!r} is not a finite number")
        document_id = str(document_id)  # (a number's digits, as a JSON parser gives them)
    if not isinstance(document_id, str) or not document_id:
        raise ValueError(f"the {noun} has no {id_field!r} string")
    text = record.get(text_field)
    if not isinstance(text, str):
        raise ValueError(f"the {noun} has no {text_field!r} string")
    document = {"id": document_id, "text": text}
    language = record.get(language_field or "language")
    if language:
        document["language"] = language
    return document


def _jsonl(
    handle: IO[bytes], source: Source, on_malformed: Malformed, skip: Container[str]
) -> Iterator[dict[str, Any]]:
    for number, line, problem in _lines(handle, source, keep_utf8_bytes=True):
        if line is not None and not line.strip():
            continue
        try:
            if line is None:
                raise ValueError(problem)
            document = json_document(_loads(line, source.columns[0]), source.columns)
        except ValueError as exc:
            key = malformed_id(number)
            if key not in skip:
                on_malformed(key, f"{source.name} line {number}: {exc}")
            continue
        if document["id"] not in skip:
            yield document


def _lines(
    handle: IO[bytes], source: Source, *, keep_utf8_bytes: bool = False
) -> Iterator[tuple[int, bytes | str | None, str | None]]:
    """Each line with its number, decoded (or, with `keep_utf8_bytes`, UTF-8 left as bytes for
    a parser that reads them), or None with the problem if it does not decode."""
    encoding = encoding_of(peek(handle), source.encoding)
    if wide(encoding):
        for number, line in enumerate(wide_lines(handle, encoding), start=1):
            yield (number, None, not_in(encoding)) if escaped(line) else (number, line, None)
        return
    as_bytes = keep_utf8_bytes and codecs.lookup(encoding).name == "utf-8"
    for number, raw in enumerate(handle, start=1):
        if number == 1 and raw.startswith(BOM):
            raw = raw[len(BOM) :]
        if as_bytes:
            yield number, raw, None
            continue
        try:
            yield number, raw.decode(encoding), None
        except UnicodeDecodeError as exc:
            yield number, None, _problem(exc)


def _loads(line: bytes | str, id_field: str) -> Any:
    """A JSON line, parsed; an id that orjson cannot hold exactly (an integer past 64 bits,
    read as a float) is kept as its digits."""
    record = orjson.loads(line)
    if isinstance(record, dict) and isinstance(record.get(id_field), float):
        record[id_field] = json.loads(line, parse_int=str, parse_float=str)[id_field]
    return record


def _json_array(
    handle: IO[bytes], source: Source, on_malformed: Malformed, skip: Container[str]
) -> Iterator[dict[str, Any]]:
    """The items of a top-level JSON array, streamed (the file is never held whole)."""
    items = ijson.items(_utf8(handle, source), "item", use_float=True)
    number = 0
    while True:
        try:
            record = next(items)
        except StopIteration:
            return
        except ijson.JSONError as exc:
            if "integer overflow" not in str(exc) or source.path == "-":
                raise ValueError(f"{source.name} is not a JSON array of documents: {exc}") from None
            # An integer past 64 bits, which the fast parser cannot hold: read the file again
            # with the exact one, from the item after the last one read.
            yield from _exact_json_array(source, number, on_malformed, skip)
            return
        number += 1
        yield from _item(record, number, source, on_malformed, skip)


def _exact_json_array(
    source: Source, done: int, on_malformed: Malformed, skip: Container[str]
) -> Iterator[dict[str, Any]]:
    """The items of a JSON array after the first `done`, by ijson's exact (slower) parser."""
    with open_input(source.path) as handle:
        items = exact_json.items(_utf8(handle, source), "item", use_float=True)
        try:
            for number, record in enumerate(items, start=1):
                if number > done:
                    yield from _item(record, number, source, on_malformed, skip)
        except ijson.JSONError as exc:
            raise ValueError(f"{source.name} is not a JSON array of documents: {exc}") from None


def _item(
    record: object, number: int, source: Source, on_malformed: Malformed, skip: Container[str]
) -> Iterator[dict[str, Any]]:
    try:
        document = json_document(record, source.columns)
    except ValueError as exc:
        key = f"item:{number}"
        if key not in skip:
            on_malformed(key, f"{source.name} item {number}: {exc}")
        return
    if document["id"] not in skip:
        yield document


def _utf8(handle: IO[bytes], source: Source) -> IO[bytes] | io.RawIOBase:
    """The stream as UTF-8, which the JSON parsers read (re-encoded from another encoding)."""
    encoding = encoding_of(peek(handle), source.encoding)
    return handle if codecs.lookup(encoding).name == "utf-8" else _Reencoded(handle, encoding)


class _Reencoded(io.RawIOBase):
    """A byte stream in another encoding, read as UTF-8."""

    def __init__(self, handle: IO[bytes], encoding: str) -> None:
        self._text = io.TextIOWrapper(handle, encoding=encoding)
        self._pending = b""

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        while not self._pending:
            chunk = self._text.read(65536)
            if not chunk:
                return 0
            self._pending = chunk.encode("utf-8")
        size = min(len(buffer), len(self._pending))
        buffer[:size] = self._pending[:size]
        self._pending = self._pending[size:]
        return size


def _parquet(
    source: Source, on_malformed: Malformed, skip: Container[str]
) -> Iterator[dict[str, Any]]:
    id_column, text_column, language_column = source.columns
    wanted = [id_column, text_column, *([language_column] if language_column else [])]
    for number, row in enumerate(parquet.rows(source.path, wanted), start=1):
        try:
            document = json_document(row, source.columns, "row")
        except ValueError as exc:
            key = f"row:{number}"
            if key not in skip:
                on_malformed(key, f"{source.name} row {number}: {exc}")
            continue
        if document["id"] not in skip:
            yield document


def _csv(
    handle: IO[bytes], source: Source, on_malformed: Malformed, skip: Container[str]
) -> Iterator[dict[str, Any]]:
    for start, row, problem in csv_rows(handle, source):
        document = None if row is None else csv_document(row, source)
        if document is None or isinstance(document, str):
            key = malformed_id(start)
            if key not in skip:
                on_malformed(key, f"{source.name} line {start}: {problem or document}")
        elif document["id"] not in skip:
            yield document


def _text(
    handle: IO[bytes], source: Source, on_malformed: Malformed, skip: Container[str]
) -> Iterator[dict[str, Any]]:
    for number, line, problem in _lines(handle, source):
        document_id = str(number)
        if document_id in skip:
            continue
        if line is None:
            on_malformed(document_id, f"{source.name} line {number}: {problem}")
        elif isinstance(line, str) and line.strip():
            yield {"id": document_id, "text": line.rstrip("\r\n")}


def _folder(
    source: Source, on_malformed: Malformed, skip: Container[str], warn: Warn | None
) -> Iterator[dict[str, Any]]:
    root = Path(source.path)
    for path in sorted(root.rglob("*.txt")):
        if str(path.resolve()) in source.exclude:
            continue
        document_id = path.relative_to(root).as_posix()
        if document_id in skip:
            continue
        data = path.read_bytes()
        encoding = encoding_of(data[:4], source.encoding)
        if not wide(encoding) and b"\0" in data[:BINARY_SNIFF]:
            if warn is not None:
                warn(f"skipping {path}: a binary file, not text")
            continue
        if data.startswith(BOM):
            data = data[len(BOM) :]
        try:
            text = data.decode(encoding)  # newlines as the file has them (a mark read by the codec)
        except UnicodeDecodeError as exc:
            on_malformed(document_id, f"{path}: {_problem(exc)}")
            continue
        if text.strip():
            yield {"id": document_id, "text": text}
        else:
            on_malformed(document_id, f"{path}: the file is empty")


def _problem(exc: Exception) -> str:
    if isinstance(exc, UnicodeDecodeError):
        return (
            f"byte 0x{exc.object[exc.start]:02x} at column {exc.start + 1} is not "
            f"{exc.encoding} (pass --encoding for another)"
        )
    return str(exc)


def _head(path: Path) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(len(parquet.MAGIC))
    except OSError:
        return b""


def _first_byte(path: Path) -> bytes:
    with open_input(str(path)) as handle:
        head = handle.read(1024)
    encoding = encoding_of(head, "utf-8")
    if wide(encoding):
        text = head.decode(encoding, errors="ignore")
        return text.lstrip()[:1].encode()
    return head.removeprefix(BOM).lstrip()[:1]
