"""Reading a corpus lazily: JSONL, CSV, plain text lines, or a folder of .txt files."""

from __future__ import annotations

import csv
import io
import sys
from collections.abc import Callable, Container, Iterator
from pathlib import Path
from typing import Any, Literal

import orjson

Format = Literal["jsonl", "csv", "text", "folder"]
FORMATS: tuple[Format, ...] = ("jsonl", "csv", "text", "folder")
Malformed = Callable[[str, str], None]
"""Called with (id, problem) for an input record that cannot become a document."""


def detect_format(source: str) -> Format:
    """The format a path's name suggests (stdin is read as JSONL)."""
    if source == "-":
        return "jsonl"
    path = Path(source)
    if path.is_dir():
        return "folder"
    suffix = path.suffix.lower()
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    if suffix in (".csv", ".tsv"):
        return "csv"
    return "text"


def count_documents(source: str, form: Format) -> int | None:
    """How many documents the source holds, when that is cheap to know (not stdin)."""
    if source == "-":
        return None
    if form == "folder":
        return sum(1 for _ in Path(source).rglob("*.txt"))
    with open(source, "rb") as handle:
        lines = sum(1 for line in handle if line.strip() or form == "text")
    return lines - 1 if form == "csv" and lines else lines


def read_documents(
    source: str,
    form: Format,
    on_malformed: Malformed,
    skip: Container[str] = (),
    csv_columns: tuple[str, str, str | None] = ("id", "text", None),
) -> Iterator[dict[str, Any]]:
    """Documents as {"id", "text", "language"?}, one at a time, leaving out ids in `skip`."""
    if form == "folder":
        yield from _folder(Path(source), skip)
        return
    handle = sys.stdin.buffer if source == "-" else open(source, "rb")  # noqa: SIM115
    try:
        if form == "jsonl":
            yield from _jsonl(handle, on_malformed, skip)
        elif form == "csv":
            yield from _csv(handle, on_malformed, skip, csv_columns)
        else:
            yield from _text(handle, skip)
    finally:
        if handle is not sys.stdin.buffer:
            handle.close()


def malformed_id(line_number: int) -> str:
    """The id a malformed input line is reported under."""
    return f"line:{line_number}"


def _jsonl(
    handle: io.BufferedIOBase | Any, on_malformed: Malformed, skip: Container[str]
) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(handle, start=1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
            if not isinstance(record, dict):
                raise ValueError("a line must hold a JSON object")
            document_id = record.get("id")
            if isinstance(document_id, int) and not isinstance(document_id, bool):
                document_id = str(document_id)
            if not isinstance(document_id, str) or not document_id:
                raise ValueError('the object has no "id" string')
            if not isinstance(record.get("text"), str):
                raise ValueError('the object has no "text" string')
        except ValueError as exc:
            key = malformed_id(number)
            if key not in skip:
                on_malformed(key, f"line {number}: {exc}")
            continue
        if document_id in skip:
            continue
        document = {"id": document_id, "text": record["text"]}
        if record.get("language"):
            document["language"] = record["language"]
        yield document


def _csv(
    handle: Any,
    on_malformed: Malformed,
    skip: Container[str],
    columns: tuple[str, str, str | None],
) -> Iterator[dict[str, Any]]:
    id_column, text_column, language_column = columns
    text_handle = io.TextIOWrapper(handle, encoding="utf-8-sig", newline="")
    reader = csv.DictReader(text_handle)
    missing = [c for c in (id_column, text_column) if c not in (reader.fieldnames or ())]
    if missing:
        raise ValueError(
            f"the CSV has no column {missing[0]!r} (columns: {', '.join(reader.fieldnames or ())})"
        )
    for row in reader:
        document_id, text = row.get(id_column), row.get(text_column)
        if not document_id or text is None:
            key = malformed_id(reader.line_num)
            if key not in skip:
                on_malformed(key, f"line {reader.line_num}: missing {id_column} or {text_column}")
            continue
        if document_id in skip:
            continue
        document: dict[str, Any] = {"id": document_id, "text": text}
        if language_column and row.get(language_column):
            document["language"] = row[language_column]
        yield document


def _text(handle: Any, skip: Container[str]) -> Iterator[dict[str, Any]]:
    for number, line in enumerate(handle, start=1):
        document_id = str(number)
        if document_id in skip:
            continue
        yield {"id": document_id, "text": line.decode("utf-8", "replace").rstrip("\r\n")}


def _folder(root: Path, skip: Container[str]) -> Iterator[dict[str, Any]]:
    for path in sorted(root.rglob("*.txt")):
        document_id = path.relative_to(root).as_posix()
        if document_id in skip:
            continue
        yield {"id": document_id, "text": path.read_text(encoding="utf-8", errors="replace")}
