from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from asyncclassify.emulator import Emulator

from .helpers import FAST


@pytest.fixture
async def emulator() -> AsyncIterator[Emulator]:
    """An emulator whose jobs finish almost at once."""
    async with Emulator(timing=FAST) as running:
        yield running
