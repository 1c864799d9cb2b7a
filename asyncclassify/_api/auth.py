"""Credentials: a resource key, or an Entra ID token credential. Never shown, never logged."""

from __future__ import annotations

import inspect
import time
from typing import Any, Protocol, runtime_checkable

import anyio

from .._errors import ConfigurationError

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


@runtime_checkable
class KeyCredential(Protocol):
    """A key holder such as `azure.core.credentials.AzureKeyCredential`: its `key` is read for
    every request, so that a rotated key (`update()`) takes effect on the next one."""

    @property
    def key(self) -> str:
        """The current key."""


class KeyCredentialAuth:
    """`Ocp-Apim-Subscription-Key` from a key holder, read anew for each request."""

    needs_https = False
    __slots__ = ("_credential",)

    def __init__(self, credential: KeyCredential) -> None:
        self._credential = credential

    async def header(self) -> tuple[str, str]:
        key = self._credential.key
        if not isinstance(key, str) or not key.strip():
            raise ConfigurationError("the key credential holds no key")
        return ("Ocp-Apim-Subscription-Key", key)

    def __repr__(self) -> str:
        return f"KeyCredentialAuth(credential={type(self._credential).__name__})"


Credential = str | KeyCredential | AsyncTokenCredential
"""A resource key, a key holder (`AzureKeyCredential`), or an async token credential."""


def authenticator_for(credential: Credential) -> Authenticator:
    """The authenticator for `credential` (azure-core's types are recognised by shape, so
    azure-core need not be installed)."""
    if isinstance(credential, str):
        if not credential.strip():
            raise ConfigurationError("the key is empty")
        return KeyAuth(credential)
    if isinstance(credential, AsyncTokenCredential):
        if not inspect.iscoroutinefunction(credential.get_token):
            raise ConfigurationError(
                f"{type(credential).__name__}.get_token is not async: pass the async credential "
                "(azure.identity.aio), not the synchronous one"
            )
        return TokenAuth(credential)
    if isinstance(getattr(credential, "key", None), str):
        return KeyCredentialAuth(credential)
    raise ConfigurationError(
        "credential must be the resource key (str), a key credential with .key (such as "
        "AzureKeyCredential) or an async token credential with get_token(), not "
        f"{type(credential).__name__}"
    )


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
