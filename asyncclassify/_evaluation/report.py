"""The scores for people: a table for the terminal, and a self-contained HTML report with
its plots drawn inline as SVG (a confusion matrix heat map, precision against coverage, a
calibration chart), which any browser opens without a network."""

from __future__ import annotations

import html
from typing import Any

from .metrics import Scores

WIDTH, HEIGHT, MARGIN = 420, 300, 44


def text_report(scores: Scores, title: str) -> str:
    """The figures a terminal shows: averages, per class, the confidence trade-off."""
    figures = scores.figures
    lines = [f"{title}: {scores.documents:,} documents, {len(scores.unanswered):,} not answered"]
    lines += [f"left out: {count:,} rows ({why})" for why, count in scores.left_out.items()]
    if scores.kind == "single":
        lines.append(f"accuracy {figures['accuracy']:.3f}")
    elif scores.kind == "multi":
        lines.append(
            f"subset accuracy {figures['subset_accuracy']:.3f}, "
            f"Hamming loss {figures['hamming_loss']:.3f}"
        )
    lines.append("")
    if scores.kind == "entities":
        lines.append(
            f"{'category':24} {'exact P':>8} {'R':>6} {'F1':>6} "
            f"{'overlap P':>10} {'R':>6} {'F1':>6}"
        )
        rows = [("(all)", figures["overall"]), *figures["categories"].items()]
        for name, by_scheme in rows:
            exact, overlap = by_scheme.get("exact", {}), by_scheme.get("overlap", {})
            lines.append(
                f"{name[:24]:24} {exact.get('precision', 0):8.3f} {exact.get('recall', 0):6.3f} "
                f"{exact.get('f1', 0):6.3f} {overlap.get('precision', 0):10.3f} "
                f"{overlap.get('recall', 0):6.3f} {overlap.get('f1', 0):6.3f}"
            )
    else:
        lines.append(f"{'class':24} {'precision':>9} {'recall':>7} {'F1':>6} {'support':>8}")
        for name, row in figures["classes"].items():
            lines.append(
                f"{name[:24]:24} {row['precision']:9.3f} {row['recall']:7.3f} {row['f1']:6.3f} "
                f"{row['support']:8,}"
            )
        for name, row in figures["averages"].items():
            lines.append(
                f"{name + ' average':24} {row['precision']:9.3f} {row['recall']:7.3f} "
                f"{row['f1']:6.3f}"
            )
    lines += ["", "answers at or above a confidence: their share, and how many are right"]
    lines.append(f"{'threshold':>9} {'coverage':>9} {'precision':>9}")
    for row in figures["confidence"][::2]:
        precision = "n/a" if row["precision"] is None else f"{row['precision']:.3f}"
        lines.append(f"{row['threshold']:9.2f} {row['coverage']:9.3f} {precision:>9}")
    lines.append(
        f"expected calibration error {figures['calibration']['expected_error']:.3f} "
        "(the answers' weighted gap between confidence and accuracy)"
    )
    if scores.unanswered:
        shown = ", ".join(item["id"] for item in scores.unanswered[:5])
        more = "" if len(scores.unanswered) <= 5 else f" and {len(scores.unanswered) - 5} more"
        lines.append(f"not answered (counted wrong): {shown}{more}")
    return "\n".join(lines) + "\n"


