"""Gold labels as users keep them: a column of the table a run wrote (CSV, TSV or Parquet,
beside the answer columns), or a Language Studio project export (the labels file the
authoring API and Studio export) with the documents' texts in a folder beside it."""

from __future__ import annotations

import csv
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from .._models import TaskKind
from .metrics import Item, Span

PROJECT_KINDS: dict[str, TaskKind] = {
    "CustomSingleLabelClassification": "single",
    "CustomMultiLabelClassification": "multi",
    "CustomEntityRecognition": "entities",
}
DATASETS = ("test", "train", "all")


@dataclass(frozen=True, slots=True)
class LabelledDocument:
    """A document of a project export: its text and its gold labels."""

    id: str
    text: str
    language: str | None
    classes: tuple[str, ...]
    spans: tuple[Span, ...]


@dataclass(frozen=True, slots=True)
class Project:
    """The labelled documents of a project export, of one task kind."""

    kind: TaskKind
    name: str
    documents: list[LabelledDocument]


def read_project(path: str, texts: str | None, dataset: str) -> Project:
    """The documents of `dataset` (test, train or all) in a project export, their texts read
    from the folder `texts` (default: the export's own folder). ValueError says what is
    wrong (a file that is no export, a text that is missing)."""
    try:
        data: Any = orjson.loads(Path(path).read_bytes())
        assets = data["assets"]
        kind = PROJECT_KINDS[assets.get("projectKind") or data["metadata"]["projectKind"]]
        documents = assets["documents"]
    except (OSError, orjson.JSONDecodeError, KeyError, TypeError) as exc:
        raise ValueError(
            f"{path} is not a project export of custom text classification or NER "
            f"(the labels file Language Studio exports): {exc}"
        ) from None
    index = str(data.get("stringIndexType") or "Utf16CodeUnit")
    folder = Path(texts) if texts else Path(path).parent
    chosen = [
        document
        for document in documents
        if dataset == "all" or str(document.get("dataset", "")).lower() == dataset
    ]
    if not chosen and dataset == "test" and not any("dataset" in d for d in documents):
        raise ValueError(
            f"{path} names no test set (its split was left to the service): use --dataset all"
        )
    if not chosen:
        raise ValueError(f"{path} holds no documents in the {dataset} set (--dataset)")
    labelled = [_labelled(document, kind, folder, index) for document in chosen]
    name = str(data.get("metadata", {}).get("projectName") or Path(path).stem)
    return Project(kind, name, labelled)


def _labelled(document: Any, kind: TaskKind, folder: Path, index: str) -> LabelledDocument:
    location = str(document["location"])
    try:
        return _read_labelled(document, location, kind, folder, index)
    except (KeyError, TypeError) as exc:
        raise ValueError(f"{location}: no label where the export's kind has one ({exc})") from None
    except ValueError as exc:
        raise ValueError(f"{location}: {exc}") from None


def _read_labelled(
    document: Any, location: str, kind: TaskKind, folder: Path, index: str
) -> LabelledDocument:
    file = folder / location
    try:
        text = file.read_bytes().decode("utf-8-sig")
    except OSError:
        raise ValueError(
            f"the text of {location!r} is not at {file} (--texts names the folder)"
        ) from None
    except UnicodeDecodeError:
        raise ValueError(f"{file} is not UTF-8 text") from None
    classes: tuple[str, ...] = ()
    spans: tuple[Span, ...] = ()
    if kind == "single":
        classes = (str(document["class"]["category"]),)
    elif kind == "multi":
        classes = tuple(str(label["category"]) for label in document.get("classes", ()))
    else:
        positions = _code_points(text, index)
        spans = tuple(
            _span(label, positions)
            for region in document.get("entities", ())
            for label in region.get("labels", ())
        )
    return LabelledDocument(location, text, document.get("language"), classes, spans)


def _code_points(text: str, index: str) -> dict[int, int]:
    """Offsets in the export's units (UTF-16 code units by default) to code points."""
    if index == "UnicodeCodePoint":
        return {n: n for n in range(len(text) + 1)}
    encoding = "utf-16-le" if index == "Utf16CodeUnit" else "utf-8"
    width = 2 if index == "Utf16CodeUnit" else 1
    positions: dict[int, int] = {}
    unit = 0
    for point, character in enumerate(text):
        positions[unit] = point
        unit += len(character.encode(encoding)) // width
    positions[unit] = len(text)
    return positions


def _span(label: Any, positions: dict[int, int]) -> Span:
    start, length = int(label["offset"]), int(label["length"])
    begin, end = positions.get(start), positions.get(start + length)
    if begin is None or end is None:
        raise ValueError(f"a label's offsets ({start}, {length}) split a character")
    return Span(str(label["category"]), begin, end - begin)


REPEATED = "repeats an id scored on its first row"
UNLABELLED = "no gold label"


