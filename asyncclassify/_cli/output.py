"""The JSONL output: one line per document, written as results arrive, resumable."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import IO, Any

import orjson

from .._models import Result, TaskResult


def task_record(outcome: TaskResult) -> dict[str, Any]:
    """One task's outcome in the output's shape."""
    if outcome.error is not None:
        return {"error": {"code": outcome.error.code, "message": outcome.error.message}}
    if outcome.task.kind == "entities":
        return {
            "entities": [
                {
                    "text": entity.text,
                    "category": entity.category,
                    "offset": entity.offset,
                    "length": entity.length,
                    "confidenceScore": entity.confidence,
                }
                for entity in outcome.entities
            ]
        }
    return {
        "classes": [
            {"category": label.category, "confidenceScore": label.confidence}
            for label in outcome.labels
        ]
    }


def result_record(result: Result, task_names: Sequence[str]) -> dict[str, Any]:
    """A document's output line: the task's shape, or `tasks` keyed by name for several."""
    if len(result.tasks) == 1:
        return {"id": result.id, **task_record(result.tasks[0])}
    return {
        "id": result.id,
        "tasks": {
            name: task_record(outcome)
            for name, outcome in zip(task_names, result.tasks, strict=True)
        },
    }


class OutputError(OSError):
    """The output could not be written (a full disk, a quota): what it holds is intact up
    to its last line."""


class LineWriter:
    """Writes whole lines and flushes each, so a crash leaves at most one torn line.

    The file is opened (and, without `append`, emptied) only by the first line or by
    `open()`, so a run that fails before producing anything leaves an earlier output intact.
    """

    def __init__(self, path: str, append: bool, on_open: Callable[[], None] | None = None) -> None:
        self._path = path
        self._append = append
        self._on_open = on_open
        """Called when the file is first opened (to keep the run's record beside it)."""
        self._handle: IO[bytes] | None = None
        self._failed = False

    def open(self) -> IO[bytes]:
        """The output, opened on first use."""
        if self._handle is None:
            if self._path == "-":
                self._handle = sys.stdout.buffer
            else:
                self._handle = open(self._path, "ab" if self._append else "wb")  # noqa: SIM115
                if self._on_open is not None:
                    self._on_open()
        return self._handle

    def write(self, record: dict[str, Any]) -> None:
        """One JSON line (OutputError if the file cannot take it; stdout's errors, such as
        BrokenPipeError, pass through)."""
        handle = self.open()
        try:
            handle.write(orjson.dumps(record) + b"\n")
            handle.flush()
        except OSError as exc:
            self._failed = True
            if self._path == "-":
                raise
            raise OutputError(
                f"could not write {self._path} ({exc.strerror or exc}): it is intact up to "
                "its last whole line; make room, then run again with --resume to finish"
            ) from exc

    def discard(self) -> None:
        """Close and remove the file this writer wrote (a regular file only: never stdout or
        a device such as /dev/null; nothing if it wrote nothing)."""
        if self._handle is None or self._path == "-" or not os.path.isfile(self._path):
            return
        with contextlib.suppress(OSError):
            self._handle.close()
        self._handle = None
        with contextlib.suppress(FileNotFoundError):
            os.remove(self._path)

    def close(self) -> None:
        """Flush, and close the file unless it is stdout."""
        if self._handle is None:
            return
        try:
            self._handle.flush()
            if self._path != "-":
                self._handle.close()
        except OSError:
            if not self._failed:
                raise
            # What a failed write left unwritten stays so: the error said it already.
