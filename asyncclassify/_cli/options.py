"""The command line's options: what to read, which tasks, which resources, and how they
become a source, tasks and a client."""

from __future__ import annotations

import argparse
import codecs
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from .._api import API_VERSIONS, DEFAULT_API_VERSION
from .._errors import (
    ConfigurationError,
)
from .._models import TASK_KINDS, Task, parse_task
from .._resources.links import Resource
from .numbers import whole_number
from .readers import detect_format
from .resuming import (
    RECORD_SUFFIX,
)
from .sources import FORMATS, Source

EPILOG = """\
examples:
  asyncclassify run --emulator examples/tickets.jsonl -o out.jsonl --task single:support:prod
  export AZURE_LANGUAGE_ENDPOINT=https://<resource>.cognitiveservices.azure.com
  export AZURE_LANGUAGE_KEY=...          # or --key-file, never --key on a shared machine
  asyncclassify run tickets.csv -o labels.jsonl --task single:support-router:prod
  asyncclassify run docs/ -o out.jsonl --task entities:loans:prod --task multi:genres:v3
  asyncclassify run tickets.csv -o labels.jsonl --task single:support-router:prod --resume
  asyncclassify run tickets.parquet -o labelled.parquet --task single:support-router:prod \
      --id-column ticket_id --text-column body --keep-columns ticket_id,created_at

exit status:
  0    every document answered
  1    some documents have error lines (the run itself finished)
  2    usage or configuration: bad options, a key or endpoint refused, a task that cannot run
       (unknown project or deployment), an output that would destroy data; nothing lost
  3    the output could not be written (a full disk): it is intact up to its last line,
       and --resume finishes the run
  130  interrupted (Ctrl-C): jobs in flight were cancelled; --resume finishes the run
  141  the reader of stdout left (| head)
  143  terminated (SIGTERM): the same
"""


def add_input_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that say what to read and which tasks to run (`run` and `estimate`)."""
    parser.add_argument(
        "input",
        help="JSONL, JSON array, CSV/TSV or text file, a folder of .txt files, or - for stdin",
    )
    parser.add_argument("--format", choices=FORMATS, help="input format (default: from the name)")
    parser.add_argument(
        "--id-column", default="id", help="CSV column (or JSON field) of the ids (default: id)"
    )
    parser.add_argument(
        "--text-column",
        default="text",
        help="CSV column (or JSON field) of the texts (default: text)",
    )
    parser.add_argument(
        "--language-column",
        help="CSV column (or JSON field) of the language codes (optional; JSON: language)",
    )
    parser.add_argument(
        "--delimiter", help="CSV field delimiter (default: , for .csv, a tab for .tsv)"
    )
    parser.add_argument(
        "--encoding", default="utf-8", help="text encoding of the input (default: utf-8)"
    )
    add_task_arguments(parser)


def add_task_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that name the tasks, the API and the budget (`run`, `estimate`,
    `evaluate`)."""
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
    parser.add_argument(
        "--api-version",
        default=DEFAULT_API_VERSION,
        choices=API_VERSIONS,
        help=f"the service's API (default: {DEFAULT_API_VERSION})",
    )
    parser.add_argument(
        "--requests-per-minute",
        type=whole_number,
        default=1000,
        help="the resource's request budget (default: 1000, the service's for custom tasks)",
    )


