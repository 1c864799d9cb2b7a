"""`asyncclassify run`: classify a corpus from files into JSONL."""

from __future__ import annotations

import argparse
import dataclasses
import os
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import anyio
import anyio.to_thread
from yarl import URL

from .._answers import column_names
from .._client import Client
from .._errors import (
    AsyncClassifyError,
    AuthenticationError,
    ConfigurationError,
    EndpointError,
    TaskConfigurationError,
)
from .._models import Task
from .._resources.links import Resource
from .._settings import Pacing
from .._stats import RunStats
from .checks import check_source
from .estimate import estimate, report
from .options import (
    add_arguments,
    connection,
    input_source,
    parse_tasks,
)
from .output import LineWriter, OutputError, result_record
from .progress import Mode, Progress
from .readers import count_documents, read_documents
from .resources import EMULATOR_ENDPOINT, endpoints, resources
from .resuming import (
    DUPLICATE_ID,
    InputIds,
    Kept,
    RunRecord,
    check_output,
    record_path,
    recover,
    write_record,
)
from .sources import Source
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
