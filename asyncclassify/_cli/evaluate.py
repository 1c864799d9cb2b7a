"""`asyncclassify evaluate`: how good a deployment is on labelled documents.

Either the table a run wrote (`run tickets.csv -o labelled.csv`: the input's columns, a gold
label among them, beside the answer columns), scored against `--gold-column`; or a Language
Studio project export with its texts, whose test documents are sent to the deployment now
and scored against their labels. A terminal table, and with `--json` every figure, with
`--report` a self-contained HTML page with its plots (the `[eval]` extra: scikit-learn and
nervaluate compute the metrics).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import anyio
import orjson

from .._client import Client
from .._errors import AsyncClassifyError, ConfigurationError
from .._models import TaskKind, parse_task
from .._settings import Pacing
from .options import add_connection_arguments, add_task_arguments, connection, parse_tasks
from .resources import resources
from .run import EXIT_OK, EXIT_USAGE

KIND_NAMES: dict[TaskKind, str] = {
    "single": "single-label",
    "multi": "multi-label",
    "entities": "entity recognition",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `evaluate` command's options."""
    parser.add_argument(
        "table",
        nargs="?",
        help="the .csv, .tsv or .parquet file a run wrote (gold labels in a column of it)",
    )
    parser.add_argument("--gold-column", help="the table's column of gold labels")
    parser.add_argument(
        "--answers",
        metavar="NAME",
        help="the task whose answer columns to score (default: the table's only task)",
    )
    parser.add_argument(
        "--separator",
        default=",",
        help="what separates a multi-label gold cell's labels (default: ,; JSON lists too)",
    )
    parser.add_argument(
        "--project",
        metavar="EXPORT.json",
        help="a Language Studio project export: send its documents to --task and score them",
    )
    parser.add_argument("--texts", help="the folder of the export's documents (default: its own)")
    parser.add_argument(
        "--dataset",
        choices=("test", "train", "all"),
        default="test",
        help="the export's documents to score (default: test)",
    )
    add_task_arguments(parser)  # (with --project: the deployment to score, one task)
    add_connection_arguments(parser)
    parser.add_argument("--json", metavar="FILE", help="write every figure to this JSON file")
    parser.add_argument("--report", metavar="FILE.html", help="write an HTML report with plots")


def evaluate_command(arguments: argparse.Namespace) -> int:
    """Run `asyncclassify evaluate` and return its exit status."""
    try:
        from .._evaluation.metrics import score
        from .._evaluation.report import html_report, text_report
    except ImportError as exc:
        print(f"asyncclassify: error: {missing_extra(exc)}", file=sys.stderr)
        return EXIT_USAGE
    try:
        for option, path in (("--json", arguments.json), ("--report", arguments.report)):
            folder = Path(path).parent if path else None
            if folder is not None and not folder.is_dir():
                raise ConfigurationError(f"{option} {path}: the folder {folder} does not exist")
        kind, title, items, left_out = _items(arguments)
        scores = score(kind, items, left_out)
        sys.stdout.write(text_report(scores, title))
        if arguments.json:
            figures = {"kind": scores.kind, "documents": scores.documents, **scores.figures}
            figures["unanswered"] = scores.unanswered
            figures["left_out"] = scores.left_out
            Path(arguments.json).write_bytes(orjson.dumps(figures, option=orjson.OPT_INDENT_2))
        if arguments.report:
            Path(arguments.report).write_text(html_report(scores, title), encoding="utf-8")
    except ImportError as exc:
        print(f"asyncclassify: error: {missing_extra(exc)}", file=sys.stderr)
        return EXIT_USAGE
    except (AsyncClassifyError, ValueError, OSError, KeyError, TypeError) as exc:
        print(f"asyncclassify: error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    return EXIT_OK


def missing_extra(exc: ImportError) -> str:
    """What to install when a module of the `[eval]` extra is missing."""
    return f"{exc.name or exc}: evaluate needs pip install 'asyncclassify[eval]'"


def _items(arguments: argparse.Namespace) -> tuple[TaskKind, str, list[Any], dict[str, int]]:
    from .._evaluation.gold import answer_names, items_from_table

    if arguments.table is not None and arguments.project is not None:
        raise ConfigurationError("give a table a run wrote, or --project EXPORT.json: not both")
    if arguments.table is None and arguments.project is None:
        raise ConfigurationError("give a table a run wrote (.csv, .tsv, .parquet), or --project")
    if arguments.project is not None:
        kind, title, items = _project_items(arguments)
        return kind, title, items, {}
    if Path(arguments.table).suffix.lower() not in (".csv", ".tsv", ".parquet"):
        raise ConfigurationError(
            f"{arguments.table}: evaluate reads the .csv, .tsv or .parquet table a run wrote "
            "(-o answered.csv), which keeps the input's gold label column beside the answers"
        )
    if not arguments.gold_column:
        raise ConfigurationError("--gold-column names the table's column of gold labels")
    names = answer_names(arguments.table)
    answers = arguments.answers
    if answers and ":" in answers:  # a task as --task spells it: its answers' name
        answers = parse_task(answers).project or answers
    name = answers or (names[0] if len(names) == 1 else None)
    if name is None or name not in names:
        found = ", ".join(names) or "none"
        raise ConfigurationError(f"--answers: name one of the table's tasks ({found})")
    kind = _kind_of(arguments.table, name)
    items, left_out = items_from_table(
        arguments.table, kind, arguments.gold_column, name, arguments.separator
    )
    title = f"{name} against {arguments.gold_column} ({Path(arguments.table).name})"
    return kind, title, items, left_out


def _kind_of(table: str, name: str) -> TaskKind:
    from .._evaluation.gold import answer_columns_of

    columns = answer_columns_of(table)
    if f"{name}_confidence" in columns:
        return "single"
    if f"{name}_confidences" in columns:
        return "multi"
    return "entities"


def _project_items(arguments: argparse.Namespace) -> tuple[TaskKind, str, list[Any]]:
    from .._evaluation.gold import items_from_results, read_project

    project = read_project(arguments.project, arguments.texts, arguments.dataset)
    if not arguments.task:
        raise ConfigurationError("--project needs --task KIND:PROJECT:DEPLOYMENT: the deployment")
    tasks, names = parse_tasks(arguments)
    if len(tasks) != 1:
        raise ConfigurationError("--project scores one --task: the deployment of that project")
    task = tasks[0]
    if task.kind != project.kind:
        raise ConfigurationError(
            f"--task {names[0]} is a {KIND_NAMES[task.kind]} task; {arguments.project} is a "
            f"{KIND_NAMES[project.kind]} project"
        )
    given = None if arguments.emulator else resources(arguments)
    documents = [
        {"id": document.id, "text": document.text, **_language(document.language)}
        for document in project.documents
    ]

    async def answer() -> list[Any]:
        async with (
            connection(arguments, given) as connected,
            Client(
                resources=connected,
                api_version=arguments.api_version,
                language=arguments.language,
                pacing=Pacing(),
            ) as client,
        ):
            return await client.classify(documents, task)

    results = anyio.run(answer)
    chosen = "all documents" if arguments.dataset == "all" else f"the {arguments.dataset} set"
    title = f"{names[0]} on {chosen} of {project.name}"
    return project.kind, title, items_from_results(project.documents, results, project.kind)


def _language(language: str | None) -> dict[str, str]:
    """A project's language (en-us) as the service takes it (en)."""
    return {"language": language.split("-")[0]} if language else {}