def html_report(scores: Scores, title: str) -> str:
    """A self-contained HTML page of every figure, with its plots."""
    figures = scores.figures
    parts = [
        "<!doctype html><html><head><meta charset='utf-8'>",
        f"<title>{_e(title)}</title>",
        "<style>body{font:14px system-ui,sans-serif;margin:2em;max-width:1000px}"
        "table{border-collapse:collapse;margin:1em 0}td,th{border:1px solid #ccc;"
        "padding:3px 8px;text-align:right}th:first-child,td:first-child{text-align:left}"
        "svg{margin:1em 1em 1em 0}</style></head><body>",
        f"<h1>{_e(title)}</h1>",
        f"<p>{scores.documents:,} documents; {len(scores.unanswered):,} not answered "
        "(counted as wrong answers).</p>",
        *(
            f"<p>Left out: {count:,} rows ({_e(why)}).</p>"
            for why, count in scores.left_out.items()
        ),
    ]
    if scores.kind == "single":
        parts.append(f"<p>Accuracy <b>{figures['accuracy']:.3f}</b></p>")
    if scores.kind == "multi":
        parts.append(
            f"<p>Subset accuracy <b>{figures['subset_accuracy']:.3f}</b>, Hamming loss "
            f"<b>{figures['hamming_loss']:.3f}</b></p>"
        )
    if scores.kind == "entities":
        parts.append(_entity_table(figures))
    else:
        parts.append(_class_table(figures))
    if "confusion" in figures:
        parts.append("<h2>Confusion matrix</h2>" + _heat_map(figures["confusion"]))
    parts.append("<h2>Precision against coverage</h2>" + _coverage_plot(figures["confidence"]))
    parts.append(
        "<h2>Calibration</h2>"
        f"<p>Expected calibration error {figures['calibration']['expected_error']:.3f}</p>"
        + _calibration_plot(figures["calibration"]["bins"])
    )
    if scores.unanswered:
        rows = "".join(
            f"<tr><td>{_e(item['id'])}</td><td>{_e(item['error'])}</td></tr>"
            for item in scores.unanswered
        )
        parts.append(
            f"<h2>Not answered</h2><table><tr><th>id</th><th>error</th></tr>{rows}</table>"
        )
    parts.append("</body></html>")
    return "\n".join(parts)


def _e(value: Any) -> str:
    return html.escape(str(value))


def _class_table(figures: dict[str, Any]) -> str:
    head = "<tr><th>class</th><th>precision</th><th>recall</th><th>F1</th><th>support</th></tr>"
    rows = [
        f"<tr><td>{_e(name)}</td><td>{row['precision']:.3f}</td><td>{row['recall']:.3f}</td>"
        f"<td>{row['f1']:.3f}</td><td>{row['support']:,}</td></tr>"
        for name, row in figures["classes"].items()
    ]
    rows += [
        f"<tr><td>{_e(name)} average</td><td>{row['precision']:.3f}</td>"
        f"<td>{row['recall']:.3f}</td><td>{row['f1']:.3f}</td><td></td></tr>"
        for name, row in figures["averages"].items()
    ]
    return f"<table>{head}{''.join(rows)}</table>"


def _entity_table(figures: dict[str, Any]) -> str:
    head = (
        "<tr><th>category</th><th>exact P</th><th>exact R</th><th>exact F1</th>"
        "<th>overlap P</th><th>overlap R</th><th>overlap F1</th></tr>"
    )
    rows = []
    for name, by_scheme in [("(all)", figures["overall"]), *figures["categories"].items()]:
        cells = "".join(
            f"<td>{by_scheme.get(scheme, {}).get(measure, 0):.3f}</td>"
            for scheme in ("exact", "overlap")
            for measure in ("precision", "recall", "f1")
        )
        rows.append(f"<tr><td>{_e(name)}</td>{cells}</tr>")
    return f"<table>{head}{''.join(rows)}</table>"


