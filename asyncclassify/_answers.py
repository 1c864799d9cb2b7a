"""The answers as table columns, one naming for every table the project writes (Ray Data's
Datasets and the command line's CSV and Parquet files).

Per task, named `<name>` (the task's project by default): `<name>` (the class) and
`<name>_confidence` for single-label tasks; `<name>` (the classes) and
`<name>_confidences` for multi-label ones; `<name>` (the entities: text, category, offset,
length, confidence) for entity recognition; and `<name>_error` ("code: message", or null).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ._errors import ConfigurationError
from ._models import Task, TaskKind, TaskResult

ENTITY_FIELDS = ("text", "category", "offset", "length", "confidence")


@dataclass(frozen=True, slots=True)
class Answer:
    """One task's outcome for one document, as plain values."""

    classes: Sequence[tuple[str, float]] = ()
    entities: Sequence[dict[str, Any]] = ()
    error: str | None = None
    """"code: message", or None."""

    @classmethod
    def of(cls, outcome: TaskResult) -> Answer:
        """The answer a library result holds."""
        if outcome.error is not None:
            return cls(error=f"{outcome.error.code}: {outcome.error.message}")
        return cls(
            classes=[(label.category, label.confidence) for label in outcome.labels],
            entities=[
                {
                    "text": entity.text,
                    "category": entity.category,
                    "offset": entity.offset,
                    "length": entity.length,
                    "confidence": entity.confidence,
                }
                for entity in outcome.entities
            ],
        )


def column_names(tasks: Sequence[Task], names: Sequence[str] | None = None) -> list[str]:
    """The column name of each task: given, or the task's project (made unique)."""
    if names is not None:
        if len(names) != len(tasks) or len(set(names)) != len(names) or not all(names):
            raise ConfigurationError("names must give each task a distinct, non-empty name")
        return list(names)
    chosen: list[str] = []
    for task in tasks:
        base = task.project or task.model_id or task.kind
        name, number = base, 2
        while name in chosen:
            name, number = f"{base}_{number}", number + 1
        chosen.append(name)
    return chosen


def answer_columns(kind: TaskKind, name: str) -> list[str]:
    """The columns of one task's answers."""
    if kind == "single":
        return [name, f"{name}_confidence", f"{name}_error"]
    if kind == "multi":
        return [name, f"{name}_confidences", f"{name}_error"]
    return [name, f"{name}_error"]


def answer_cells(kind: TaskKind, name: str, answer: Answer) -> dict[str, Any]:
    """One task's answer columns for one row (None where there is no value)."""
    failed = answer.error is not None
    if kind == "single":
        first = answer.classes[0] if answer.classes else None
        return {
            name: None if first is None else first[0],
            f"{name}_confidence": None if first is None else first[1],
            f"{name}_error": answer.error,
        }
    if kind == "multi":
        return {
            name: None if failed else [category for category, _ in answer.classes],
            f"{name}_confidences": None if failed else [score for _, score in answer.classes],
            f"{name}_error": answer.error,
        }
    return {name: None if failed else list(answer.entities), f"{name}_error": answer.error}


def answer_fields(kind: TaskKind, name: str) -> list[Any]:
    """One task's answer columns as pyarrow fields (pyarrow must be importable)."""
    import pyarrow as pa

    error = pa.field(f"{name}_error", pa.string())
    if kind == "single":
        return [pa.field(name, pa.string()), pa.field(f"{name}_confidence", pa.float64()), error]
    if kind == "multi":
        return [
            pa.field(name, pa.list_(pa.string())),
            pa.field(f"{name}_confidences", pa.list_(pa.float64())),
            error,
        ]
    entity = pa.struct(
        [
            pa.field("text", pa.string()),
            pa.field("category", pa.string()),
            pa.field("offset", pa.int64()),
            pa.field("length", pa.int64()),
            pa.field("confidence", pa.float64()),
        ]
    )
    return [pa.field(name, pa.list_(entity)), error]
