"""Credentials: a resource key, or an Entra ID token credential. Never shown, never logged."""

from __future__ import annotations

import time
from typing import Any, Protocol, runtime_checkable

import anyio

SCOPE = "https://cognitiveservices.azure.com/.default"
REFRESH_MARGIN = 300.0
"""Seconds before expiry at which a token is refreshed."""


@runtime_checkable
class AsyncTokenCredential(Protocol):
    """The azure-identity async credential protocol (`DefaultAzureCredential` and friends)."""

    async def get_token(self, *scopes: str) -> Any:
        """A token object with `.token` and `.expires_on` (epoch seconds)."""


class Authenticator(Protocol):
    """Supplies the authentication header of a request."""

    needs_https: bool

    async def header(self) -> tuple[str, str]:
        """(header name, value)."""


class KeyAuth:
    """`Ocp-Apim-Subscription-Key`, with the key hidden from `repr` and tracebacks."""

    needs_https = False
    __slots__ = ("_header",)

    def __init__(self, key: str) -> None:
        self._header = ("Ocp-Apim-Subscription-Key", key)

    async def header(self) -> tuple[str, str]:
        return self._header

    def __repr__(self) -> str:
        return "KeyAuth(key=<hidden>)"


class TokenAuth:
    """`Authorization: Bearer`, refreshed ahead of expiry; one refresh at a time."""

    needs_https = True

    def __init__(self, credential: AsyncTokenCredential) -> None:
        self._credential = credential
        self._value = ""
        self._expires_on = 0.0
        self._lock = anyio.Lock()

    async def header(self) -> tuple[str, str]:
        if time.time() > self._expires_on - REFRESH_MARGIN:
            async with self._lock:
                if time.time() > self._expires_on - REFRESH_MARGIN:
                    token = await self._credential.get_token(SCOPE)
                    self._value = f"Bearer {token.token}"
                    self._expires_on = float(token.expires_on)
        return ("Authorization", self._value)

    def __repr__(self) -> str:
        return f"TokenAuth(credential={type(self._credential).__name__})"
