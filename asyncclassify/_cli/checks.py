"""A corpus checked before the run: a file that is no text, a CSV or Parquet without the
named columns, a JSONL file whose first object lacks the named fields. Each is refused before
anything is sent (every record would fail, each billed)."""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Generator, Iterator
from typing import Any

import orjson

from . import parquet
from .compression import open_input
from .csv_input import csv_reader, refuse_missing_columns
from .encodings import encoding_of, peek, wide, wide_lines
from .sources import BINARY, BINARY_SNIFF, BOM, Source

FIRST_RECORD_LINES = 100
"""Lines looked at for a JSONL file's first object, to check its fields before the run."""


def check_source(source: Source) -> None:
    """Raise ValueError if the source cannot be read at all (a CSV without the named
    columns), so that the run is refused before anything is sent."""
    if source.path == "-":
        return
    if source.form == "parquet":
        refuse_missing_columns(source, parquet.columns_of(source.path), "column")
        return
    if source.form != "folder":
        _check_text(source)
    if source.form == "jsonl":
        _check_first_record(source)
    if source.form != "csv":
        return
    with open_input(source.path) as handle:
        csv_reader(handle, source)


def _check_text(source: Source) -> None:
    """A file that is no text (Parquet, a spreadsheet, a PDF) is refused, not sent line by
    line as documents (each billed)."""
    with open_input(source.path) as handle:
        head = handle.read(BINARY_SNIFF)
    kind = next((kind for magic, kind in BINARY if head.startswith(magic)), None)
    if head.startswith(parquet.MAGIC):
        kind = "Parquet (name it .parquet, or pass --format parquet)"
    if kind is None and not wide(encoding_of(head, source.encoding)) and b"\0" in head:
        kind = "binary (it holds NUL bytes)"
    if kind is not None:
        raise ValueError(
            f"{source.name} is {kind}, not {source.form} text: the command reads JSONL, JSON, "
            "CSV or TSV, plain text, Parquet, or a folder of .txt files"
        )


def _check_first_record(source: Source) -> None:
    """A JSONL file whose first object lacks the id or text field: the fields are named
    otherwise (every record would fail), so the run is refused, naming them."""
    found = _first_object(source)
    if found is None:
        return
    number, record = found
    for flag, name in (("--id-column", source.columns[0]), ("--text-column", source.columns[1])):
        if name not in record:
            shown = ", ".join(repr(key) for key in list(record)[:10])
            raise ValueError(
                f"{source.name} line {number} has no field {name!r} (its fields: {shown}); "
                f"name the field with {flag}"
            )


def _first_object(source: Source) -> tuple[int, dict[str, Any]] | None:
    """A JSONL file's first object, with its line number (None if its first lines hold none)."""
    with open_input(source.path) as handle:
        encoding = encoding_of(peek(handle), source.encoding)
        lines: Iterator[Any] = wide_lines(handle, encoding) if wide(encoding) else iter(handle)
        with (
            contextlib.closing(lines) if isinstance(lines, Generator) else contextlib.nullcontext()
        ):
            for number, line in enumerate(itertools.islice(lines, FIRST_RECORD_LINES), start=1):
                try:
                    record = orjson.loads(line if isinstance(line, str) else line.removeprefix(BOM))
                except (ValueError, UnicodeDecodeError):
                    continue
                if isinstance(record, dict):
                    return number, record
    return None