def _heat_map(confusion: dict[str, Any]) -> str:
    rows, columns, counts = confusion["rows"], confusion["columns"], confusion["counts"]
    cell = max(18, min(48, 480 // max(1, len(columns))))
    left, top = 130, 110
    width, height = left + cell * len(columns) + 10, top + cell * len(rows) + 30
    largest = max((max(row) for row in counts if row), default=1) or 1
    parts = [f"<svg width='{width}' height='{height}' role='img' aria-label='confusion matrix'>"]
    for c, name in enumerate(columns):
        x = left + c * cell + cell / 2
        parts.append(
            f"<text x='{x}' y='{top - 6}' font-size='11' transform='rotate(-45 {x} {top - 6})'>"
            f"{_e(name)}</text>"
        )
    for r, name in enumerate(rows):
        y = top + r * cell
        parts.append(
            f"<text x='{left - 6}' y='{y + cell / 2 + 4}' font-size='11' "
            f"text-anchor='end'>{_e(name)}</text>"
        )
        for c, count in enumerate(counts[r]):
            shade = int(255 - 200 * count / largest)
            parts.append(
                f"<rect x='{left + c * cell}' y='{y}' width='{cell}' height='{cell}' "
                f"fill='rgb({shade},{shade},255)' stroke='#fff'><title>{_e(name)} as "
                f"{_e(columns[c])}: {count}</title></rect>"
                f"<text x='{left + c * cell + cell / 2}' y='{y + cell / 2 + 4}' font-size='10' "
                f"text-anchor='middle'>{count}</text>"
            )
    parts.append(
        f"<text x='{left}' y='{height - 8}' font-size='11'>rows: gold; columns: answered</text>"
    )
    return "".join(parts) + "</svg>"


def _axes(x_label: str, y_label: str) -> list[str]:
    x0, y0, x1, y1 = MARGIN, HEIGHT - MARGIN, WIDTH - 10, 10
    parts = [
        f"<svg width='{WIDTH}' height='{HEIGHT}' role='img' aria-label='{_e(y_label)}'>",
        f"<line x1='{x0}' y1='{y0}' x2='{x1}' y2='{y0}' stroke='#333'/>",
        f"<line x1='{x0}' y1='{y0}' x2='{x0}' y2='{y1}' stroke='#333'/>",
        f"<text x='{(x0 + x1) / 2}' y='{HEIGHT - 8}' font-size='12' text-anchor='middle'>"
        f"{_e(x_label)}</text>",
        f"<text x='12' y='{(y0 + y1) / 2}' font-size='12' text-anchor='middle' "
        f"transform='rotate(-90 12 {(y0 + y1) / 2})'>{_e(y_label)}</text>",
    ]
    for tick in (0.0, 0.5, 1.0):
        x, y = _point(tick, tick)
        parts.append(
            f"<text x='{x}' y='{y0 + 14}' font-size='10' text-anchor='middle'>{tick}</text>"
        )
        parts.append(
            f"<text x='{x0 - 4}' y='{y + 4}' font-size='10' text-anchor='end'>{tick}</text>"
        )
    return parts


def _point(x: float, y: float) -> tuple[float, float]:
    return (
        MARGIN + x * (WIDTH - 10 - MARGIN),
        HEIGHT - MARGIN - y * (HEIGHT - MARGIN - 10),
    )


def _coverage_plot(rows: list[dict[str, Any]]) -> str:
    parts = _axes("coverage (share answered at or above the threshold)", "precision")
    points = [_point(row["coverage"], row["precision"]) for row in rows if row["answers"]]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    parts.append(f"<polyline points='{path}' fill='none' stroke='#36c' stroke-width='2'/>")
    for row in rows:
        if row["answers"]:
            x, y = _point(row["coverage"], row["precision"])
            parts.append(
                f"<circle cx='{x:.1f}' cy='{y:.1f}' r='3' fill='#36c'><title>threshold "
                f"{row['threshold']}: coverage {row['coverage']:.3f}, precision "
                f"{row['precision']:.3f}</title></circle>"
            )
    return "".join(parts) + "</svg>"


def _calibration_plot(bins: list[dict[str, Any]]) -> str:
    parts = _axes("confidence", "share right")
    (x0, y0), (x1, y1) = _point(0, 0), _point(1, 1)
    parts.append(
        f"<line x1='{x0}' y1='{y0}' x2='{x1}' y2='{y1}' stroke='#aaa' stroke-dasharray='4'/>"
    )
    for row in bins:
        left, _ = _point(row["low"], 0)
        right, _ = _point(row["high"], 0)
        _, top = _point(0, row["accuracy"])
        parts.append(
            f"<rect x='{left + 1:.1f}' y='{top:.1f}' width='{right - left - 2:.1f}' "
            f"height='{y0 - top:.1f}' fill='#6a5' opacity='0.8'><title>{row['answers']} answers "
            f"at {row['low']:.1f}-{row['high']:.1f}: {row['accuracy']:.3f} right</title></rect>"
        )
    return "".join(parts) + "</svg>"
