"""Documents, tasks and per-document results: plain data, no I/O."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Literal

TaskKind = Literal["single", "multi", "entities"]


@dataclass(frozen=True, slots=True)
class Document:
    """One text to analyse. `language` is an ISO 639-1 code such as ``"en"``."""

    id: str
    text: str
    language: str | None = None


@dataclass(frozen=True, slots=True)
class _CustomTask:
    project: str = ""
    deployment: str = ""
    name: str | None = None
    model_id: str | None = None
    """The model of the retired ``v3.1-preview.ct.1`` API, which had no projects."""

    kind: ClassVar[TaskKind]


@dataclass(frozen=True, slots=True)
class SingleLabel(_CustomTask):
    """Custom single-label classification: exactly one class per document."""

    kind: ClassVar[TaskKind] = "single"


@dataclass(frozen=True, slots=True)
class MultiLabel(_CustomTask):
    """Custom multi-label classification: zero or more classes per document."""

    kind: ClassVar[TaskKind] = "multi"


@dataclass(frozen=True, slots=True)
class CustomEntities(_CustomTask):
    """Custom named entity recognition."""

    kind: ClassVar[TaskKind] = "entities"


Task = SingleLabel | MultiLabel | CustomEntities
TASK_KINDS: dict[str, type[SingleLabel] | type[MultiLabel] | type[CustomEntities]] = {
    "single": SingleLabel,
    "multi": MultiLabel,
    "entities": CustomEntities,
}


def parse_task(spec: str) -> Task:
    """A task from ``"KIND:PROJECT:DEPLOYMENT"`` (``"single:support:prod"``) or, for the
    retired ``v3.1-preview.ct.1`` API, ``"KIND:MODEL"``; KIND is single, multi or entities.
    ValueError says what is wrong with `spec`."""
    parts = spec.split(":")
    if len(parts) in (2, 3) and parts[0] in TASK_KINDS and all(parts):
        kind = TASK_KINDS[parts[0]]
        return kind(parts[1], parts[2]) if len(parts) == 3 else kind(model_id=parts[1])
    raise ValueError(
        "a task is KIND:PROJECT:DEPLOYMENT (or KIND:MODEL) with KIND single, multi or "
        f"entities, or a SingleLabel, MultiLabel or CustomEntities; got {spec!r}"
    )


def as_tasks(tasks: tuple[object, ...]) -> tuple[Task, ...]:
    """`tasks` as given to a call (tasks, or their strings), checked: TypeError or ValueError
    names the one that is not a task."""
    checked: list[Task] = []
    for task in tasks:
        if isinstance(task, str):
            checked.append(parse_task(task))
        elif isinstance(task, (SingleLabel, MultiLabel, CustomEntities)):
            checked.append(task)
        else:
            raise TypeError(
                f"a task is a SingleLabel, MultiLabel or CustomEntities (or a string such as "
                f"'single:PROJECT:DEPLOYMENT'), not {type(task).__name__}: {task!r:.60}"
            )
    return tuple(checked)


@dataclass(frozen=True, slots=True)
class Label:
    """A class the model gave the document, with its confidence in [0, 1]."""

    category: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Entity:
    """An entity found in the document.

    `offset` and `length` index the Python string that was passed in:
    ``text[offset:offset + length] == entity.text``.
    """

    text: str
    category: str
    offset: int
    length: int
    confidence: float


@dataclass(frozen=True, slots=True)
class ServiceWarning:
    """A warning the service attached to a document (for example ``LongWordsInDocument``)."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class DocumentError:
    """Why a document has no answer: the service's codes, or the client's own for bad input.

    `code` is the service's top-level code (``InvalidArgument``, ``NotFound``...) or one of the
    client's (``InvalidInput``, ``JobFailed``, ``Cancelled``...); `inner_code` is the service's
    inner code when there is one (``InvalidDocument``, ``UnsupportedLanguageCode``...).
    """

    code: str
    message: str
    inner_code: str | None = None
    request_id: str | None = None
    job_id: str | None = None


@dataclass(frozen=True, slots=True)
class TaskResult:
    """The outcome of one task for one document."""

    task: Task
    labels: tuple[Label, ...] = ()
    entities: tuple[Entity, ...] = ()
    warnings: tuple[ServiceWarning, ...] = ()
    error: DocumentError | None = None

    @property
    def ok(self) -> bool:
        """True when the task produced an answer for the document."""
        return self.error is None


@dataclass(frozen=True, slots=True)
class Result:
    """Everything known about one input document: one result per document, always.

    `index` is the document's position in the input. `tasks` holds one `TaskResult` per task
    of the call, in the order the tasks were given.
    """

    id: str
    index: int
    tasks: tuple[TaskResult, ...]

    @property
    def ok(self) -> bool:
        """True when every task produced an answer for the document."""
        return self.error is None

    @property
    def error(self) -> DocumentError | None:
        """The first task's error, or None when every task succeeded."""
        for outcome in self.tasks:
            if outcome.error is not None:
                return outcome.error
        return None

    @property
    def labels(self) -> tuple[Label, ...]:
        """The first task's labels (classification tasks)."""
        return self.tasks[0].labels

    @property
    def entities(self) -> tuple[Entity, ...]:
        """The first task's entities (entity recognition tasks)."""
        return self.tasks[0].entities

    @property
    def warnings(self) -> tuple[ServiceWarning, ...]:
        """Every task's warnings."""
        return tuple(warning for outcome in self.tasks for warning in outcome.warnings)
