"""Outputs in the input's shape: CSV, TSV or Parquet, one row per input record, in the
input's order, with the input's columns carried through and the answer columns added (the
same names and types as `asyncclassify.ray`'s).

A table cannot be appended to safely after a crash, so the run writes its answers to a
journal beside the output (`OUT.journal.jsonl`, today's JSON lines, what `--resume` reads),
and the table is written from the journal once the run has finished: the input is read
again in its order, each record meets its line through an index of the journal kept on disk
(sqlite, so memory stays flat however large the corpus), and the rows go to a temporary
file that is renamed to the output only when it is whole. An interrupted run leaves no file
at the output's path that looks complete.
"""

from __future__ import annotations

import contextlib
import csv
import os
import sqlite3
import tempfile
from collections import deque
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, Literal

import orjson

from .._answers import Answer, answer_cells, answer_columns, answer_fields
from .._errors import ConfigurationError
from .._models import Task
from . import parquet
from .compression import open_input
from .csv_input import csv_document, csv_rows
from .readers import json_document, malformed_id, read_documents
from .resuming import DUPLICATE_ID
from .sources import TABULAR, Source

OutputKind = Literal["jsonl", "csv", "tsv", "parquet"]
OUTPUT_SUFFIXES: dict[str, OutputKind] = {".csv": "csv", ".tsv": "tsv", ".parquet": "parquet"}
"""Tables; any other name gets JSON lines, unless it names a format the command cannot write:"""
UNWRITABLE = [
    ".xlsx",
    ".xls",
    ".ods",
    ".feather",
    ".arrow",
    ".orc",
    ".avro",
    ".gz",
    ".gzip",
    ".bz2",
    ".xz",
    ".zst",
    ".zip",
    ".pdf",
    ".docx",
]
JOURNAL_SUFFIX = ".journal.jsonl"
ROWS_PER_GROUP = 10_000
"""Rows written at once (a Parquet row group): memory stays flat."""


def output_kind(output: str) -> OutputKind:
    """What `-o` names: JSON lines (stdout, a device, .jsonl), CSV, TSV or Parquet."""
    if output == "-" or (os.path.exists(output) and not os.path.isfile(output)):
        return "jsonl"
    suffix = Path(output).suffix.lower()
    kind = OUTPUT_SUFFIXES.get(suffix, "jsonl")
    if suffix in UNWRITABLE:
        raise ConfigurationError(
            f"-o {output}: no output format is written as {suffix}; name it .jsonl, .csv, "
            ".tsv or .parquet"
        )
    if kind == "parquet":
        parquet.pyarrow_parquet(output)
    return kind


def journal_of(output: str, kind: OutputKind) -> str:
    """Where the run's JSON lines go: the output itself, or a journal beside a table."""
    return output if kind == "jsonl" else output + JOURNAL_SUFFIX


def kept_columns(source: Source, keep: str | None) -> list[str]:
    """The input columns a table carries through: `--keep-columns` all (the default for a
    CSV or Parquet input), none, or a list; other inputs carry their ids."""
    id_column = source.columns[0]
    if source.form not in TABULAR:
        if keep not in (None, "all", "none", id_column, "id"):
            raise ConfigurationError(
                f"--keep-columns: {source.name} has no columns to keep (a {source.form} "
                "input); its ids are kept"
            )
        return ["id"]
    found = _input_columns(source)
    if keep in (None, "all"):
        return found
    if keep == "none":
        return [id_column]
    chosen = [name.strip() for name in keep.split(",") if name.strip()]
    missing = [name for name in chosen if name not in found]
    if missing:
        shown = ", ".join(repr(name) for name in found[:20])
        raise ConfigurationError(
            f"--keep-columns: {source.name} has no column {missing[0]!r} (its columns: {shown})"
        )
    return chosen if id_column in chosen else [id_column, *chosen]


def check_columns(kept: Sequence[str], tasks: Sequence[Task], columns: Sequence[str]) -> None:
    """Refuse kept input columns that answer columns would overwrite (before anything is
    sent: the table is written only when the run ends)."""
    answers = {
        column
        for task, name in zip(tasks, columns, strict=True)
        for column in answer_columns(task.kind, name)
    }
    clashing = sorted(set(kept) & answers)
    if clashing:
        raise ConfigurationError(
            f"the input's column {clashing[0]!r} would be overwritten by an answer column of "
            "the same name: leave it out with --keep-columns"
        )


