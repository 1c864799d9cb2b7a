"""Stable hashing for the emulator's model: the same answer in every process and on every
machine (from :mod:`hashlib`, never from ``hash()``)."""

from __future__ import annotations

import hashlib

_SEPARATOR = b"\x1f"


def digest(*parts: str) -> bytes:
    data = _SEPARATOR.join(part.encode("utf-8", "surrogatepass") for part in parts)
    return hashlib.blake2b(data, digest_size=16).digest()


def pick(digest: bytes) -> int:
    """A stable integer for choosing among alternatives."""
    return int.from_bytes(digest[:8], "big")


def fraction(digest: bytes) -> float:
    """A stable number in [0, 1), independent of :func:`pick`."""
    return int.from_bytes(digest[8:], "big") / 2.0**64


def score(low: float, high: float, fraction: float) -> float:
    """A confidence between `low` and `high`, rounded like the service's scores."""
    return max(0.01, min(1.0, round(low + (high - low) * fraction, 2)))
