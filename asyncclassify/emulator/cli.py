"""`asyncclassify emulator` / `python -m asyncclassify.emulator`: serve the emulator.

The first line on stdout is the base URL; the emulator serves until SIGINT or SIGTERM.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import signal
import sys
from collections.abc import Sequence
from typing import get_args

from .config import (
    CLI_TIMING,
    DEFAULT_PROJECTS,
    FAULT_NAMES,
    Faults,
    Project,
    ProjectKind,
    RateLimit,
    Timing,
)
from .server import Emulator

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


def build_parser() -> argparse.ArgumentParser:
    """The command line's argument parser."""
    parser = argparse.ArgumentParser(
        prog="asyncclassify emulator",
        description="Serve a local emulator of the Azure AI Language analyze-text jobs API. "
        "The first line printed is the base URL.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8000, help="0 picks a free port")
    parser.add_argument("--key", default="emulator-key", help="the accepted resource key")
    parser.add_argument("--no-key", action="store_true", help="accept requests without a key")
    parser.add_argument(
        "--bearer-token", action="append", default=[], help="an accepted bearer token (repeatable)"
    )
    parser.add_argument(
        "--project",
        action="append",
        type=parse_project,
        default=[],
        metavar="NAME:DEPLOYMENT:KIND[:LABELS]",
        help="a deployed project (repeatable); KIND is single, multi or entities",
    )
    parser.add_argument(
        "--rate-limit",
        type=parse_rate_limit,
        default=RateLimit(),
        metavar="REQUESTS/SECONDS",
        help="requests per sliding window and key (default 1000/60; 'none' for unlimited)",
    )
    timing = parser.add_argument_group("timing (defaults look like the real service)")
    timing.add_argument("--fast", action="store_true", help="in-process test timing (jobs take ms)")
    timing.add_argument("--queue-delay", type=float)
    timing.add_argument("--base", type=float, help="seconds per task")
    timing.add_argument("--per-document", type=float, help="extra seconds per document")
    timing.add_argument("--jitter", type=float, help="relative spread, 0..1")
    timing.add_argument("--max-running-jobs", type=int)
    faults = parser.add_argument_group("fault injection")
    faults.add_argument(
        "--fault",
        action="append",
        type=parse_fault,
        default=[],
        metavar="NAME=PROBABILITY",
        help=f"inject a fault (repeatable): {', '.join(FAULT_NAMES)}",
    )
    faults.add_argument("--slow-seconds", type=float, default=1.0)
    faults.add_argument("--retry-after-on-error", type=float, default=0.5)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--page-size", type=int, default=20)
    parser.add_argument("--retention-seconds", type=float, default=86400.0)
    return parser


def emulator_from_args(args: argparse.Namespace) -> Emulator:
    """An `Emulator` configured from parsed arguments."""
    timing = Timing() if args.fast else CLI_TIMING
    overrides = {
        name: getattr(args, name)
        for name in ("queue_delay", "base", "per_document", "jitter", "max_running_jobs")
        if getattr(args, name) is not None
    }
    timing = dataclasses.replace(timing, **overrides)
    faults = Faults(
        slow_seconds=args.slow_seconds,
        retry_after_on_error=args.retry_after_on_error,
        **dict(args.fault),
    )
    return Emulator(
        host=args.host,
        port=args.port,
        key=None if args.no_key else args.key,
        bearer_tokens=args.bearer_token,
        projects=args.project or DEFAULT_PROJECTS,
        rate_limit=args.rate_limit,
        timing=timing,
        faults=faults,
        seed=args.seed,
        page_size=args.page_size,
        retention_seconds=args.retention_seconds,
    )


async def serve(emulator: Emulator) -> None:
    """Run `emulator` until SIGINT or SIGTERM, announcing its base URL on stdout."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        async with emulator:
            print(emulator.endpoint, flush=True)
            projects = ", ".join(
                f"{p.name}/{p.deployment} ({p.kind})" for p in emulator.service.projects.values()
            )
            print(
                f"emulator serving {projects}; foreign origin {emulator.foreign_endpoint}",
                file=sys.stderr,
                flush=True,
            )
            await stop.wait()
    finally:
        for signum in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(signum)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the process exit status."""
    args = build_parser().parse_args(argv)
    try:
        emulator = emulator_from_args(args)
    except ValueError as exc:
        print(f"asyncclassify emulator: error: {exc}", file=sys.stderr)
        return 2
    try:
        asyncio.run(serve(emulator))
    except OSError as exc:
        print(f"asyncclassify emulator: error: {exc}", file=sys.stderr)
        return 1
    return 0
