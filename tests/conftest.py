import pytest


@pytest.fixture
def anyio_backend() -> str:
    # aiohttp (client and emulator alike) runs on asyncio only.
    return "asyncio"
