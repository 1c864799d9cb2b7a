from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any

import aiohttp
import pytest

from asyncclassify.emulator import Emulator

from .helpers import Client

ClientFactory = Callable[..., AbstractAsyncContextManager[Client]]


@pytest.fixture
async def session() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as http:
        yield http


@pytest.fixture
def emulated(session: aiohttp.ClientSession) -> ClientFactory:
    """Start an emulator with the given settings and a raw client for it."""

    @asynccontextmanager
    async def start(**settings: Any) -> AsyncIterator[Client]:
        settings.setdefault("rate_limit", None)  # tests poll fast; test_ratelimit sets one
        async with Emulator(**settings) as emulator:
            yield Client(emulator, session)

    return start


@pytest.fixture
async def client(emulated: ClientFactory) -> AsyncIterator[Client]:
    async with emulated() as started:
        yield started
