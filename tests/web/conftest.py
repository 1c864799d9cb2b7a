"""Shared helpers for the web tests: emulators, expected answers, and waits on conditions."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import asyncclassify as ac
from asyncclassify.emulator import DEFAULT_PROJECTS, Emulator, Project, RateLimit, Timing
from asyncclassify.emulator.model import classify_multi, classify_single

PROJECTS: dict[str, Project] = {project.kind: project for project in DEFAULT_PROJECTS}
"""The emulator's default project of each kind."""

SINGLE = ac.SingleLabel(PROJECTS["single"].name, PROJECTS["single"].deployment)
MULTI = ac.MultiLabel(PROJECTS["multi"].name, PROJECTS["multi"].deployment)

FAST = Timing(base=0.005, per_document=0.0, jitter=0)
"""Jobs that finish almost at once."""
UNLIMITED = RateLimit(requests=100_000, per_seconds=60)

_TOPICS = (
    "my invoice was charged twice",
    "the app crashes on start",
    "password reset never arrives",
    "the parcel is late",
    "thanks for the quick help",
    "a funny and scary horror film",
)


def text_for(number: int) -> str:
    """A distinct, plausible text for caller `number`."""
    return f"Ticket {number}: {_TOPICS[number % len(_TOPICS)]} (order {number * 7919 % 10007})"


def expected_single(text: str) -> tuple[ac.Label, ...]:
    """The emulator model's single-label answer for `text`."""
    answer = classify_single(text, PROJECTS["single"].labels)
    return (ac.Label(answer.category, answer.confidence),)


def expected_multi(text: str) -> tuple[ac.Label, ...]:
    """The emulator model's multi-label answer for `text`."""
    answers = classify_multi(text, PROJECTS["multi"].labels)
    return tuple(ac.Label(answer.category, answer.confidence) for answer in answers)


def fast_emulator(**settings: Any) -> Emulator:
    """An emulator with fast jobs and no practical rate limit unless told otherwise."""
    settings.setdefault("timing", FAST)
    settings.setdefault("rate_limit", UNLIMITED)
    return Emulator(**settings)


def client_for(emu: Emulator, **options: Any) -> ac.Client:
    """A client of `emu` that polls soon, as tests want."""
    assert emu.key is not None
    options.setdefault("pacing", ac.Pacing(first_poll=0.02))
    return ac.Client(emu.endpoint, options.pop("key", emu.key), **options)


def load_example(name: str) -> ModuleType:
    """A module of `examples/` (not a package), imported from its file."""
    path = Path(__file__).resolve().parents[2] / "examples" / f"{name}.py"
    module_name = f"examples_{name}"
    if module_name in sys.modules:
        return sys.modules[module_name]
    spec = importlib.util.spec_from_file_location(module_name, path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module