def write_table(
    source: Source,
    journal: str,
    output: str,
    kind: OutputKind,
    tasks: Sequence[Task],
    task_names: Sequence[str],
    columns: Sequence[str],
    kept: Sequence[str],
) -> int:
    """Write the table from the journal, in the input's order, atomically; the rows written.
    ValueError if a record has no line in the journal (the run is not finished)."""
    directory = os.path.dirname(os.path.abspath(output))
    handle, partial = tempfile.mkstemp(dir=directory, prefix=".", suffix=".partial")
    os.close(handle)
    try:
        with _JournalIndex(journal, directory) as index:
            rows = _answered_rows(source, kept, index, tasks, task_names, columns)
            if kind == "parquet":
                count = _write_parquet(partial, rows, source, kept, tasks, columns)
            else:
                header = [
                    *kept,
                    *(
                        c
                        for t, n in zip(tasks, columns, strict=True)
                        for c in answer_columns(t.kind, n)
                    ),
                ]
                count = _write_csv(partial, rows, header, "\t" if kind == "tsv" else ",")
        os.chmod(partial, 0o666 & ~_umask())  # (a temporary file is private to its owner)
        os.replace(partial, output)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.remove(partial)
    return count


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def _input_columns(source: Source) -> list[str]:
    if source.form == "parquet":
        return parquet.columns_of(source.path)
    with open_input(source.path) as handle:
        for _, row, _ in csv_rows(handle, source):
            return [name for name in (row or {}) if isinstance(name, str)]
    return list(source.columns[:2])


def _records(source: Source, kept: Sequence[str]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each input record's key (its id, or its error line's) and its kept columns, in the
    input's order, as the run read them."""
    if source.form == "csv":
        with open_input(source.path) as handle:
            for start, row, _ in csv_rows(handle, source):
                document = None if row is None else csv_document(row, source)
                key = document["id"] if isinstance(document, dict) else malformed_id(start)
                yield key, {name: (row or {}).get(name) for name in kept}
        return
    if source.form == "parquet":
        wanted = list(dict.fromkeys([*kept, *source.columns[:2]]))
        for number, row in enumerate(parquet.rows(source.path, wanted), start=1):
            try:
                key = json_document(row, source.columns)["id"]
            except ValueError:
                key = f"row:{number}"
            yield key, {name: row.get(name) for name in kept}
        return
    malformed: deque[str] = deque()
    for document in read_documents(source, lambda key, _problem: malformed.append(key)):
        while malformed:
            key = malformed.popleft()
            yield key, {"id": key}
        yield document["id"], {"id": document["id"]}
    while malformed:
        key = malformed.popleft()
        yield key, {"id": key}


def _answered_rows(
    source: Source,
    kept: Sequence[str],
    index: _JournalIndex,
    tasks: Sequence[Task],
    task_names: Sequence[str],
    columns: Sequence[str],
) -> Iterator[dict[str, Any]]:
    for key, values in _records(source, kept):
        line = index.take(key)
        if line is None:
            raise ValueError(
                f"{key!r} of {source.name} has no answer in {index.path}: the run has not "
                "finished; run again with --resume"
            )
        record = orjson.loads(line)
        row = dict(values)
        for position, (task, name) in enumerate(zip(tasks, columns, strict=True)):
            answer = _answer(record, task_names[position], len(tasks))
            row.update(answer_cells(task.kind, name, answer))
        yield row


def _answer(record: dict[str, Any], task_name: str, tasks: int) -> Answer:
    """One task's answer in a journal line."""
    error = record.get("error")
    outcome = record if tasks == 1 or error is not None else record["tasks"][task_name]
    error = outcome.get("error")
    if isinstance(error, dict):
        return Answer(error=f"{error.get('code')}: {error.get('message')}")
    classes = [(c["category"], c["confidenceScore"]) for c in outcome.get("classes", ())]
    entities = [
        {
            "text": e["text"],
            "category": e["category"],
            "offset": e["offset"],
            "length": e["length"],
            "confidence": e["confidenceScore"],
        }
        for e in outcome.get("entities", ())
    ]
    return Answer(classes=classes, entities=entities)


