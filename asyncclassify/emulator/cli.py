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

from .arguments import (
    parse_fault,
    parse_outage,
    parse_port,
    parse_prefill,
    parse_project,
    parse_rate_limit,
    parse_regime,
)
from .config import (
    CLI_TIMING,
    DEFAULT_PROJECTS,
    FAULT_NAMES,
    PICKUPS,
    SPREADS,
    Faults,
    RateLimit,
    Timing,
)
from .server import Emulator


def build_parser() -> argparse.ArgumentParser:
    """The command line's argument parser."""
    projects = ", ".join(f"{p.name}:{p.deployment}:{p.kind}" for p in DEFAULT_PROJECTS)
    parser = argparse.ArgumentParser(
        prog="asyncclassify emulator",
        description="Serve a local emulator of the Azure AI Language analyze-text jobs API "
        "(both dialects, every api-version). The first line printed is the base URL.",
        epilog=f"Without --project it serves {projects}, with key emulator-key. Example: "
        "asyncclassify emulator --port 0 --rate-limit 1000/6 --retry-after-unit 0.1 "
        "--spread lognormal --jitter 0.4 --base 0.5 --per-document 0.02",
    )
    parser.add_argument(
        "--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1)"
    )
    parser.add_argument(
        "--port", type=parse_port, default=8000, help="the port; 0 picks a free one (default 8000)"
    )
    parser.add_argument(
        "--key", default="emulator-key", help="the accepted resource key (default emulator-key)"
    )
    parser.add_argument("--no-key", action="store_true", help="accept requests without a key")
    parser.add_argument(
        "--bearer-token",
        action="append",
        default=[],
        help="an accepted Entra ID bearer token (repeatable)",
    )
    parser.add_argument(
        "--project",
        action="append",
        type=parse_project,
        default=[],
        metavar="NAME:DEPLOYMENT:KIND[:LABELS]",
        help=f"a deployed project (repeatable); KIND is single, multi or entities; LABELS a "
        f"comma-separated label set (default: the demo labels). Default: {projects}",
    )
    parser.add_argument(
        "--rate-limit",
        type=parse_rate_limit,
        default=RateLimit(),
        metavar="REQUESTS/SECONDS",
        help="requests per sliding window and key, as the service's 1000/60; 'none' for "
        "unlimited (default 1000/60)",
    )
    parser.add_argument(
        "--prefill",
        type=parse_prefill,
        default=(0, None),
        metavar="REQUESTS[:SECONDS]",
        help="start with this many requests already in the key's window, as if another client "
        "had sent them evenly over the last SECONDS (default: none; SECONDS: the whole window)",
    )
    parser.add_argument(
        "--retry-after-unit",
        type=float,
        default=1.0,
        metavar="SECONDS",
        help="the step of Retry-After values on 429: whole seconds as the service (default 1), "
        "0.1 for a window scaled to 6 s",
    )
    timing = parser.add_argument_group(
        "timing",
        "A job stays notStarted for --queue-delay, then each task runs for a duration whose "
        "median is --base + --per-document x documents, spread by --jitter as --spread says. "
        f"Unset, they look like the real service: {_describe(CLI_TIMING)}.",
    )
    timing.add_argument(
        "--fast", action="store_true", help=f"in-process test timing: {_describe(Timing())}"
    )
    timing.add_argument("--queue-delay", type=float, help="seconds a job stays notStarted")
    timing.add_argument("--base", type=float, help="seconds per task")
    timing.add_argument("--per-document", type=float, help="extra seconds per document")
    timing.add_argument(
        "--jitter",
        type=float,
        help="the spread: +- this fraction of the median (uniform), or the standard deviation "
        "of log durations (lognormal, loglogistic; 0.4 is realistic)",
    )
    timing.add_argument(
        "--spread",
        choices=SPREADS,
        help="how durations spread around the median: uniform; lognormal, skewed as the "
        "service's; loglogistic, the same with a heavier tail",
    )
    timing.add_argument(
        "--max-running-jobs",
        type=int,
        help="at most this many jobs of a key run at once; the rest wait notStarted, "
        "first come first served (a long queue)",
    )
    timing.add_argument(
        "--queue-jitter",
        type=float,
        metavar="SIGMA",
        help="the notStarted spell varies from job to job: lognormal around --queue-delay with "
        "this standard deviation of its log (0: every job waits exactly --queue-delay)",
    )
    timing.add_argument(
        "--pickup",
        choices=PICKUPS,
        help="with --max-running-jobs, the order waiting jobs start in: fifo (default), or "
        "random, as shared workers may pick them up",
    )
    timing.add_argument(
        "--slow-share",
        type=float,
        metavar="SHARE",
        help="this share of jobs takes --slow-factor times as long (a bimodal mix; default 0)",
    )
    timing.add_argument(
        "--slow-factor",
        type=float,
        metavar="FACTOR",
        help="how many times as long a slow job takes (default 5)",
    )
    timing.add_argument(
        "--regime",
        action="append",
        type=parse_regime,
        default=[],
        metavar="START:END:FACTOR",
        help="from START to END seconds after the first job was created the service works "
        "FACTOR times as slowly, for the part of each job's run in that spell (repeatable; "
        "e.g. 60:120:2 for a slow spell)",
    )
    faults = parser.add_argument_group(
        "fault injection", "Each fault strikes with its probability, drawn from --seed."
    )
    faults.add_argument(
        "--fault",
        action="append",
        type=parse_fault,
        default=[],
        metavar="NAME=PROBABILITY",
        help=f"inject a fault (repeatable): {', '.join(FAULT_NAMES)}",
    )
    faults.add_argument(
        "--slow-seconds",
        type=float,
        default=1.0,
        help="how late a slow_response answers (default 1 s)",
    )
    faults.add_argument(
        "--retry-after-on-error",
        type=float,
        default=0.5,
        help="the probability that an injected 500/503 carries Retry-After (default 0.5)",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=0,
        help="seeds timing jitter and faults, for reproducible runs (default 0)",
    )
    parser.add_argument(
        "--page-size",
        type=int,
        default=20,
        help="documents per result page unless top= asks (default 20)",
    )
    parser.add_argument(
        "--top-limit",
        type=int,
        default=50,
        help="most documents per result page whatever top= asks (default 50, the service's); "
        "lower it to test paging",
    )
    parser.add_argument(
        "--outage",
        type=parse_outage,
        action="append",
        default=[],
        metavar="START:SECONDS",
        help="be unreachable for SECONDS, START seconds after the first job, then come back "
        "with no jobs (as a restarted service); repeatable",
    )
    parser.add_argument(
        "--retention-seconds",
        type=float,
        default=86400.0,
        help="seconds a job can be read after it was created (default 86400: the service's 24 h)",
    )
    return parser