def add_connection_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that say which resources answer (`run` and `evaluate`)."""
    parser.add_argument(
        "--endpoint",
        action="append",
        help="the resource's URL (default: $AZURE_LANGUAGE_ENDPOINT); repeat it to spread the "
        "jobs over several resources the projects are deployed to, each key then in "
        "$AZURE_LANGUAGE_KEY_<first label of its host>",
    )
    parser.add_argument(
        "--resources",
        metavar="FILE",
        help="a TOML file of [[resource]] tables (endpoint, key_env or key_file, "
        "requests_per_minute): the resources to spread the jobs over",
    )
    parser.add_argument(
        "--key-file",
        help="read the key from this file's first line, or from stdin with - "
        "(default: $AZURE_LANGUAGE_KEY)",
    )
    parser.add_argument(
        "--key",
        help="the key itself: the worst choice, since every user of the machine sees it in "
        "ps and it stays in the shell's history; prefer $AZURE_LANGUAGE_KEY or --key-file",
    )
    parser.add_argument(
        "--emulator",
        action="store_true",
        help="run against the embedded emulator (a demo needing no Azure)",
    )
    parser.add_argument(
        "--language", default="en", help="language of documents that name none (default: en)"
    )


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `run` command's options."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    add_input_arguments(parser)
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        help="the file to write: .jsonl (or - for stdout), .csv, .tsv or .parquet (a row per "
        "input record, in the input's order, written whole when the run ends)",
    )
    parser.add_argument(
        "--keep-columns",
        metavar="all|none|A,B",
        help="the input's columns a .csv, .tsv or .parquet output carries through (default: "
        "all of a CSV or Parquet input's; the ids of other inputs)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="finish the run that wrote the output: keep its answered lines, send the rest "
        "(and documents whose line is a transient error) again",
    )
    parser.add_argument(
        "--overwrite", action="store_true", help="replace an existing output (default: refuse)"
    )
    parser.add_argument(
        "--retry-errors",
        action="store_true",
        help="with --resume, send documents whose line is any error again",
    )
    add_connection_arguments(parser)
    parser.add_argument(
        "--max-concurrency",
        type=whole_number,
        default=None,
        help="most jobs in flight per resource (default: what the budget needs, up to 2,000)",
    )
    parser.add_argument("--quiet", action="store_true", help="no progress and no summary")


def parse_tasks(arguments: argparse.Namespace) -> tuple[list[Task], list[str]]:
    """The tasks of the run and the names they get in the output."""
    tasks: list[Task] = []
    names: list[str] = []
    for spec in arguments.task:
        try:
            if spec.count(":") != 2:
                raise ValueError(spec)
            tasks.append(parse_task(spec))  # (the grammar the library takes task strings in)
        except ValueError:
            raise ConfigurationError(
                f"--task takes KIND:PROJECT:DEPLOYMENT with KIND single, multi or entities; "
                f"got {spec!r}"
            ) from None
        names.append(spec)
    for spec in arguments.model_id:
        kind, _, model = spec.partition(":")
        if kind not in TASK_KINDS or not model:
            raise ConfigurationError(f"--model-id takes KIND:MODEL; got {spec!r}")
        tasks.append(TASK_KINDS[kind](model_id=model))
        names.append(spec)
    if not tasks:
        raise ConfigurationError("give at least one --task (or --model-id)")
    if len(set(names)) != len(names):
        raise ConfigurationError("the same task is given twice")
    return tasks, names


def input_source(arguments: argparse.Namespace) -> Source:
    """The input the options name, checked to exist and to have a known encoding."""
    if arguments.input != "-" and not os.path.exists(arguments.input):
        raise ConfigurationError(f"the input {arguments.input!r} does not exist")
    try:
        codecs.lookup(arguments.encoding)
    except LookupError:
        raise ConfigurationError(f"--encoding: no encoding {arguments.encoding!r}") from None
    output = getattr(arguments, "output", "-")
    exclude: frozenset[str] = frozenset()
    if output and output != "-":
        own = os.path.abspath(output)
        exclude = frozenset(os.path.realpath(path) for path in (own, own + RECORD_SUFFIX))
    form = arguments.format or detect_format(arguments.input)
    if form in ("text", "folder"):
        given = [
            flag
            for flag, value, default in (
                ("--id-column", arguments.id_column, "id"),
                ("--text-column", arguments.text_column, "text"),
                ("--language-column", arguments.language_column, None),
                ("--delimiter", arguments.delimiter, None),
            )
            if value != default
        ]
        if given:
            what = (
                "a folder of .txt files" if form == "folder" else "plain text (a document a line)"
            )
            raise ConfigurationError(
                f"{given[0]}: the input {arguments.input!r} is read as {what}, which has no "
                "columns; pass --format csv or jsonl if it has them"
            )
    return Source(
        arguments.input,
        form,
        arguments.encoding,
        _delimiter(arguments.delimiter),
        (arguments.id_column, arguments.text_column, arguments.language_column),
        exclude,
    )


DELIMITER_NAMES = {"\\t": "\t", "tab": "\t", "\t": "\t", "comma": ",", "semicolon": ";"}


def _delimiter(given: str | None) -> str | None:
    """`--delimiter` as one character (`\\t` and `tab` name a tab)."""
    if given is None:
        return None
    delimiter = DELIMITER_NAMES.get(given.lower(), given)
    if len(delimiter) != 1:
        raise ConfigurationError(f"--delimiter takes one character (or tab, \\t), got {given!r}")
    return delimiter


@asynccontextmanager
async def connection(
    arguments: argparse.Namespace, given: list[Resource] | None
) -> AsyncIterator[list[Resource]]:
    if arguments.emulator:
        from ..emulator import Emulator, Timing

        async with Emulator(timing=Timing(queue_delay=0.05, base=0.3, per_document=0.005)) as emu:
            yield [Resource(emu.endpoint, emu.key or "", arguments.requests_per_minute)]
        return
    assert given is not None
    yield given
