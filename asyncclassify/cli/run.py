"""`asyncclassify run`: classify a corpus from files into JSONL."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import anyio

from ..api import API_VERSIONS, DEFAULT_API_VERSION
from ..client import Client
from ..errors import (
    AsyncClassifyError,
    AuthenticationError,
    ConfigurationError,
    EndpointError,
    TaskConfigurationError,
)
from ..models import CustomEntities, MultiLabel, SingleLabel, Task
from ..stats import RunStats
from .output import LineWriter, recover, result_record
from .progress import Progress
from .readers import FORMATS, count_documents, detect_format, read_documents

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
_TASK_TYPES: dict[str, type[SingleLabel] | type[MultiLabel] | type[CustomEntities]] = {
    "single": SingleLabel,
    "multi": MultiLabel,
    "entities": CustomEntities,
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `run` command's options."""
    parser.add_argument(
        "input", help="JSONL, CSV or text file, a folder of .txt files, or - for stdin"
    )
    parser.add_argument(
        "-o", "--output", required=True, help="JSONL file to write, or - for stdout"
    )
    parser.add_argument("--format", choices=FORMATS, help="input format (default: from the name)")
    parser.add_argument("--id-column", default="id", help="CSV column of the ids")
    parser.add_argument("--text-column", default="text", help="CSV column of the texts")
    parser.add_argument("--language-column", help="CSV column of the language codes")
    parser.add_argument(
        "--task",
        action="append",
        default=[],
        metavar="KIND:PROJECT:DEPLOYMENT",
        help="single, multi or entities; repeat for several tasks in one job",
    )
    parser.add_argument(
        "--model-id",
        action="append",
        default=[],
        metavar="KIND:MODEL",
        help="a task of api-version v3.1-preview.ct.1, which names models",
    )
    parser.add_argument("--api-version", default=DEFAULT_API_VERSION, choices=API_VERSIONS)
    parser.add_argument("--endpoint", help="default: $AZURE_LANGUAGE_ENDPOINT")
    parser.add_argument("--key", help="default: $AZURE_LANGUAGE_KEY")
    parser.add_argument(
        "--emulator",
        action="store_true",
        help="run against the embedded emulator (a demo needing no Azure)",
    )
    parser.add_argument("--language", default="en", help="language of documents that name none")
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the output's finished lines and do only the rest",
    )
    parser.add_argument("--max-concurrency", type=int, default=100, help="most jobs in flight")
    parser.add_argument(
        "--requests-per-minute", type=int, default=1000, help="the resource's request budget"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress and no summary")


def parse_tasks(arguments: argparse.Namespace) -> tuple[list[Task], list[str]]:
    """The tasks of the run and the names they get in the output."""
    tasks: list[Task] = []
    names: list[str] = []
    for spec in arguments.task:
        parts = spec.split(":")
        if len(parts) != 3 or parts[0] not in _TASK_TYPES or not all(parts):
            raise ConfigurationError(
                f"--task takes KIND:PROJECT:DEPLOYMENT with KIND single, multi or entities; "
                f"got {spec!r}"
            )
        tasks.append(_TASK_TYPES[parts[0]](parts[1], parts[2]))
        names.append(spec)
    for spec in arguments.model_id:
        kind, _, model = spec.partition(":")
        if kind not in _TASK_TYPES or not model:
            raise ConfigurationError(f"--model-id takes KIND:MODEL; got {spec!r}")
        tasks.append(_TASK_TYPES[kind](model_id=model))
        names.append(spec)
    if not tasks:
        raise ConfigurationError("give at least one --task (or --model-id)")
    if len(set(names)) != len(names):
        raise ConfigurationError("the same task is given twice")
    return tasks, names


@asynccontextmanager
async def _connection(arguments: argparse.Namespace) -> AsyncIterator[tuple[str, str]]:
    if arguments.emulator:
        from ..emulator import Emulator, Timing

        async with Emulator(timing=Timing(queue_delay=0.05, base=0.3, per_document=0.005)) as emu:
            yield emu.endpoint, emu.key or ""
        return
    endpoint = arguments.endpoint or os.environ.get("AZURE_LANGUAGE_ENDPOINT")
    key = arguments.key or os.environ.get("AZURE_LANGUAGE_KEY")
    if not endpoint:
        raise ConfigurationError("no endpoint: pass --endpoint or set AZURE_LANGUAGE_ENDPOINT")
    if not key:
        raise ConfigurationError("no key: pass --key or set AZURE_LANGUAGE_KEY")
    yield endpoint, key


async def _run(arguments: argparse.Namespace, progress_box: list[Progress]) -> int:
    tasks, names = parse_tasks(arguments)
    form = arguments.format or detect_format(arguments.input)
    if arguments.resume and arguments.output == "-":
        raise ConfigurationError("--resume needs an output file, not stdout")
    done = recover(arguments.output) if arguments.resume else {}
    show = not arguments.quiet and sys.stderr.isatty()
    total = count_documents(arguments.input, form) if show else None
    progress = Progress(RunStats(), total, show)
    progress_box.append(progress)
    writer = LineWriter(arguments.output, append=arguments.resume)
    progress.ok = sum(done.values())
    progress.failed = len(done) - progress.ok

    def malformed(document_id: str, problem: str) -> None:
        writer.write({"id": document_id, "error": {"code": "MalformedInput", "message": problem}})
        progress.failed += 1

    documents = read_documents(
        arguments.input,
        form,
        malformed,
        done,
        (arguments.id_column, arguments.text_column, arguments.language_column),
    )
    try:
        async with (
            _connection(arguments) as (endpoint, key),
            Client(
                endpoint,
                key,
                api_version=arguments.api_version,
                language=arguments.language,
                max_concurrency=arguments.max_concurrency,
                requests_per_minute=arguments.requests_per_minute,
            ) as client,
            client.stream(documents, *tasks) as results,
        ):
            progress.stats = results.stats
            async for result in results:
                writer.write(result_record(result, names))
                if result.ok:
                    progress.ok += 1
                else:
                    progress.failed += 1
                progress.update()
        writer.open()  # an empty corpus still leaves its (empty) output
    finally:
        writer.close()
        progress.finish()
    return EXIT_SOME_FAILED if progress.failed else EXIT_OK


def run_command(arguments: argparse.Namespace) -> int:
    """Run `asyncclassify run` and return its exit status."""
    progress: list[Progress] = []
    try:
        status = anyio.run(_run, arguments, progress)
    except KeyboardInterrupt:
        status = EXIT_INTERRUPTED
        print("interrupted; run again with --resume to finish", file=sys.stderr)
    except (AsyncClassifyError, ValueError, OSError) as exc:
        print(f"asyncclassify: error: {exc}", file=sys.stderr)
        # A refused key, a wrong endpoint or a task that cannot run is the configuration's
        # fault, like a missing key.
        configuration = (
            ConfigurationError
            | AuthenticationError
            | EndpointError
            | TaskConfigurationError
            | ValueError
            | OSError
        )
        return EXIT_USAGE if isinstance(exc, configuration) else EXIT_SOME_FAILED
    if progress and not arguments.quiet:
        print(progress[0].summary(), file=sys.stderr)
    return status


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `run` arguments alone (for tests) and run."""
    parser = argparse.ArgumentParser(prog="asyncclassify run")
    add_arguments(parser)
    return run_command(parser.parse_args(argv))
