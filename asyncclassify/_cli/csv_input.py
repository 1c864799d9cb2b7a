"""CSV and TSV records as documents: the header checked for the columns the options name,
each record with its first line, fields past the header's refused."""

from __future__ import annotations

import codecs
import csv
import io
import sys
from collections.abc import Iterator, Sequence
from typing import IO, Any

from .compression import inner_name
from .encodings import encoding_of, escaped, peek
from .sources import Source

csv.field_size_limit(sys.maxsize)  # a long document is a document, not a CSV error


def refuse_missing_columns(source: Source, found: Sequence[str], what: str, hint: str = "") -> None:
    """Refuse a source without the columns the options name."""
    missing = [c for c in source.columns if c is not None and c not in found]
    if missing:
        shown = ", ".join(repr(name) for name in list(found)[:20])
        raise ValueError(f"{source.name} has no {what} {missing[0]!r} (its {what}s: {shown}){hint}")


def csv_reader(handle: IO[bytes], source: Source) -> csv.DictReader[str]:
    """A reader past the header, which must name the id and text columns."""
    encoding = encoding_of(peek(handle), source.encoding)
    if codecs.lookup(encoding).name == "utf-8":
        encoding = "utf-8-sig"
    # Undecodable bytes become lone surrogates, so that only their row fails.
    text_handle = io.TextIOWrapper(handle, encoding=encoding, errors="surrogateescape", newline="")
    tsv = inner_name(source.path).lower().endswith(".tsv")
    reader = csv.DictReader(text_handle, delimiter=source.delimiter or ("\t" if tsv else ","))
    fields = reader.fieldnames
    if fields is not None:  # (an empty file has no header, and no rows)
        try:
            hint = "; is --delimiter right?" if len(fields) == 1 else ""
            refuse_missing_columns(source, fields, "column", hint)
        except ValueError:
            text_handle.detach()  # the caller closes the file
            raise
    return reader


def csv_rows(
    handle: IO[bytes], source: Source
) -> Iterator[tuple[int, dict[str, str] | None, str | None]]:
    """Each CSV record: its first line, and its fields by column (None, with the problem,
    for a record the CSV module cannot parse)."""
    reader = csv_reader(handle, source)
    while True:
        start = reader.line_num + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield start, None, str(exc)
            continue
        yield start, row, None


def csv_document(row: dict[str, str], source: Source) -> dict[str, Any] | str:
    """A CSV record as a document, or what is wrong with it."""
    id_column, text_column, language_column = source.columns
    document_id, text = row.get(id_column), row.get(text_column)
    extra = row.get(None)  # type: ignore[call-overload]  # (fields past the header's)
    if extra:
        return (
            f"{len(row) - 1 + len(extra)} fields where the header has {len(row) - 1}: a "
            "delimiter in a text that is not quoted? (the text would be cut short)"
        )
    if any(isinstance(value, str) and escaped(value) for value in row.values()):
        return f"bytes that are not {source.encoding} (pass --encoding for another)"
    if not document_id or text is None:
        return f"no {id_column} or no {text_column}"
    document: dict[str, Any] = {"id": document_id, "text": text}
    if language_column and row.get(language_column):
        document["language"] = row[language_column]
    return document
