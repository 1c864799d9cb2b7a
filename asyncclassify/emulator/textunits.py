"""Text measured in the service's string index units.

The service reports entity offsets and lengths in one of three units, chosen per task by
``stringIndexType``:

* ``TextElements_v8`` (the default): extended grapheme clusters (UAX #29), the .NET
  ``StringInfo`` text elements. The legacy v3.x dialect spells it ``TextElement_v8``.
* ``UnicodeCodePoint``: code points, i.e. Python ``str`` indices.
* ``Utf16CodeUnit``: UTF-16 code units; characters outside the BMP count two.

Spans are given as Python (code point) indices ``[start, end)``.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Iterable

import regex

__all__ = [
    "TEXT_ELEMENTS",
    "UNICODE_CODE_POINT",
    "UTF16_CODE_UNIT",
    "TextIndex",
    "grapheme_boundaries",
    "grapheme_count",
    "measure",
    "measure_spans",
    "normalize_unit",
]

TEXT_ELEMENTS = "TextElements_v8"
UNICODE_CODE_POINT = "UnicodeCodePoint"
UTF16_CODE_UNIT = "Utf16CodeUnit"

_UNITS: dict[str, str] = {
    TEXT_ELEMENTS: TEXT_ELEMENTS,
    "TextElement_v8": TEXT_ELEMENTS,
    UNICODE_CODE_POINT: UNICODE_CODE_POINT,
    UTF16_CODE_UNIT: UTF16_CODE_UNIT,
}

_GRAPHEME = regex.compile(r"\X")
_ASTRAL = regex.compile(r"[\U00010000-\U0010FFFF]")


def normalize_unit(name: str) -> str:
    """Return the canonical name of a string index unit.

    Both ``TextElements_v8`` and the legacy ``TextElement_v8`` map to :data:`TEXT_ELEMENTS`.
    Raises :class:`ValueError` for a name the service does not know.
    """
    try:
        return _UNITS[name]
    except KeyError:
        raise ValueError(f"unknown string index type: {name!r}") from None


def _is_simple(text: str) -> bool:
    """True when every code point of `text` is its own grapheme cluster and UTF-16 unit."""
    return text.isascii() and "\r\n" not in text


def grapheme_count(text: str) -> int:
    """Number of extended grapheme clusters (the service's text elements) in `text`."""
    if text.isascii():
        return len(text) - text.count("\r\n")
    return len(_GRAPHEME.findall(text))


def grapheme_boundaries(text: str) -> list[int]:
    """Code point indices where grapheme clusters start, followed by ``len(text)``.

    ``grapheme_boundaries("e\\u0301x") == [0, 2, 3]``; an empty text gives ``[0]``.
    """
    if _is_simple(text):
        return list(range(len(text) + 1))
    bounds = [match.start() for match in _GRAPHEME.finditer(text)]
    bounds.append(len(text))
    return bounds


class TextIndex:
    """Measures spans of one text in any unit, computing what it needs once.

    Build one per text when measuring several spans of it.
    """

    __slots__ = ("_astral", "_bounds", "_simple", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._simple = _is_simple(text)
        self._bounds: list[int] | None = None
        self._astral: list[int] | None = None

    @property
    def text(self) -> str:
        """The measured text."""
        return self._text

    def _boundaries(self) -> list[int]:
        if self._bounds is None:
            self._bounds = grapheme_boundaries(self._text)
        return self._bounds

    def _astral_positions(self) -> list[int]:
        if self._astral is None:
            self._astral = [] if self._simple else [m.start() for m in _ASTRAL.finditer(self._text)]
        return self._astral

    def _check(self, start: int, end: int) -> None:
        if not 0 <= start <= end <= len(self._text):
            raise ValueError(f"span [{start}, {end}) is not within a text of {len(self._text)}")

    def snap(self, start: int, end: int) -> tuple[int, int]:
        """Widen the code point span ``[start, end)`` to grapheme cluster boundaries."""
        self._check(start, end)
        if self._simple:
            return start, end
        bounds = self._boundaries()
        return bounds[bisect_right(bounds, start) - 1], bounds[bisect_left(bounds, end)]

    def measure(self, start: int, end: int, unit: str) -> tuple[int, int]:
        """The code point span ``[start, end)`` as ``(offset, length)`` in `unit`.

        In text elements a boundary inside a cluster counts that whole cluster, so a span
        is measured as the smallest run of clusters covering it.
        """
        self._check(start, end)
        unit = normalize_unit(unit)
        if self._simple or unit == UNICODE_CODE_POINT:
            return start, end - start
        if unit == UTF16_CODE_UNIT:
            astral = self._astral_positions()
            if not astral:
                return start, end - start
            before = bisect_left(astral, start)
            inside = bisect_left(astral, end) - before
            return start + before, end - start + inside
        bounds = self._boundaries()
        first = bisect_right(bounds, start) - 1
        last = bisect_left(bounds, end)
        return first, last - first


def measure(text: str, start: int, end: int, unit: str) -> tuple[int, int]:
    """The code point span ``[start, end)`` of `text` as ``(offset, length)`` in `unit`."""
    return TextIndex(text).measure(start, end, unit)


def measure_spans(text: str, spans: Iterable[tuple[int, int]], unit: str) -> list[tuple[int, int]]:
    """Measure several code point spans of one text, segmenting the text only once."""
    index = TextIndex(text)
    return [index.measure(start, end, unit) for start, end in spans]
