"""The command line: `asyncclassify run ...` and `asyncclassify emulator ...`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from . import estimate
from . import evaluate as evaluating
from .options import add_arguments, add_input_arguments
from .run import estimate_command, run_command


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `asyncclassify` command."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args and args[0] == "emulator":
        from ..emulator.cli import main as emulator_main

        return emulator_main(args[1:])
    parser = argparse.ArgumentParser(
        prog="asyncclassify",
        description="Classify text with Azure AI Language custom models, asynchronously.",
    )
    parser.add_argument("--version", action="version", version=f"asyncclassify {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)
    run_parser = commands.add_parser("run", help="classify a corpus into a JSONL file")
    add_arguments(run_parser)
    estimate_parser = commands.add_parser(
        "estimate",
        help="what a run would cost and its shortest time (no key, nothing sent)",
        description="Count documents, billed text records, jobs and requests for an input, "
        "and the shortest time the resource's request budget allows.",
    )
    add_input_arguments(estimate_parser)
    estimate.add_arguments(estimate_parser)
    evaluate_parser = commands.add_parser(
        "evaluate",
        help="score a deployment's answers against gold labels (the [eval] extra)",
        description="Score answers against gold labels: a table a run wrote, with a column of "
        "gold labels, or a Language Studio project export whose test documents are sent now.",
    )
    evaluating.add_arguments(evaluate_parser)
    commands.add_parser("emulator", help="serve the local emulator of the service")
    arguments = parser.parse_args(args)
    if arguments.command == "estimate":
        return estimate_command(arguments)
    if arguments.command == "evaluate":
        return evaluating.evaluate_command(arguments)
    return run_command(arguments)


__all__ = ["main"]
