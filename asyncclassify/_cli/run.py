"""`asyncclassify run`: classify a corpus from files into JSONL."""

from __future__ import annotations

import argparse
import codecs
import dataclasses
import os
import signal
import sys
from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread
from yarl import URL

from .._answers import column_names
from .._api import API_VERSIONS, DEFAULT_API_VERSION
from .._client import Client
from .._errors import (
    AsyncClassifyError,
    AuthenticationError,
    ConfigurationError,
    EndpointError,
    TaskConfigurationError,
)
from .._models import TASK_KINDS, Task, parse_task
from .._resources.links import Resource
from .._settings import Pacing
from .._stats import RunStats
from .estimate import estimate, report
from .numbers import whole_number
from .output import LineWriter, OutputError, result_record
from .progress import Mode, Progress
from .readers import (
    FORMATS,
    Source,
    check_source,
    count_documents,
    detect_format,
    read_documents,
)
from .resources import EMULATOR_ENDPOINT, endpoints, resources
from .resuming import (
    DUPLICATE_ID,
    RECORD_SUFFIX,
    InputIds,
    Kept,
    RunRecord,
    check_output,
    record_path,
    recover,
    write_record,
)
from .tables import (
    OutputKind,
    check_columns,
    journal_of,
    kept_columns,
    output_kind,
    write_table,
)

EXIT_OK, EXIT_SOME_FAILED, EXIT_USAGE, EXIT_UNWRITABLE = 0, 1, 2, 3
EXIT_INTERRUPTED, EXIT_BROKEN_PIPE, EXIT_TERMINATED = 130, 141, 143


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


def _record(arguments: argparse.Namespace, names: list[str]) -> RunRecord:
    hosts = [
        endpoint if endpoint == EMULATOR_ENDPOINT else (URL(endpoint).host or endpoint)
        for endpoint in endpoints(arguments)
    ]
    source = arguments.input if arguments.input == "-" else os.path.abspath(arguments.input)
    return RunRecord(tuple(names), arguments.api_version, " ".join(sorted(hosts)), source)


@dataclass(frozen=True, slots=True)
class _Plan:
    """What a run will do, settled before anything is sent or written."""

    tasks: list[Task]
    names: list[str]
    source: Source
    record: RunRecord
    resources: list[Resource] | None
    """The resources with their keys (None for the embedded emulator)."""
    done: Kept
    """The lines the journal holds already (with --resume)."""
    kind: OutputKind
    output: str
    journal: str
    """Where the run's lines go: the output itself, or a table's journal."""
    kept: list[str]
    """The input columns a table carries through."""


def _plan(arguments: argparse.Namespace) -> _Plan:
    """Check the options, the input, the output and the key; read what --resume keeps."""
    tasks, names = parse_tasks(arguments)
    if arguments.resume and arguments.overwrite:
        raise ConfigurationError("--resume and --overwrite contradict each other: choose one")
    if not arguments.output:
        raise ConfigurationError("-o needs a file name (or - for stdout)")
    if arguments.key_file == "-" and arguments.input == "-":
        raise ConfigurationError("stdin cannot be both the input and the key file")
    kind = output_kind(arguments.output)
    journal = journal_of(arguments.output, kind)
    source = input_source(arguments)
    check_source(source)
    if kind == "jsonl" and arguments.keep_columns is not None:
        raise ConfigurationError("--keep-columns: only a .csv, .tsv or .parquet output has columns")
    if kind != "jsonl" and source.path == "-":
        raise ConfigurationError(
            f"-o {arguments.output}: a table is written in the input's order, by reading it "
            "again when the run ends: stdin cannot be read twice; write .jsonl"
        )
    kept = kept_columns(source, arguments.keep_columns) if kind != "jsonl" else []
    check_columns(kept, tasks, column_names(tasks))
    record = _record(arguments, names)
    for path in dict.fromkeys([arguments.output, journal]):
        check_output(
            arguments.input, path, record, resume=arguments.resume, overwrite=arguments.overwrite
        )
    # A missing key stops the run before any output is touched.
    given = None if arguments.emulator else resources(arguments)
    done = Kept()
    if arguments.resume:
        kinds = [(name, task.kind) for name, task in zip(names, tasks, strict=True)]
        done = recover(journal, resend_errors=arguments.retry_errors, tasks=kinds)
    return _Plan(tasks, names, source, record, given, done, kind, arguments.output, journal, kept)


