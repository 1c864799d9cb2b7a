"""Pytest fixtures that serve the emulator (registered as the `asyncclassify` plugin)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from .server import Emulator


@pytest.fixture
async def language_emulator() -> AsyncIterator[Emulator]:
    """A running `Emulator()` with default settings (use it from anyio tests)."""
    async with Emulator() as emulator:
        yield emulator
