"""Credentials never leak: not to logs, reprs or errors, nor to another origin or plain http."""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.lowlevel
import pytest

import asyncclassify as ac
from asyncclassify._api import auth
from asyncclassify._api.auth import REFRESH_MARGIN, TokenAuth
from asyncclassify.emulator import Emulator, Faults, RateLimit

from .conftest import ENTITIES, FAST, SINGLE, check_exactly_once, corpus, fast_client

pytestmark = pytest.mark.anyio

KEY = "k3y-Zq8Xw4Vt7Rr2Nn5Ss9Pp1Ll6"
"""A key that cannot appear anywhere by accident."""
WRONG_KEY = "wr0ng-Hh3Jj8Kk2Mm7Bb4Cc9Dd0"
LOGGERS = (
    "",
    "asyncclassify",
    "aiohttp",
    "aiohttp.client",
    "aiohttp.server",
    "aiohttp.web",
    "aiohttp.access",
    "aiohttp.internal",
    "asyncio",
)


def _debug_everywhere(caplog: pytest.LogCaptureFixture) -> None:
    for name in LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)


def _captured_text(caplog: pytest.LogCaptureFixture) -> str:
    """Everything the log records hold: messages, arguments, extras and tracebacks."""
    formatter = logging.Formatter()
    parts = [caplog.text]
    for record in caplog.records:
        parts.append(record.getMessage())
        parts.append(repr(vars(record)))
        if record.exc_info:
            parts.append(formatter.formatException(record.exc_info))
    return "\n".join(parts)


def _exception_text(error: BaseException) -> str:
    """str, repr, args and the whole traceback (with every chained cause) of an exception."""
    return "\n".join(
        [str(error), repr(error), repr(error.args), *traceback.format_exception(error)]
    )


async def test_a_whole_run_at_debug_level_never_shows_the_key(
    caplog: pytest.LogCaptureFixture,
) -> None:
    _debug_everywhere(caplog)
    documents = corpus(200)
    # Faults and throttling, so that retry and error paths log too.
    faults = Faults(get_error=0.2, connection_reset=0.1, truncated_body=0.1, job_failed=0.1)
    async with (
        Emulator(key=KEY, timing=FAST, faults=faults, rate_limit=RateLimit(15, 0.25)) as emu,
        fast_client(emu.endpoint, KEY, requests_per_minute=1_000, rate_window=1.0) as client,
    ):
        with anyio.fail_after(20):
            async with client.stream(documents, SINGLE, ENTITIES) as stream:
                results = [result async for result in stream]
        served = emu.stats()
        client_repr = repr(client)
        client_attributes = repr(vars(client))

    check_exactly_once(results, documents, (SINGLE, ENTITIES), frozenset({"InternalServerError"}))
    assert served["throttled"] > 0
    assert stream.stats.retries > 0
    logged = _captured_text(caplog)
    assert "retrying" in logged  # the client did log at debug level
    assert KEY not in logged
    assert KEY not in client_repr
    assert KEY not in client_attributes
    assert KEY not in repr(results)
    assert KEY not in repr(stream.stats)


async def test_a_refused_key_is_not_quoted_by_the_error(caplog: pytest.LogCaptureFixture) -> None:
    _debug_everywhere(caplog)
    async with (
        Emulator(key=KEY, timing=FAST, rate_limit=None) as emu,
        fast_client(emu.endpoint, WRONG_KEY) as client,
    ):
        with anyio.fail_after(10), pytest.raises(ac.AuthenticationError) as raised:
            await client.classify(corpus(3), SINGLE)
        client_repr = repr(client)

    assert raised.value.status == 401
    for secret in (WRONG_KEY, KEY):
        assert secret not in _exception_text(raised.value)
        assert secret not in _captured_text(caplog)
        assert secret not in client_repr


async def test_an_exhausted_retry_is_not_quoting_the_key(caplog: pytest.LogCaptureFixture) -> None:
    _debug_everywhere(caplog)
    retry = ac.RetryPolicy(horizon=0.2, backoff_base=0.001, backoff_max=0.01)
    async with (
        Emulator(key=KEY, timing=FAST, faults=Faults(connection_reset=1.0), rate_limit=None) as emu,
        fast_client(emu.endpoint, KEY, retry=retry) as client,
    ):
        with anyio.fail_after(10):
            results = await client.classify(corpus(3), SINGLE)

    # Past the retry horizon, the batch gets error results and the call
    # ends normally; nothing in those errors or in the logs quotes the key.
    assert [result.index for result in results] == [0, 1, 2]
    for result in results:
        assert result.error is not None
        assert result.error.code == "ServiceUnavailable"
        assert KEY not in repr(result)
    assert KEY not in _captured_text(caplog)