def items_from_table(
    path: str,
    kind: TaskKind,
    gold_column: str,
    name: str,
    separator: str,
) -> tuple[list[Item], dict[str, int]]:
    """The rows of a table a run wrote (its answer columns named `name`), scored against
    the gold labels in `gold_column`; and the rows left out, by why (a single-label row
    without a gold label; a row that repeats an id, whose answer is its first row's)."""
    columns = answer_columns_of(path)
    for column in (gold_column, f"{name}_error"):
        if column not in columns:
            shown = ", ".join(repr(c) for c in columns[:20])
            raise ValueError(f"{path} has no column {column!r} (its columns: {shown})")
    items: list[Item] = []
    left_out: dict[str, int] = {}
    for number, row in enumerate(_rows(path), start=1):
        error = str(row.get(f"{name}_error") or "")
        unlabelled = kind == "single" and row.get(gold_column) in (None, "")
        why = REPEATED if error.startswith("DuplicateId:") else UNLABELLED if unlabelled else None
        if why is not None:
            left_out[why] = left_out.get(why, 0) + 1
            continue
        items.append(_item(row, kind, gold_column, name, separator, number))
    if not items and not left_out:
        raise ValueError(f"{path} holds no rows")
    return items, left_out


def answer_columns_of(path: str) -> list[str]:
    """The columns of a table (its header: even a table without rows has one)."""
    if Path(path).suffix.lower() == ".parquet":
        from .._cli import parquet

        return parquet.columns_of(path)
    with open(path, encoding="utf-8-sig", newline="") as handle:
        delimiter = "\t" if Path(path).suffix.lower() == ".tsv" else ","
        return list(csv.DictReader(handle, delimiter=delimiter).fieldnames or ())


def answer_names(path: str) -> list[str]:
    """The tasks whose answers a table holds (the `<name>` of each `<name>_error`)."""
    columns = answer_columns_of(path)
    return [c.removesuffix("_error") for c in columns if c.endswith("_error") and c[:-6] in columns]


def _rows(path: str) -> Iterator[dict[str, Any]]:
    suffix = Path(path).suffix.lower()
    if suffix == ".parquet":
        from .._cli import parquet

        yield from parquet.rows(path, None)
        return
    with open(path, encoding="utf-8-sig", newline="") as handle:
        yield from csv.DictReader(handle, delimiter="\t" if suffix == ".tsv" else ",")


def _item(
    row: dict[str, Any], kind: TaskKind, gold_column: str, name: str, separator: str, number: int
) -> Item:
    identifier = str(row.get("id") or next(iter(row.values()), "") or f"row {number}")
    error = row.get(f"{name}_error") or None
    gold = row.get(gold_column)
    if kind == "entities":
        gold_spans = tuple(_spans(gold))
        found = None if error else tuple(_spans(row.get(name)))
        return Item(identifier, gold_spans=gold_spans, spans=found, error=error)
    if kind == "single":
        gold_classes: tuple[str, ...] = (str(gold or ""),)
        answer = row.get(name)
        confidence: Any = row.get(f"{name}_confidence")
        classes: tuple[tuple[str, float], ...] | None = (
            None if error or answer in (None, "") else ((str(answer), float(confidence)),)
        )
    else:
        gold_classes = tuple(_listed(gold, separator))
        categories = _listed(row.get(name), separator)
        scores = [float(score) for score in _listed(row.get(f"{name}_confidences"), separator)]
        classes = None if error else tuple(zip(map(str, categories), scores, strict=True))
    return Item(identifier, gold_classes=gold_classes, classes=classes, error=error)


def _listed(value: Any, separator: str) -> list[Any]:
    """A list held as a list (Parquet), as JSON text (a run's CSV), or as text split by
    `separator` (gold labels a person typed)."""
    if value is None or value == "":
        return []
    if isinstance(value, list):
        return value
    text = str(value)
    if text.startswith("["):
        parsed = orjson.loads(text)
        if isinstance(parsed, list):
            return parsed
    return [part.strip() for part in text.split(separator) if part.strip()]


def _spans(value: Any) -> Iterator[Span]:
    for entity in _listed(value, "\0"):
        if not isinstance(entity, dict):
            raise ValueError(
                f"an entity must be an object with category, offset, length: {entity!r}"
            )
        yield Span(
            str(entity["category"]),
            int(entity["offset"]),
            int(entity["length"]),
            float(next((entity[k] for k in ("confidence", "confidenceScore") if k in entity), 1.0)),
        )


def items_from_results(
    documents: Sequence[LabelledDocument], answers: Sequence[Any], kind: TaskKind
) -> list[Item]:
    """Items of a project's documents and the library's results for them, in order."""
    items = []
    for document, result in zip(documents, answers, strict=True):
        outcome = result.tasks[0]
        error = None if outcome.error is None else f"{outcome.error.code}: {outcome.error.message}"
        if kind == "entities":
            found = (
                None
                if error
                else tuple(
                    Span(e.category, e.offset, e.length, e.confidence) for e in outcome.entities
                )
            )
            items.append(Item(document.id, gold_spans=document.spans, spans=found, error=error))
        else:
            classes = (
                None
                if error
                else tuple((label.category, label.confidence) for label in outcome.labels)
            )
            items.append(
                Item(document.id, gold_classes=document.classes, classes=classes, error=error)
            )
    return items
