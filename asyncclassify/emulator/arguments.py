"""The emulator command's option values: each parsed, or refused with a message that says
what it expects."""

from __future__ import annotations

import argparse
from typing import get_args

from .config import (
    FAULT_NAMES,
    Project,
    ProjectKind,
    RateLimit,
    Regime,
)

_KINDS: tuple[str, ...] = get_args(ProjectKind)


def parse_project(value: str) -> Project:
    """`NAME:DEPLOYMENT:KIND[:LABEL,LABEL,...]` -> Project."""
    parts = value.split(":")
    if len(parts) not in (3, 4) or not all(parts[:3]) or parts[2] not in _KINDS:
        raise argparse.ArgumentTypeError(
            f"expected NAME:DEPLOYMENT:KIND[:LABEL,...] with KIND in {', '.join(_KINDS)}, "
            f"got {value!r}"
        )
    labels = tuple(label for label in parts[3].split(",") if label) if len(parts) == 4 else ()
    kind: ProjectKind = parts[2]  # type: ignore[assignment]  # checked against _KINDS above
    return Project(parts[0], parts[1], kind, labels)


def parse_rate_limit(value: str) -> RateLimit | None:
    """`REQUESTS/SECONDS` (e.g. `1000/60`), or `none` for no limit."""
    if value.lower() in ("none", "off", "0"):
        return None
    requests, _, seconds = value.partition("/")
    try:
        return RateLimit(int(requests), float(seconds or "60"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected REQUESTS/SECONDS (e.g. 1000/60) or none, got {value!r}"
        ) from None


def parse_port(value: str) -> int:
    """A TCP port number, 0 to 65535."""
    try:
        port = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"a port is a number, got {value!r}") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"a port is within 0..65535, got {port}")
    return port


def parse_outage(value: str) -> tuple[float, float]:
    """`START:SECONDS` as (start, seconds)."""
    try:
        start, seconds = (float(part) for part in value.split(":"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"an outage is START:SECONDS (numbers), got {value!r}"
        ) from None
    if start < 0 or seconds <= 0:
        raise argparse.ArgumentTypeError("an outage needs START >= 0 and SECONDS > 0")
    return start, seconds


def parse_regime(value: str) -> Regime:
    """`START:END:FACTOR` (seconds after the first job; e.g. `60:120:2`)."""
    try:
        start, end, factor = (float(part) for part in value.split(":"))
        return Regime(start, end, factor)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected START:END:FACTOR (seconds after the first job, e.g. 60:120:2), got {value!r}"
        ) from None


def parse_prefill(value: str) -> tuple[int, float | None]:
    """`REQUESTS[:SECONDS]`: requests already in the key's window, sent over the last SECONDS."""
    requests, _, seconds = value.partition(":")
    try:
        count = int(requests)
        span = float(seconds) if seconds else None
        if count < 0 or (span is not None and span <= 0):
            raise ValueError
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected REQUESTS[:SECONDS] (e.g. 900 or 900:6), got {value!r}"
        ) from None
    return count, span


def parse_fault(value: str) -> tuple[str, float]:
    """`NAME=PROBABILITY` with NAME a `Faults` field."""
    name, _, probability = value.partition("=")
    name = name.replace("-", "_")
    try:
        if name not in FAULT_NAMES:
            raise ValueError
        number = float(probability)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected NAME=PROBABILITY with NAME in {', '.join(FAULT_NAMES)}, got {value!r}"
        ) from None
    return name, number
