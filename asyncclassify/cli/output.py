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


def recover(path: str) -> set[str]:
    """Ids already written to `path`; a half-written last line is cut off."""
    done: set[str] = set()
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
                done.add(record["id"])
            good_end += len(line)
    if good_end != os.path.getsize(path):
        with open(path, "r+b") as handle:
            handle.truncate(good_end)
    return done


class LineWriter:
    """Writes whole lines and flushes each, so a crash leaves at most one torn line."""

    def __init__(self, path: str, append: bool) -> None:
        self._handle: IO[bytes]
        if path == "-":
            self._handle = sys.stdout.buffer
            self._owned = False
        else:
            self._handle = open(path, "ab" if append else "wb")  # noqa: SIM115
            self._owned = True

    def write(self, record: dict[str, Any]) -> None:
        """One JSON line."""
        self._handle.write(orjson.dumps(record) + b"\n")
        self._handle.flush()

    def close(self) -> None:
        """Flush, and close the file unless it is stdout."""
        self._handle.flush()
        if self._owned:
            self._handle.close()
