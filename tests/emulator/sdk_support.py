"""Helpers for driving the official `azure-ai-textanalytics` SDK against the emulator."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from azure.ai.textanalytics import ClassifyDocumentResult, RecognizeCustomEntitiesResult
from azure.ai.textanalytics.aio import TextAnalyticsClient
from azure.core.credentials import AzureKeyCredential

from asyncclassify.emulator import DEFAULT_PROJECTS, Emulator, Project
from asyncclassify.emulator.model import Classification, EntityMatch

API_VERSIONS = ("2022-05-01", "2023-04-01")
"""The SDK's api versions that carry custom text tasks."""

POLLING: dict[str, Any] = {"polling_interval": 0.02}
"""Keyword arguments that make the SDK's pollers poll fast (the default is 5 s)."""

CORPUS: tuple[str, ...] = (
    "Invoice 😀 for Zoë Müller: $1,250.75 charged twice to zoe.muller@example.com",
    "👩‍👩‍👧 Familia Núñez flew from São Paulo to 東京 on 2024-03-01 ✈️ a funny romantic comedy",
    "The app crashes 🙏🏽 whenever Ame\u0301lie Poulain opens 設定 at Contoso Bank",
    "Loan of €5,000 to José Álvarez, approved by 山田太郎 🇯🇵",
    "My parcel never arrived; the shipping label says 12345 and the horror continues",
    "A moving documentary about war, with a few scary scenes and lots of action",
)
"""Short texts with emoji (and ZWJ sequences), accents, combining marks and CJK."""


def project(kind: str) -> Project:
    """The default project of `kind` ("single", "multi" or "entities")."""
    return next(p for p in DEFAULT_PROJECTS if p.kind == kind)


def documents(texts: Sequence[str], *, prefix: str = "doc") -> list[dict[str, str]]:
    """SDK input documents with ids `{prefix}{i}`, in English."""
    return [{"id": f"{prefix}{i}", "text": text, "language": "en"} for i, text in enumerate(texts)]


def corpus(count: int) -> list[str]:
    """`count` distinct texts drawn from the corpus."""
    return [f"{CORPUS[i % len(CORPUS)]} #{i}" for i in range(count)]


@asynccontextmanager
async def sdk_client(
    emulator: Emulator, api_version: str, *, key: str | None = None
) -> AsyncIterator[TextAnalyticsClient]:
    """The SDK's async client for the emulator, closed on exit."""
    credential = AzureKeyCredential(key if key is not None else emulator.key or "")
    client = TextAnalyticsClient(emulator.endpoint, credential, api_version=api_version)
    async with client:
        yield client


def classes(result: ClassifyDocumentResult) -> list[Classification]:
    """An SDK classification result in the emulator model's terms."""
    return [Classification(c.category, c.confidence_score) for c in result.classifications]


def entities(result: RecognizeCustomEntitiesResult) -> list[EntityMatch]:
    """An SDK custom-entities result in the emulator model's terms."""
    return [
        EntityMatch(e.text, e.category, e.offset, e.length, e.confidence_score)
        for e in result.entities
    ]
