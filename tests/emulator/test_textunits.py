"""Text measured in the service's three string index units."""

from __future__ import annotations

import itertools

import pytest
import regex

from asyncclassify.emulator.textunits import (
    TEXT_ELEMENTS,
    UNICODE_CODE_POINT,
    UTF16_CODE_UNIT,
    TextIndex,
    grapheme_boundaries,
    grapheme_count,
    measure,
    measure_spans,
    normalize_unit,
)

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"  # ZWJ family, 7 code points
FLAG_JP = "\U0001f1ef\U0001f1f5"  # two regional indicators
THUMBS_MEDIUM = "\U0001f44d\U0001f3fd"  # thumbs up + skin tone modifier
E_ACUTE_NFD = "e\u0301"  # e + combining acute accent

SAMPLES = [
    "",
    "plain ascii",
    "line one\r\nline two",
    "Ana Díaz",
    "Ana Di\u0301az",
    f"{FAMILY} family",
    f"{FLAG_JP}{FLAG_JP} flags",
    f"ok {THUMBS_MEDIUM} {E_ACUTE_NFD}",
    "東京駅で会いましょう",
    f"{FAMILY}{FLAG_JP}{THUMBS_MEDIUM} Cafe\u0301 東京: Renée Di\u0301az paid $5,000 \U0001f389",
]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def clusters(text: str) -> list[str]:
    found: list[str] = regex.findall(r"\X", text)
    return found


def boundaries_of(text: str) -> list[int]:
    """Cluster boundaries computed independently of the module under test."""
    return [0, *itertools.accumulate(len(cluster) for cluster in clusters(text))]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("TextElements_v8", TEXT_ELEMENTS),
        ("TextElement_v8", TEXT_ELEMENTS),
        ("UnicodeCodePoint", UNICODE_CODE_POINT),
        ("Utf16CodeUnit", UTF16_CODE_UNIT),
    ],
)
def test_normalize_unit_accepts_every_spelling(name: str, expected: str) -> None:
    assert normalize_unit(name) == expected


@pytest.mark.parametrize("name", ["", "Bytes", "textelements_v8", "Utf8CodeUnit"])
def test_normalize_unit_rejects_unknown_units(name: str) -> None:
    with pytest.raises(ValueError, match="unknown string index type"):
        normalize_unit(name)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", 0),
        ("abc", 3),
        ("\r\n", 1),
        ("a\r\n\r\nb", 4),
        ("\r\r\n", 2),
        (E_ACUTE_NFD, 1),
        (FAMILY, 1),
        (FLAG_JP, 1),
        (FLAG_JP * 2, 2),
        (THUMBS_MEDIUM, 1),
        ("東京駅", 3),
        ("Ana Díaz", 8),
        ("Ana Di\u0301az", 8),
    ],
)
def test_grapheme_count(text: str, expected: int) -> None:
    assert grapheme_count(text) == expected


@pytest.mark.parametrize("text", SAMPLES)
def test_grapheme_boundaries_match_independent_segmentation(text: str) -> None:
    assert grapheme_boundaries(text) == boundaries_of(text)
    assert grapheme_count(text) == len(clusters(text))


def test_grapheme_boundaries_examples() -> None:
    assert grapheme_boundaries("") == [0]
    assert grapheme_boundaries(f"{E_ACUTE_NFD}x") == [0, 2, 3]
    assert grapheme_boundaries(f"a{FAMILY}b") == [0, 1, 8, 9]


def test_measure_pins_a_span_after_emoji_in_every_unit() -> None:
    text = f"{FAMILY}{FLAG_JP}{THUMBS_MEDIUM} Ana Díaz"
    start = text.index("Ana")
    end = len(text)
    assert start == 12
    assert measure(text, start, end, UNICODE_CODE_POINT) == (12, 8)
    # 4 astral + 3 ZWJ, 2 astral, 2 astral, 1 space.
    assert measure(text, start, end, UTF16_CODE_UNIT) == (20, 8)
    assert measure(text, start, end, TEXT_ELEMENTS) == (4, 8)
    assert measure(text, start, end, "TextElement_v8") == (4, 8)


def test_measure_pins_combining_marks_and_cjk() -> None:
    text = "Cafe\u0301 東京 Di\u0301az \U0001f389 x"
    start = text.index("Di")
    end = start + len("Di\u0301az")
    assert measure(text, start, end, UNICODE_CODE_POINT) == (9, 5)
    assert measure(text, start, end, UTF16_CODE_UNIT) == (9, 5)
    assert measure(text, start, end, TEXT_ELEMENTS) == (8, 4)
    party = text.index("\U0001f389")
    assert measure(text, party, party + 1, UNICODE_CODE_POINT) == (15, 1)
    assert measure(text, party, party + 1, UTF16_CODE_UNIT) == (15, 2)
    assert measure(text, party, party + 1, TEXT_ELEMENTS) == (13, 1)
    assert measure(text, party + 1, len(text), UTF16_CODE_UNIT) == (17, 2)
    assert measure(text, party + 1, len(text), TEXT_ELEMENTS) == (14, 2)


@pytest.mark.parametrize("text", SAMPLES)
def test_measure_agrees_with_independent_counts_on_every_cluster_span(text: str) -> None:
    bounds = boundaries_of(text)
    index = TextIndex(text)
    for start, end in itertools.combinations_with_replacement(bounds, 2):
        span = text[start:end]
        assert index.measure(start, end, UNICODE_CODE_POINT) == (start, end - start)
        assert index.measure(start, end, UTF16_CODE_UNIT) == (
            utf16_len(text[:start]),
            utf16_len(span),
        )
        assert index.measure(start, end, TEXT_ELEMENTS) == (
            len(clusters(text[:start])),
            len(clusters(span)),
        )


def test_measure_widens_a_span_that_splits_a_cluster() -> None:
    text = f"{E_ACUTE_NFD}x{FAMILY}y"
    # Starting on the combining mark counts the whole "é"; ending inside the family counts it.
    assert measure(text, 1, 4, TEXT_ELEMENTS) == (0, 3)
    assert TextIndex(text).snap(1, 4) == (0, 10)
    assert TextIndex(text).snap(2, 3) == (2, 3)
    assert TextIndex("abc").snap(1, 2) == (1, 2)


def test_measure_treats_crlf_as_one_text_element() -> None:
    text = "a\r\nb"
    assert measure(text, 3, 4, TEXT_ELEMENTS) == (2, 1)
    assert measure(text, 3, 4, UNICODE_CODE_POINT) == (3, 1)
    assert measure(text, 3, 4, UTF16_CODE_UNIT) == (3, 1)


def test_measure_spans_matches_measure() -> None:
    text = SAMPLES[-1]
    bounds = boundaries_of(text)
    spans = list(itertools.pairwise(bounds))
    for unit in (TEXT_ELEMENTS, UNICODE_CODE_POINT, UTF16_CODE_UNIT):
        assert measure_spans(text, spans, unit) == [measure(text, s, e, unit) for s, e in spans]


@pytest.mark.parametrize(("start", "end"), [(-1, 2), (3, 2), (0, 99)])
def test_measure_rejects_spans_outside_the_text(start: int, end: int) -> None:
    with pytest.raises(ValueError, match="not within"):
        measure("Ana Díaz", start, end, UNICODE_CODE_POINT)


def test_measure_rejects_unknown_units() -> None:
    with pytest.raises(ValueError, match="unknown string index type"):
        measure("abc", 0, 1, "Bytes")