async def test_an_operation_location_on_another_origin_is_refused() -> None:
    async with (
        Emulator(
            key=KEY, timing=FAST, faults=Faults(foreign_operation_location=1.0), rate_limit=None
        ) as emu,
        fast_client(emu.endpoint, KEY) as client,
    ):
        with anyio.fail_after(10), pytest.raises(ac.UnsafeRedirectError) as raised:
            await client.classify(corpus(30), SINGLE)
        served = emu.stats()

    assert served["faults"]["foreign_operation_location"] >= 1
    assert served["foreign_requests_with_key"] == 0
    assert served["foreign_requests"] == 0
    assert KEY not in _exception_text(raised.value)


@pytest.mark.parametrize(
    "endpoint",
    [
        "http://myresource.cognitiveservices.azure.com",
        "http://10.0.0.7:8080",
        "http://127.0.0.1.nip.io",
        "http://localhost.example.com",
    ],
)
async def test_plain_http_to_another_host_is_refused(endpoint: str) -> None:
    with pytest.raises(ac.ConfigurationError) as raised:
        ac.Client(endpoint, KEY)
    assert KEY not in _exception_text(raised.value)
    async with ac.Client(endpoint, KEY, allow_insecure_http=True) as client:
        assert KEY not in repr(client)


@pytest.mark.parametrize(
    "endpoint", ["http://127.0.0.1:5000", "http://localhost:5000", "http://[::1]:5000"]
)
async def test_plain_http_to_loopback_is_allowed(endpoint: str) -> None:
    async with ac.Client(endpoint, KEY):
        pass


@dataclass(frozen=True, slots=True)
class _Token:
    token: str
    expires_on: int


class _Credential:
    """An azure-identity style async credential handing out numbered tokens."""

    def __init__(self, clock: _Clock, lifetime: float) -> None:
        self.clock = clock
        self.lifetime = lifetime
        self.scopes: list[tuple[str, ...]] = []

    async def get_token(self, *scopes: str, **options: Any) -> _Token:
        self.scopes.append(scopes)
        await anyio.lowlevel.checkpoint()  # let concurrent callers pile up on the refresh
        return _Token(f"tok{len(self.scopes)}", int(self.clock.now + self.lifetime))


class _Clock:
    """Stands in for the `time` module inside `asyncclassify._api.auth`."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def time(self) -> float:
        return self.now


async def test_a_token_credential_is_accepted_over_https_only() -> None:
    credential = _Credential(_Clock(), 3600)
    async with ac.Client("https://myresource.cognitiveservices.azure.com", credential) as client:
        assert "tok" not in repr(client)
    for endpoint in ("http://127.0.0.1:5000", "http://myresource.cognitiveservices.azure.com"):
        with pytest.raises(ac.ConfigurationError):
            ac.Client(endpoint, credential)
        with pytest.raises(ac.ConfigurationError):
            ac.Client(endpoint, credential, allow_insecure_http=True)


async def test_a_token_is_reused_until_near_expiry_then_refreshed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clock = _Clock()
    monkeypatch.setattr(auth, "time", clock)
    credential = _Credential(clock, lifetime=3600)
    token_auth = TokenAuth(credential)

    headers: list[tuple[str, str]] = []

    async def fetch() -> None:
        headers.append(await token_auth.header())

    async with anyio.create_task_group() as group:
        for _ in range(10):
            group.start_soon(fetch)
    # Ten concurrent first requests share one token.
    assert headers == [("Authorization", "Bearer tok1")] * 10
    assert credential.scopes == [(auth.SCOPE,)]

    clock.now += 3600 - REFRESH_MARGIN - 1  # still comfortably valid
    assert await token_auth.header() == ("Authorization", "Bearer tok1")
    assert len(credential.scopes) == 1

    clock.now += 2  # now within the refresh margin of its expiry
    assert await token_auth.header() == ("Authorization", "Bearer tok2")
    assert await token_auth.header() == ("Authorization", "Bearer tok2")
    assert len(credential.scopes) == 2
    assert "tok" not in repr(token_auth)
