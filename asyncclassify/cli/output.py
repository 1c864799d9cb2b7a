"""The JSONL output: one line per document, written as results arrive, resumable."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from typing import IO, Any

import orjson

from ..models import Result, TaskResult


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


def recover(path: str) -> dict[str, bool]:
    """Ids already in `path`, each mapped to whether it was answered; a torn last line is cut."""
    done: dict[str, bool] = {}
    if not os.path.exists(path):
        return done
    good_end = 0
    with open(path, "rb") as handle:
        for line in handle:
            if not line.endswith(b"\n"):
                break
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                break
            if isinstance(record, dict) and isinstance(record.get("id"), str):
                done[record["id"]] = _answered(record)
            good_end += len(line)
    if good_end != os.path.getsize(path):
        with open(path, "r+b") as handle:
            handle.truncate(good_end)
    return done


def _answered(record: dict[str, Any]) -> bool:
    outcomes = record["tasks"].values() if isinstance(record.get("tasks"), dict) else [record]
    return not any(isinstance(o, dict) and "error" in o for o in outcomes)


class LineWriter:
    """Writes whole lines and flushes each, so a crash leaves at most one torn line.

    The file is opened (and, without `append`, emptied) only by the first line or by
    `open()`, so a run that fails before producing anything leaves an earlier output intact.
    """

    def __init__(self, path: str, append: bool) -> None:
        self._path = path
        self._append = append
        self._handle: IO[bytes] | None = None

    def open(self) -> IO[bytes]:
        """The output, opened on first use."""
        if self._handle is None:
            if self._path == "-":
                self._handle = sys.stdout.buffer
            else:
                self._handle = open(self._path, "ab" if self._append else "wb")  # noqa: SIM115
        return self._handle

    def write(self, record: dict[str, Any]) -> None:
        """One JSON line."""
        handle = self.open()
        handle.write(orjson.dumps(record) + b"\n")
        handle.flush()

    def close(self) -> None:
        """Flush, and close the file unless it is stdout."""
        if self._handle is None:
            return
        self._handle.flush()
        if self._path != "-":
            self._handle.close()
