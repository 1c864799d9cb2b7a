"""Shared helpers for the client's tests: tasks per dialect and the model's expected answers."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import pytest

import asyncclassify as ac
from asyncclassify.emulator import DEFAULT_PROJECTS, Emulator, Project, RateLimit, Timing
from asyncclassify.emulator.model import classify_multi, classify_single, recognize_entities

LEGACY_MODEL_ID_VERSION = "v3.1-preview.ct.1"
"""The one API version that names models (`model_id`) instead of projects."""

PROJECTS: dict[str, Project] = {project.kind: project for project in DEFAULT_PROJECTS}
"""The emulator's default project of each kind."""

TASK_TYPES: dict[str, type[ac.SingleLabel] | type[ac.MultiLabel] | type[ac.CustomEntities]] = {
    "single": ac.SingleLabel,
    "multi": ac.MultiLabel,
    "entities": ac.CustomEntities,
}

FAST = Timing(base=0.005, per_document=0.0, jitter=0)
"""Jobs that finish almost at once."""

EmulatorFactory = Callable[..., AbstractAsyncContextManager[Emulator]]


def key_of(emulator: Emulator) -> str:
    """The key the emulator was started with."""
    assert emulator.key is not None
    return emulator.key


def task_for(kind: str, api_version: str, project: str | None = None) -> ac.Task:
    """A task of `kind` against the default project (or a project name that may not exist)."""
    default = PROJECTS[kind]
    name = default.name if project is None else project
    if api_version == LEGACY_MODEL_ID_VERSION:
        return TASK_TYPES[kind](model_id=f"{name}-{default.deployment}")
    return TASK_TYPES[kind](name, default.deployment)


def expected_labels(kind: str, text: str) -> tuple[ac.Label, ...]:
    """What the emulator's model answers for a classification task."""
    labels = PROJECTS[kind].labels
    answers = [classify_single(text, labels)] if kind == "single" else classify_multi(text, labels)
    return tuple(ac.Label(answer.category, answer.confidence) for answer in answers)


def expected_entities(text: str) -> tuple[ac.Entity, ...]:
    """What the emulator's model answers for the entity task, in code points."""
    matches = recognize_entities(text, PROJECTS["entities"].labels, unit="UnicodeCodePoint")
    return tuple(
        ac.Entity(match.text, match.category, match.offset, match.length, match.confidence)
        for match in matches
    )


def assert_model_answer(outcome: ac.TaskResult, text: str) -> None:
    """`outcome` is exactly the model's answer for `text` (and entity offsets index `text`)."""
    assert outcome.error is None, outcome.error
    kind = outcome.task.kind
    if kind == "entities":
        assert outcome.entities == expected_entities(text)
        assert outcome.labels == ()
        for entity in outcome.entities:
            assert text[entity.offset : entity.offset + entity.length] == entity.text
    else:
        assert outcome.labels == expected_labels(kind, text)
        assert outcome.entities == ()


@pytest.fixture
def emulator() -> EmulatorFactory:
    """Start an emulator with the given settings (fast jobs and no rate limit by default)."""

    @asynccontextmanager
    async def start(**settings: Any) -> AsyncIterator[Emulator]:
        settings.setdefault("timing", FAST)
        settings.setdefault("rate_limit", RateLimit(requests=100_000, per_seconds=60))
        async with Emulator(**settings) as running:
            yield running

    return start
