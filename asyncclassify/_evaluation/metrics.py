"""Scores of answers against gold labels: pure functions over plain data.

The metrics themselves are scikit-learn's (classification) and nervaluate's (entities), so
that they mean what they mean everywhere. A document that got no answer is never dropped:
it counts as answered wrong (the class `NO_ANSWER`, no classes, no entities) and is listed.
Confidence is judged as a user deciding what to route unattended needs it: for each
threshold, the share of answers at or above it and their precision, and a calibration table
(how often an answer given with a confidence near c is right).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

NO_ANSWER = "(no answer)"
THRESHOLDS = tuple(round(0.05 * step, 2) for step in range(20))
CALIBRATION_BINS = 10


@dataclass(frozen=True, slots=True)
class Span:
    """A labelled or found entity: `category` at [offset, offset + length) in code points."""

    category: str
    offset: int
    length: int
    confidence: float = 1.0


@dataclass(frozen=True, slots=True)
class Item:
    """One document: its gold labels, and what the deployment answered (classes with their
    confidence, best first, or entities; None: no answer)."""

    id: str
    gold_classes: tuple[str, ...] = ()
    gold_spans: tuple[Span, ...] = ()
    classes: tuple[tuple[str, float], ...] | None = None
    spans: tuple[Span, ...] | None = None
    error: str | None = None

    @property
    def answered(self) -> bool:
        """Whether the deployment answered the document."""
        return self.classes is not None or self.spans is not None


@dataclass(slots=True)
class Scores:
    """Every figure of one evaluation, as plain data (what the JSON file holds)."""

    kind: str
    documents: int
    figures: dict[str, Any] = field(default_factory=dict)
    unanswered: list[dict[str, str]] = field(default_factory=list)
    left_out: dict[str, int] = field(default_factory=dict)
    """Rows not scored, by why (no gold label; a repeat of an id scored on its first row)."""


def score(kind: str, items: Sequence[Item], left_out: dict[str, int] | None = None) -> Scores:
    """The scores of `items` for a task of `kind` (single, multi or entities)."""
    if not items:
        raise ValueError("no document has a gold label to score against")
    scores = Scores(kind, len(items), left_out=dict(left_out or {}))
    scores.unanswered = [
        {"id": item.id, "error": item.error or "no answer"} for item in items if not item.answered
    ]
    if kind == "single":
        scores.figures = _single(items)
    elif kind == "multi":
        scores.figures = _multi(items)
    else:
        scores.figures = _entities(items)
    return scores


def _prf(precision: Any, recall: Any, f1: Any, support: Any) -> dict[str, float]:
    figures = {"precision": float(precision), "recall": float(recall), "f1": float(f1)}
    if support is not None:
        figures["support"] = int(support)
    return figures


def _single(items: Sequence[Item]) -> dict[str, Any]:
    from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support

    truth = [item.gold_classes[0] for item in items]
    answers = [_top(item) for item in items]
    predicted = [answer[0] if answer else NO_ANSWER for answer in answers]
    classes = sorted(set(truth) | (set(predicted) - {NO_ANSWER}))
    per_class = precision_recall_fscore_support(truth, predicted, labels=classes, zero_division=0)
    # Micro averages count every document, an unanswered one as a wrong answer (so micro
    # precision and recall are the accuracy); macro and weighted ones average the classes.
    averages = {
        average: _prf(
            *precision_recall_fscore_support(
                truth,
                predicted,
                labels=[*classes, NO_ANSWER] if average == "micro" else classes,
                average=average,
                zero_division=0,
            )
        )
        for average in ("micro", "macro", "weighted")
    }
    columns = [*classes, *([NO_ANSWER] if NO_ANSWER in predicted else [])]
    matrix = confusion_matrix(truth, predicted, labels=columns)
    confident = [
        (answer[1], answer[0] == gold)
        for answer, gold in zip(answers, truth, strict=True)
        if answer is not None
    ]
    return {
        "accuracy": float(accuracy_score(truth, predicted)),
        "classes": {
            name: _prf(*figures) for name, *figures in zip(classes, *per_class, strict=True)
        },
        "averages": averages,
        "confusion": {
            "rows": classes,
            "columns": columns,
            "counts": matrix[: len(classes)].tolist(),
        },
        "confidence": _confidence(confident, len(items)),
        "calibration": _calibration(confident),
    }


def _top(item: Item) -> tuple[str, float] | None:
    return item.classes[0] if item.classes else None


def _multi(items: Sequence[Item]) -> dict[str, Any]:
    from sklearn.metrics import accuracy_score, hamming_loss, precision_recall_fscore_support
    from sklearn.preprocessing import MultiLabelBinarizer

    truth = [set(item.gold_classes) for item in items]
    answers = [item.classes or () for item in items]
    predicted = [{category for category, _ in answer} for answer in answers]
    classes = sorted(set().union(*truth, *predicted))
    binarizer = MultiLabelBinarizer(classes=classes)
    binarizer.fit([classes])
    y_true, y_pred = binarizer.transform(truth), binarizer.transform(predicted)
    per_class = precision_recall_fscore_support(y_true, y_pred, zero_division=0)
    averages = {
        average: _prf(
            *precision_recall_fscore_support(y_true, y_pred, average=average, zero_division=0)
        )
        for average in ("micro", "macro", "samples")
    }
    confident = [
        (float(confidence), category in gold)
        for answer, gold in zip(answers, truth, strict=True)
        for category, confidence in answer
    ]
    # Coverage counts labels: those answered, and the gold labels of unanswered documents.
    unanswered = sum(len(item.gold_classes) for item in items if not item.answered)
    return {
        "subset_accuracy": float(accuracy_score(y_true, y_pred)),
        "hamming_loss": float(hamming_loss(y_true, y_pred)),
        "classes": {
            name: _prf(*figures) for name, *figures in zip(classes, *per_class, strict=True)
        },
        "averages": averages,
        "confidence": _confidence(confident, len(confident) + unanswered),
        "calibration": _calibration(confident),
    }


def _entities(items: Sequence[Item]) -> dict[str, Any]:
    from nervaluate import Evaluator

    def spans(found: Sequence[Span]) -> list[dict[str, Any]]:
        return [
            {"label": span.category, "start": span.offset, "end": span.offset + span.length - 1}
            for span in found
        ]

    truth = [spans(item.gold_spans) for item in items]
    predicted = [spans(item.spans or ()) for item in items]
    categories = sorted({span["label"] for found in (*truth, *predicted) for span in found})
    results = Evaluator(truth, predicted, tags=categories).evaluate() if categories else None
    schemes = {"exact": "strict", "overlap": "ent_type"}

    def figures(result: Any) -> dict[str, Any]:
        return {
            "precision": float(result.precision),
            "recall": float(result.recall),
            "f1": float(result.f1),
            "correct": int(result.correct),
            "missed": int(result.missed),
            "spurious": int(result.spurious),
        }

    overall = {
        name: figures(results["overall"][scheme]) if results else {}
        for name, scheme in schemes.items()
    }
    per_category = {
        category: {
            name: figures(results["entities"][category][scheme]) for name, scheme in schemes.items()
        }
        for category in categories
        if results
    }
    gold_spans = [{(s.category, s.offset, s.length) for s in item.gold_spans} for item in items]
    confident = [
        (span.confidence, (span.category, span.offset, span.length) in gold)
        for item, gold in zip(items, gold_spans, strict=True)
        for span in item.spans or ()
    ]
    unanswered = sum(len(item.gold_spans) for item in items if not item.answered)
    return {
        "overall": overall,
        "categories": per_category,
        "confidence": _confidence(confident, len(confident) + unanswered),
        "calibration": _calibration(confident),
    }


def _confidence(confident: Sequence[tuple[float, bool]], total: int) -> list[dict[str, Any]]:
    """For each threshold: the share of `total` answered at or above it, and their precision."""
    rows = []
    for threshold in THRESHOLDS:
        kept = [right for confidence, right in confident if confidence >= threshold]
        rows.append(
            {
                "threshold": threshold,
                "coverage": len(kept) / total if total else 0.0,
                "precision": sum(kept) / len(kept) if kept else None,
                "answers": len(kept),
            }
        )
    return rows


def _calibration(confident: Sequence[tuple[float, bool]]) -> dict[str, Any]:
    """Answers by confidence, in bins of a tenth: how often each bin was right, and the
    expected calibration error (the answers' weighted gap between confidence and accuracy)."""
    # A confidence outside [0, 1] is held at its bound; one that is no number, left out.
    confident = [(min(1.0, max(0.0, c)), right) for c, right in confident if c == c]
    bins: list[dict[str, float]] = []
    gap = 0.0
    for number in range(CALIBRATION_BINS):
        low, high = number / CALIBRATION_BINS, (number + 1) / CALIBRATION_BINS
        inside = [
            (confidence, right)
            for confidence, right in confident
            if low <= confidence < high or (number == CALIBRATION_BINS - 1 and confidence == high)
        ]
        if not inside:
            continue
        mean = sum(confidence for confidence, _ in inside) / len(inside)
        accuracy = sum(right for _, right in inside) / len(inside)
        gap += len(inside) * abs(accuracy - mean)
        bins.append(
            {
                "low": low,
                "high": high,
                "answers": len(inside),
                "confidence": mean,
                "accuracy": accuracy,
            }
        )
    return {"bins": bins, "expected_error": gap / len(confident) if confident else 0.0}