def _describe(timing: Timing) -> str:
    median = timing.base + timing.per_document * 25
    return (
        f"notStarted {timing.queue_delay:g} s, then {timing.base:g} s + {timing.per_document:g} "
        f"s per document (a median of {median:g} s for 25), {timing.spread} +-{timing.jitter:g}"
    )


def emulator_from_args(args: argparse.Namespace) -> Emulator:
    """An `Emulator` configured from parsed arguments."""
    timing = Timing() if args.fast else CLI_TIMING
    overrides = {
        name: getattr(args, name)
        for name in (
            "queue_delay",
            "base",
            "per_document",
            "jitter",
            "spread",
            "max_running_jobs",
            "queue_jitter",
            "pickup",
            "slow_share",
            "slow_factor",
        )
        if getattr(args, name) is not None
    }
    timing = dataclasses.replace(timing, regimes=tuple(args.regime), **overrides)
    rate_limit = args.rate_limit
    if rate_limit is not None:
        prefill, prefill_seconds = args.prefill
        rate_limit = dataclasses.replace(
            rate_limit,
            prefill=prefill,
            prefill_seconds=prefill_seconds,
            retry_after_unit=args.retry_after_unit,
        )
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
        rate_limit=rate_limit,
        timing=timing,
        faults=faults,
        seed=args.seed,
        page_size=args.page_size,
        top_limit=args.top_limit,
        retention_seconds=args.retention_seconds,
        outages=tuple(args.outage),
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