class _JournalIndex:
    """The journal's lines by id, on disk: each taken once, an id's answer (or own error)
    before the error lines of records that repeat it."""

    def __init__(self, path: str, directory: str) -> None:
        self.path = path
        self._directory = directory
        self._database: sqlite3.Connection | None = None
        self._file = ""

    def __enter__(self) -> _JournalIndex:
        handle, self._file = tempfile.mkstemp(dir=self._directory, prefix=".", suffix=".index")
        os.close(handle)
        database = self._database = sqlite3.connect(self._file)
        database.execute("PRAGMA journal_mode = OFF")
        database.execute("PRAGMA synchronous = OFF")
        database.execute(
            "CREATE TABLE line (seq INTEGER PRIMARY KEY, key TEXT, repeat INTEGER, body BLOB)"
        )
        with open(self.path, "rb") as lines:
            database.executemany(
                "INSERT INTO line (key, repeat, body) VALUES (?, ?, ?)",
                (self._entry(line) for line in lines if line.endswith(b"\n")),
            )
        database.execute("CREATE INDEX by_key ON line (key, repeat, seq)")
        return self

    def __exit__(self, *_: object) -> None:
        if self._database is not None:
            self._database.close()
        with contextlib.suppress(FileNotFoundError):
            os.remove(self._file)

    @staticmethod
    def _entry(line: bytes) -> tuple[str, int, bytes]:
        record = orjson.loads(line)
        error = record.get("error")
        repeat = isinstance(error, dict) and error.get("code") == DUPLICATE_ID
        return str(record["id"]), int(repeat), line

    def take(self, key: str) -> bytes | None:
        """The next line of `key`, taken out (None if there is none)."""
        assert self._database is not None
        found = self._database.execute(
            "SELECT seq, body FROM line WHERE key = ? ORDER BY repeat, seq LIMIT 1", (key,)
        ).fetchone()
        if found is None:
            return None
        self._database.execute("DELETE FROM line WHERE seq = ?", (found[0],))
        return bytes(found[1])


def _write_csv(
    path: str, rows: Iterator[dict[str, Any]], header: Sequence[str], delimiter: str
) -> int:
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(header), delimiter=delimiter)
        writer.writeheader()  # (an input without records still gets its header)
        for row in rows:
            writer.writerow({name: _cell(value) for name, value in row.items()})
            count += 1
    return count


def _cell(value: Any) -> Any:
    """A value as CSV text: lists and entities as JSON, nothing as an empty field."""
    if value is None:
        return ""
    if isinstance(value, list | dict):
        return orjson.dumps(value).decode()
    return value


def _write_parquet(
    path: str,
    rows: Iterator[dict[str, Any]],
    source: Source,
    kept: Sequence[str],
    tasks: Sequence[Task],
    columns: Sequence[str],
) -> int:
    import pyarrow as pa

    pq = parquet.pyarrow_parquet(path)
    fields = [*_kept_fields(source, kept)]
    for task, name in zip(tasks, columns, strict=True):
        fields += answer_fields(task.kind, name)
    schema = pa.schema(fields)
    count = 0
    with pq.ParquetWriter(path, schema) as writer:
        group: list[dict[str, Any]] = []
        for row in rows:
            group.append(row)
            if len(group) >= ROWS_PER_GROUP:
                writer.write_table(pa.Table.from_pylist(group, schema=schema))
                count += len(group)
                group = []
        if group or not count:
            writer.write_table(pa.Table.from_pylist(group, schema=schema))
            count += len(group)
    return count


def _kept_fields(source: Source, kept: Sequence[str]) -> list[Any]:
    """The kept columns' types: a Parquet input's own, else text."""
    import pyarrow as pa

    if source.form == "parquet":
        pq = parquet.pyarrow_parquet(source.path)
        schema = pq.ParquetFile(source.path).schema_arrow
        return [schema.field(name) for name in kept]
    return [pa.field(name, pa.string()) for name in kept]