async def _run(arguments: argparse.Namespace, plan: _Plan, progress_box: list[Progress]) -> int:
    names, record, done = plan.names, plan.record, plan.done
    mode: Mode = "off" if arguments.quiet else ("bar" if sys.stderr.isatty() else "log")
    progress = Progress(RunStats(), None, mode, kept=done.total)
    progress_box.append(progress)
    progress.ok = done.answered
    progress.failed = done.total - done.answered

    def keep_record() -> None:
        if arguments.output != "-" and _regular_file(arguments.output):
            write_record(arguments.output, record)

    writer = LineWriter(plan.journal, append=arguments.resume, on_open=keep_record)

    def malformed(document_id: str, problem: str) -> None:
        writer.write({"id": document_id, "error": {"code": "MalformedInput", "message": problem}})
        progress.failed += 1

    def warn(message: str) -> None:
        print(f"asyncclassify: warning: {message}", file=sys.stderr)

    ids = InputIds(done)

    def unrepeated(documents: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for document in documents:
            if ids.repeated(document["id"]):
                problem = f"duplicate id: an earlier record of {plan.source.name} has it"
                error = {"code": DUPLICATE_ID, "message": problem}
                writer.write({"id": document["id"], "error": error})
                progress.failed += 1
            else:
                yield document

    documents = unrepeated(read_documents(plan.source, malformed, ids, warn))
    terminated = False
    try:
        async with (
            connection(arguments, plan.resources) as given,
            Client(
                resources=given,
                api_version=arguments.api_version,
                language=arguments.language,
                pacing=Pacing()
                if arguments.max_concurrency is None
                else Pacing(max_jobs_in_flight=arguments.max_concurrency),
            ) as client,
            # Ctrl-C cancels the jobs in flight on the service: nobody would read them.
            # (The input's repeated ids are found above, kept lines included.)
            client.stream(
                documents, *plan.tasks, cancel_remote=True, check_duplicate_ids=False
            ) as results,
        ):
            progress.stats, progress.pacers = results.stats, list(client.pacers.values())
            failure: Exception | None = None
            async with anyio.create_task_group() as reporting:

                def terminate() -> None:
                    nonlocal terminated
                    terminated = True
                    reporting.cancel_scope.cancel()

                reporting.start_soon(_on_terminate, terminate)
                if progress.enabled:
                    reporting.start_soon(_report, progress)
                    if plan.source.path != "-":
                        reporting.start_soon(_count, progress, plan.source)
                try:
                    async for result in results:
                        writer.write(result_record(result, names))
                        if result.ok:
                            progress.ok += 1
                        else:
                            progress.failed += 1
                        progress.update()
                except Exception as exc:  # raised as itself, not in a group with the timer
                    failure = exc
                reporting.cancel_scope.cancel()
            if failure is not None:
                raise failure
        if terminated:
            print(
                "terminated: the jobs in flight were cancelled; run again with --resume to finish",
                file=sys.stderr,
            )
            return EXIT_TERMINATED
        writer.open()  # an empty corpus still leaves its (empty) output
    except FAILS_EVERY_DOCUMENT:
        # The run stopped before anything was answered (a task or a key refused): what it
        # wrote (error lines of bad records) is of no use, and would refuse the corrected run.
        if not arguments.resume and progress.ok == 0:
            writer.discard()
            if arguments.output != "-":
                record_path(arguments.output).unlink(missing_ok=True)
        raise
    finally:
        writer.close()
        progress.finish()
    if progress.ok + progress.failed == 0:
        warn(f"{plan.source.name} holds no documents: nothing was sent")
    if ids.unseen:
        warn(f"{ids.unseen} lines kept in {plan.journal} are for ids the input no longer holds")
    return EXIT_SOME_FAILED if progress.failed else EXIT_OK


FAILS_EVERY_DOCUMENT = (
    ConfigurationError,
    AuthenticationError,
    EndpointError,
    TaskConfigurationError,
)
"""What stops a run as a whole (a task, a key or an endpoint refused)."""


def _write_table(plan: _Plan) -> int:
    columns = column_names(plan.tasks)
    return write_table(
        plan.source,
        plan.journal,
        plan.output,
        plan.kind,
        plan.tasks,
        plan.names,
        columns,
        plan.kept,
    )


async def _on_terminate(terminate: Callable[[], None]) -> None:
    """SIGTERM (a service manager stopping us) winds the run down as Ctrl-C does."""
    with anyio.open_signal_receiver(signal.SIGTERM) as signals:
        async for _ in signals:
            terminate()
            return


async def _count(progress: Progress, source: Source) -> None:
    """Count the input's records beside the run, for the progress's total: nothing waits
    for a large input to be read twice."""
    try:
        total = await anyio.to_thread.run_sync(count_documents, source, abandon_on_cancel=True)
    except (ValueError, OSError):
        return  # the run's own reading reports what is wrong with the input, as itself
    progress.set_total(total)


async def _report(progress: Progress) -> None:
    """Redraw the progress on a timer, whether results come or not."""
    while True:
        await anyio.sleep(progress.interval)
        progress.tick()


def estimate_command(arguments: argparse.Namespace) -> int:
    """Run `asyncclassify estimate` and return its exit status."""
    try:
        tasks, _ = parse_tasks(arguments)
        source = input_source(arguments)
        invalid = 0

        def malformed(_id: str, _problem: str) -> None:
            nonlocal invalid
            invalid += 1

        result = estimate(
            read_documents(source, malformed),
            tasks,
            arguments.api_version,
            arguments.requests_per_minute,
        )
    except (AsyncClassifyError, ValueError, OSError) as exc:
        print(f"asyncclassify: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    report(dataclasses.replace(result, invalid=result.invalid + invalid), arguments.price)
    return EXIT_OK


def run_command(arguments: argparse.Namespace) -> int:
    """Run `asyncclassify run` and return its exit status."""
    progress: list[Progress] = []
    plan: _Plan | None = None
    try:
        plan = _plan(arguments)
        status = anyio.run(_run, arguments, plan, progress)
        if plan.kind != "jsonl" and status in (EXIT_OK, EXIT_SOME_FAILED):
            # Out of the event loop, so that a Ctrl-C stops it at once (leaving no table).
            try:
                rows = _write_table(plan)
            except OSError as exc:
                raise OutputError(
                    f"could not write {plan.output} ({exc.strerror or exc}): the answers are "
                    f"whole in {plan.journal}; make room, then run again with --resume to "
                    "write the table"
                ) from exc
            if not arguments.quiet:
                print(f"wrote {rows:,} rows to {arguments.output}", file=sys.stderr)
    except BrokenPipeError:
        # The reader of stdout left (`| head`): stop quietly, as other tools do. (Jobs in
        # flight were cancelled on the way out.)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except KeyboardInterrupt:
        status = EXIT_INTERRUPTED
        table = plan is not None and plan.kind != "jsonl"
        print(
            "interrupted: the jobs in flight were cancelled"
            + (", and no table was written" if table else "")
            + "; run again with --resume to finish",
            file=sys.stderr,
        )
    except OutputError as exc:
        print(f"asyncclassify: error: {exc}", file=sys.stderr)
        return EXIT_UNWRITABLE
    except (AsyncClassifyError, ValueError, OSError) as exc:
        print(f"asyncclassify: error: {exc}", file=sys.stderr)
        if isinstance(exc, TaskConfigurationError) and exc.task is None:
            print(
                "asyncclassify: the refused documents have error lines: choose another "
                "--language and run again with --resume --retry-errors",
                file=sys.stderr,
            )
        # A refused key, a wrong endpoint or a task that cannot run is the configuration's
        # fault, like a missing key.
        configuration = (*FAILS_EVERY_DOCUMENT, ValueError, OSError)
        return EXIT_USAGE if isinstance(exc, configuration) else EXIT_SOME_FAILED
    if progress and not arguments.quiet:
        print(progress[0].summary(), file=sys.stderr)
    return status


def _regular_file(path: str) -> bool:
    """Whether `path` is (or will be) a regular file, not a device such as /dev/null."""
    return not os.path.exists(path) or os.path.isfile(path)


def main(argv: Sequence[str] | None = None) -> int:
    """Parse `run` arguments alone (for tests) and run."""
    parser = argparse.ArgumentParser(prog="asyncclassify run")
    add_arguments(parser)
    return run_command(parser.parse_args(argv))
