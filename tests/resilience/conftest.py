"""Shared helpers for the resilience tests: a corpus, fast clients, and exactly-once checks."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

import asyncclassify as ac
from asyncclassify.emulator import DEFAULT_PROJECTS, Project, Timing
from asyncclassify.emulator.model import classify_multi, classify_single, recognize_entities

PROJECTS: dict[str, Project] = {project.kind: project for project in DEFAULT_PROJECTS}
"""The emulator's default project of each kind."""

SINGLE = ac.SingleLabel(PROJECTS["single"].name, PROJECTS["single"].deployment)
MULTI = ac.MultiLabel(PROJECTS["multi"].name, PROJECTS["multi"].deployment)
ENTITIES = ac.CustomEntities(PROJECTS["entities"].name, PROJECTS["entities"].deployment)

FAST = Timing(base=0.005, per_document=0.0001, jitter=0.2)
"""Jobs that finish within a few milliseconds."""

FAST_RETRY = ac.RetryPolicy(backoff_base=0.01, backoff_max=0.1)
"""Retries that back off in milliseconds, not seconds."""

_NAMES = ("Zoë Müller", "José Ñúñez", "Li Wei", "Amélie Dubois", "Ola Nordmann", "Chidi Okafor")
_TOPICS = (
    "invoice was charged twice",
    "app crashes on start",
    "password reset never arrives",
    "parcel is late",
    "thanks for the quick help",
    "a funny and scary horror film",
    "a moving drama with great action",
)
_EXTRAS = (
    "",
    " 👩‍👩‍👧 family plan",
    " 東京 office",
    " café\u0301 visit",
    " mail me at a.b@example.com",
)


def corpus(count: int, prefix: str = "doc") -> list[tuple[str, str]]:
    """`count` distinct (id, text) pairs: support tickets and reviews with names and amounts."""
    documents = []
    for i in range(count):
        name = _NAMES[i % len(_NAMES)]
        topic = _TOPICS[(i // 3) % len(_TOPICS)]
        extra = _EXTRAS[(i // 7) % len(_EXTRAS)]
        text = f"Ticket {i}:{extra} {name} says the {topic}; refund ${i % 97}.{i % 10}0 by Monday"
        documents.append((f"{prefix}-{i}", text))
    return documents


def expected(task: ac.Task, text: str) -> ac.TaskResult:
    """The emulator's model answer for `task` on `text`, as the client should report it."""
    labels = PROJECTS[task.kind].labels
    if task.kind == "entities":
        matches = recognize_entities(text, labels, unit="UnicodeCodePoint")
        entities = tuple(
            ac.Entity(m.text, m.category, m.offset, m.length, m.confidence) for m in matches
        )
        return ac.TaskResult(task, entities=entities)
    answers = (
        [classify_single(text, labels)] if task.kind == "single" else classify_multi(text, labels)
    )
    return ac.TaskResult(task, labels=tuple(ac.Label(a.category, a.confidence) for a in answers))


def check_exactly_once(
    results: Sequence[ac.Result],
    documents: Sequence[tuple[str, str]],
    tasks: Sequence[ac.Task],
    allowed_error_codes: frozenset[str] = frozenset(),
) -> Counter[str]:
    """Assert every document came back exactly once, each answer the model's.

    A task outcome may instead be an error whose code is in `allowed_error_codes`.
    Returns the number of error outcomes per code.
    """
    texts = dict(documents)
    seen = Counter(result.id for result in results)
    duplicated = {doc_id: n for doc_id, n in seen.items() if n > 1}
    lost = set(texts) - set(seen)
    unknown = set(seen) - set(texts)
    assert not duplicated, f"duplicated: {sorted(duplicated)[:10]}"
    assert not lost, f"lost {len(lost)}: {sorted(lost)[:10]}"
    assert not unknown, f"unknown ids: {sorted(unknown)[:10]}"
    errors: Counter[str] = Counter()
    for result in results:
        assert len(result.tasks) == len(tasks)
        text = texts[result.id]
        for task, outcome in zip(tasks, result.tasks, strict=True):
            assert outcome.task == task
            if outcome.error is not None:
                assert outcome.error.code in allowed_error_codes, (result.id, outcome.error)
                errors[outcome.error.code] += 1
                continue
            assert outcome == expected(task, text), result.id
    return errors


def fast_client(endpoint: str, key: str | None, **settings: Any) -> ac.Client:
    """A client that polls and retries on a millisecond scale, with a generous budget."""
    assert key is not None
    settings.setdefault("pacing", ac.Pacing(first_poll=0.02))
    settings.setdefault("retry", FAST_RETRY)
    settings.setdefault("requests_per_minute", 100_000)
    settings.setdefault("rate_window", 1.0)
    return ac.Client(endpoint, key, **settings)
