"""`asyncclassify evaluate`: the emulator's model is deterministic, so gold labels with known
mistakes give known scores; each figure is checked against the library that defines it
(scikit-learn, nervaluate) on the same pairs."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from sklearn.metrics import (
    accuracy_score,
    confusion_matrix,
    hamming_loss,
    precision_recall_fscore_support,
)
from sklearn.preprocessing import MultiLabelBinarizer

from asyncclassify.emulator import Emulator
from asyncclassify.emulator.model import classify_multi, classify_single, recognize_entities

from .helpers import COMMAND, ENTITIES, MULTI, PROJECTS, SINGLE, UNHURRIED, connect, run_cli

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

EVALUATE = [*COMMAND[:-1], "evaluate"]
TICKETS = [
    "My invoice was charged twice",
    "The app crashes at login",
    "Where is my parcel? It is late",
    "Please close my account",
    "Refund the wrong price on my bill",
    "Password reset does not work",
    "The courier lost the package",
    "Update my email address",
]


def _single(text: str) -> str:
    return classify_single(text, PROJECTS["single"].labels).category


async def _table(emulator: Emulator, tmp_path: Path, rows: list[dict[str, str]], task: str) -> Path:
    corpus, output = tmp_path / "gold.csv", tmp_path / "answered.csv"
    with corpus.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    done = await run_cli(corpus, "-o", output, "--task", task, *connect(emulator), *UNHURRIED)
    assert done.returncode in (0, 1), done.stderr
    return output


async def test_single_label_scores_are_scikit_learns_and_unanswered_count_as_wrong(
    emulator: Emulator, tmp_path: Path
) -> None:
    # 2,000 labelled documents; every seventh gold label differs from the model's answer.
    texts = [f"Ticket {n}: {TICKETS[n % len(TICKETS)]}" for n in range(2_000)]
    answers = [_single(text) for text in texts]
    classes_seen = sorted(set(answers))
    gold = [
        classes_seen[(classes_seen.index(answer) + 1) % len(classes_seen)] if n % 7 == 0 else answer
        for n, answer in enumerate(answers)
    ]
    rows = [
        {"id": f"t{n}", "text": text, "label": label}
        for n, (text, label) in enumerate(zip(texts, gold, strict=True))
    ]
    rows.append({"id": "empty", "text": "", "label": "Billing"})  # no answer: the service refuses
    output = await _table(emulator, tmp_path, rows, SINGLE)
    figures_file, report = tmp_path / "scores.json", tmp_path / "report.html"
    done = await run_cli(
        output, "--gold-column", "label", "--json", figures_file, "--report", report,
        command=EVALUATE,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    figures = json.loads(figures_file.read_text(encoding="utf-8"))
    truth = [*gold, "Billing"]
    predicted = [*answers, "(no answer)"]
    assert figures["accuracy"] == pytest.approx(accuracy_score(truth, predicted))
    wrong = 1 + sum(1 for n in range(2_000) if n % 7 == 0)
    assert figures["accuracy"] == pytest.approx(1 - wrong / 2_001)
    classes = sorted(set(truth) | set(answers))
    expected = precision_recall_fscore_support(truth, predicted, labels=classes, zero_division=0)
    for position, name in enumerate(classes):
        got = figures["classes"][name]
        assert [got["precision"], got["recall"], got["f1"], got["support"]] == pytest.approx(
            [figure[position] for figure in expected]
        )
    macro = precision_recall_fscore_support(
        truth, predicted, labels=classes, average="macro", zero_division=0
    )
    assert [figures["averages"]["macro"][k] for k in ("precision", "recall", "f1")] == (
        pytest.approx(list(macro[:3]))
    )
    # Micro averages count every document, the unanswered one as a wrong answer.
    micro = precision_recall_fscore_support(
        truth, predicted, labels=[*classes, "(no answer)"], average="micro", zero_division=0
    )
    assert [figures["averages"]["micro"][k] for k in ("precision", "recall", "f1")] == (
        pytest.approx(list(micro[:3]))
    )
    assert figures["averages"]["micro"]["precision"] == pytest.approx(figures["accuracy"])
    columns = [*classes, "(no answer)"]
    assert (
        figures["confusion"]["counts"]
        == confusion_matrix(truth, predicted, labels=columns)[: len(classes)].tolist()
    )
    assert figures["unanswered"] == [{"id": "empty", "error": figures["unanswered"][0]["error"]}]
    # The confidence trade-off: at 0, every answered document, at its accuracy among them.
    assert figures["confidence"][0]["coverage"] == pytest.approx(2_000 / 2_001)
    assert figures["confidence"][0]["precision"] == pytest.approx((2_001 - wrong) / 2_000)
    assert sum(row["answers"] for row in figures["calibration"]["bins"]) == 2_000
    page = report.read_text(encoding="utf-8")
    assert page.count("<svg") == 3  # the heat map, precision against coverage, calibration
    assert "empty" in page
    assert f"accuracy {1 - wrong / 2_001:.3f}".encode() in done.stdout


async def test_multi_label_scores_from_a_separated_gold_column(
    emulator: Emulator, tmp_path: Path
) -> None:
    texts = [
        "A hilarious comedy with a scary horror twist",
        "A tearful romance and a family drama",
        "A documentary about whales",
        "A scary horror film",
    ]
    answers = [
        [answer.category for answer in classify_multi(text, PROJECTS["multi"].labels)]
        for text in texts
    ]
    gold = [list(labels) for labels in answers]
    gold[0] = gold[0][:1]  # one label too many answered
    gold[2] = [*gold[2], "Drama"]  # one missed
    rows = [
        {"id": f"m{n}", "text": text, "gold": "; ".join(labels)}
        for n, (text, labels) in enumerate(zip(texts, gold, strict=True))
    ]
    output = await _table(emulator, tmp_path, rows, MULTI)
    figures_file = tmp_path / "scores.json"
    done = await run_cli(
        output, "--gold-column", "gold", "--separator", ";", "--json", figures_file,
        command=EVALUATE,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    figures = json.loads(figures_file.read_text(encoding="utf-8"))
    classes = sorted({label for labels in (*gold, *answers) for label in labels})
    binarizer = MultiLabelBinarizer(classes=classes).fit([classes])
    y_true, y_pred = binarizer.transform(gold), binarizer.transform(answers)
    assert figures["subset_accuracy"] == pytest.approx(accuracy_score(y_true, y_pred))
    assert figures["hamming_loss"] == pytest.approx(hamming_loss(y_true, y_pred))
    micro = precision_recall_fscore_support(y_true, y_pred, average="micro", zero_division=0)
    assert [figures["averages"]["micro"][k] for k in ("precision", "recall", "f1")] == (
        pytest.approx(list(micro[:3]))
    )


def _export(tmp_path: Path, documents: list[tuple[str, str, list[dict[str, Any]]]]) -> Path:
    folder = tmp_path / "project"
    folder.mkdir()
    entries = []
    for number, (name, text, labels) in enumerate(documents):
        (folder / name).write_text(text, encoding="utf-8")
        entries.append(
            {
                "location": name,
                "language": "en-us",
                "dataset": "Test" if number else "Train",  # the first one is not scored
                "entities": [{"regionOffset": 0, "regionLength": len(text), "labels": labels}],
            }
        )
    export = {
        "projectFileVersion": "2022-05-01",
        "stringIndexType": "Utf16CodeUnit",
        "metadata": {"projectKind": "CustomEntityRecognition", "projectName": "loans"},
        "assets": {"projectKind": "CustomEntityRecognition", "documents": entries},
    }
    path = folder / "loans.json"
    path.write_text(json.dumps(export), encoding="utf-8")
    return path


def _write_export(path: Path, kind: str, documents: list[dict[str, Any]]) -> None:
    """A project export of `kind` (its projectKind) holding `documents`."""
    export = {"assets": {"projectKind": kind, "documents": documents}}
    path.write_text(json.dumps(export), encoding="utf-8")


def _utf16(text: str, offset: int, length: int) -> tuple[int, int]:
    start = len(text[:offset].encode("utf-16-le")) // 2
    return start, len(text[offset : offset + length].encode("utf-16-le")) // 2


async def test_entities_of_a_project_export_exact_and_overlapping(
    emulator: Emulator, tmp_path: Path
) -> None:
    texts = [
        "Anna Smith paid 120 dollars to Li Wei.",
        "👩‍👩‍👧 Anna Smith owes 300 euros to Bank of Nowhere.",  # UTF-16 offsets differ
        "Li Wei paid 45 dollars on 2024-03-05.",
    ]
    found = [
        recognize_entities(text, PROJECTS["entities"].labels, unit="UnicodeCodePoint")
        for text in texts
    ]
    assert all(found[1:])
    documents = []
    for number, (text, entities) in enumerate(zip(texts, found, strict=True)):
        labels = []
        for position, entity in enumerate(entities):
            offset, length = entity.offset, entity.length
            if number == 2 and position == 0:
                length -= 1  # overlapping, not exact
            if number == 1 and position == 0:
                continue  # missed by the labeller: the model's answer is spurious
            start, size = _utf16(text, offset, length)
            labels.append({"category": entity.category, "offset": start, "length": size})
        documents.append((f"doc{number}.txt", text, labels))
    export = _export(tmp_path, documents)
    figures_file = tmp_path / "scores.json"
    done = await run_cli(
        "--project", export, "--task", ENTITIES, "--json", figures_file, *connect(emulator),
        *UNHURRIED,
        command=EVALUATE,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    figures = json.loads(figures_file.read_text(encoding="utf-8"))
    assert figures["documents"] == 2  # the test set only
    answered = len(found[1]) + len(found[2])
    exact, overlap = figures["overall"]["exact"], figures["overall"]["overlap"]
    assert exact["precision"] == pytest.approx((answered - 2) / answered)
    assert exact["recall"] == pytest.approx((answered - 2) / (answered - 1))
    assert overlap["precision"] == pytest.approx((answered - 1) / answered)
    assert overlap["recall"] == pytest.approx(1.0)
    assert exact["spurious"] == 1


async def test_what_cannot_be_scored_is_refused(tmp_path: Path) -> None:
    table = tmp_path / "answered.csv"
    header = "id,text,label,support,support_confidence,support_error\n"
    table.write_text(header, encoding="utf-8")
    done = await run_cli(table, "--gold-column", "label", command=EVALUATE)
    assert done.returncode == 2
    assert b"no rows" in done.stderr
    table.write_text(
        "id,text,support,support_confidence,support_error\na,x,Billing,0.9,\n", encoding="utf-8"
    )
    done = await run_cli(table, "--gold-column", "label", command=EVALUATE)
    assert done.returncode == 2
    assert b"no column 'label'" in done.stderr
    done = await run_cli("--project", tmp_path / "none.json", "--task", SINGLE, command=EVALUATE)
    assert done.returncode == 2
    assert b"not a project export" in done.stderr


async def test_rows_without_a_gold_label_or_repeating_an_id_are_left_out_and_said(
    emulator: Emulator, tmp_path: Path
) -> None:
    rows = [
        {"id": "a", "text": TICKETS[0], "label": _single(TICKETS[0])},
        {"id": "b", "text": TICKETS[1], "label": ""},  # nobody labelled it
        {"id": "a", "text": TICKETS[2], "label": _single(TICKETS[2])},  # repeats id a
        {"id": "c", "text": TICKETS[3], "label": "Feedback"},
    ]
    output = await _table(emulator, tmp_path, rows, SINGLE)
    figures_file = tmp_path / "scores.json"
    done = await run_cli(
        output, "--gold-column", "label", "--answers", SINGLE, "--json", figures_file,
        command=EVALUATE,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    figures = json.loads(figures_file.read_text(encoding="utf-8"))
    assert figures["documents"] == 2
    assert figures["unanswered"] == []  # (the repeat is not "not answered")
    assert figures["left_out"] == {"no gold label": 1, "repeats an id scored on its first row": 1}
    assert figures["accuracy"] == pytest.approx(1.0 if _single(TICKETS[3]) == "Feedback" else 0.5)
    assert b"left out: 1 rows (no gold label)" in done.stdout


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (("answers.jsonl", "--gold-column", "label"), b"reads the .csv, .tsv or .parquet table"),
        (("answers.csv", "--project", "p.json"), b"not both"),
        (("--project", "p.json"), b"--project needs --task"),
        ((), b"give a table a run wrote"),
    ],
)
async def test_evaluate_misuse_is_named(
    tmp_path: Path, arguments: tuple[str, ...], said: bytes
) -> None:
    document = {"location": "a.txt", "dataset": "Test", "class": {"category": "Billing"}}
    _write_export(tmp_path / "p.json", "CustomSingleLabelClassification", [document])
    (tmp_path / "a.txt").write_text("My invoice", encoding="utf-8")
    given = [str(tmp_path / a) if a.endswith((".json", ".jsonl", ".csv")) else a for a in arguments]
    done = await run_cli(*given, command=EVALUATE)
    assert done.returncode == 2
    assert said in done.stderr, done.stderr


async def test_a_single_label_project_export_is_scored_on_its_test_set(
    emulator: Emulator, tmp_path: Path
) -> None:
    folder = tmp_path / "support"
    folder.mkdir()
    labels = {"a.txt": TICKETS[0], "b.txt": TICKETS[1], "c.txt": TICKETS[2]}
    documents = []
    for number, (name, text) in enumerate(labels.items()):
        (folder / name).write_text(text, encoding="utf-8")
        label = _single(text) if number != 1 else "Feedback"  # one known mistake
        dataset = "Train" if number == 2 else "Test"
        documents.append({"location": name, "dataset": dataset, "class": {"category": label}})
    export = folder / "support.json"
    kind = "CustomSingleLabelClassification"
    _write_export(export, kind, documents)
    figures_file = tmp_path / "scores.json"
    done = await run_cli(
        "--project", export, "--task", SINGLE, "--json", figures_file, *connect(emulator),
        *UNHURRIED,
        command=EVALUATE,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    figures = json.loads(figures_file.read_text(encoding="utf-8"))
    assert figures["documents"] == 2
    expected = 0.5 if _single(TICKETS[1]) != "Feedback" else 1.0
    assert figures["accuracy"] == pytest.approx(expected)
    # A label that is not there, and a folder for the figures that is not there, are named.
    documents[0]["class"] = None
    _write_export(export, kind, documents)
    broken = await run_cli(
        "--project", export, "--task", SINGLE, *connect(emulator), command=EVALUATE
    )
    assert broken.returncode == 2
    assert b"a.txt: no label" in broken.stderr
    assert b"Traceback" not in broken.stderr
    nowhere = await run_cli(
        "--project", export, "--task", SINGLE, "--json", tmp_path / "no" / "s.json",
        *connect(emulator), command=EVALUATE,
    )  # fmt: skip
    assert nowhere.returncode == 2
    assert b"does not exist" in nowhere.stderr
