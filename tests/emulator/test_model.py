"""The emulator's deterministic model: classification and entity recognition."""

from __future__ import annotations

import itertools
import os
import subprocess
import sys

import orjson
import pytest
import regex

from asyncclassify.emulator.model import (
    DEMO_ENTITY_CATEGORIES,
    DEMO_MULTI_LABELS,
    DEMO_SINGLE_LABELS,
    Classification,
    EntityMatch,
    classify_multi,
    classify_single,
    recognize_entities,
)

FAMILY = "\U0001f468\u200d\U0001f469\u200d\U0001f467\u200d\U0001f466"
FLAG_JP = "\U0001f1ef\U0001f1f5"
THUMBS_MEDIUM = "\U0001f44d\U0001f3fd"
UNITS = ("TextElements_v8", "UnicodeCodePoint", "Utf16CodeUnit")

MIXED = (
    f"{FAMILY}{FLAG_JP}{THUMBS_MEDIUM} Cafe\u0301 東京駅: Renée Di\u0301az paid $5,000 "
    "to Ana Díaz \U0001f389 on 2024-03-01"
)

ENTITY_TEXTS = [
    "Loan of $5,000 to Ana Díaz",
    MIXED,
    f"{THUMBS_MEDIUM} Hi, Zoë Ange\u0301lique Dupont wrote from ana.diaz@example.com about 30 USD",
    f"{FLAG_JP} 田中さんは東京で働いています。Payment of ¥12,000 reached Mizuho Bank on "
    "March 3, 2024",
    "Ticket 4411: the courier lost my parcel in São Paulo; please call José María Pérez.",
    "서울에서 김민수 씨가 1.200,50 € 를 보냈습니다 🇰🇷",
    "no entities here at all",
    "",
]

NEUTRAL_TEXTS = [f"reference {i}: see the attached note, item {i * 7}" for i in range(300)]


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def grapheme_len(text: str) -> int:
    return len(regex.findall(r"\X", text))


def cluster_boundaries(text: str) -> set[int]:
    return {0, *itertools.accumulate(len(c) for c in regex.findall(r"\X", text))}


def assert_score(confidence: float) -> None:
    assert 0 < confidence <= 1
    assert round(confidence, 2) == confidence


# --- entities -------------------------------------------------------------------------------


def test_reference_example_in_code_points() -> None:
    text = "Loan of $5,000 to Ana Díaz"
    entities = recognize_entities(text, DEMO_ENTITY_CATEGORIES, "UnicodeCodePoint")
    assert [(e.text, e.category, e.offset, e.length) for e in entities] == [
        ("$5,000", "Amount", 8, 6),
        ("Ana Díaz", "Person", 18, 8),
    ]


def test_offsets_after_emoji_differ_in_each_unit() -> None:
    by_unit = {
        unit: [
            (e.text, e.offset, e.length)
            for e in recognize_entities(MIXED, DEMO_ENTITY_CATEGORIES, unit)
        ]
        for unit in UNITS
    }
    # Before "東京駅": family (7 code points, 11 UTF-16 units), flag (2, 4), thumbs (2, 4),
    # space, "Cafe\u0301" (5 code points, 4 clusters), space.
    assert by_unit["TextElements_v8"] == [
        ("東京駅", 9, 3),
        ("Renée Di\u0301az", 14, 10),
        ("$5,000", 30, 6),
        ("Ana Díaz", 40, 8),
        ("2024-03-01", 54, 10),
    ]
    assert by_unit["UnicodeCodePoint"] == [
        ("東京駅", 18, 3),
        ("Renée Di\u0301az", 23, 11),
        ("$5,000", 40, 6),
        ("Ana Díaz", 50, 8),
        ("2024-03-01", 64, 10),
    ]
    assert by_unit["Utf16CodeUnit"] == [
        ("東京駅", 26, 3),
        ("Renée Di\u0301az", 31, 11),
        ("$5,000", 48, 6),
        ("Ana Díaz", 58, 8),
        ("2024-03-01", 73, 10),
    ]


@pytest.mark.parametrize("text", ENTITY_TEXTS)
def test_entity_spans_are_consistent_in_every_unit(text: str) -> None:
    by_unit = {unit: recognize_entities(text, DEMO_ENTITY_CATEGORIES, unit) for unit in UNITS}
    code_points = by_unit["UnicodeCodePoint"]
    boundaries = cluster_boundaries(text)
    assert len(by_unit["TextElements_v8"]) == len(by_unit["Utf16CodeUnit"]) == len(code_points)
    previous_end = 0
    for cp, te, u16 in zip(
        code_points, by_unit["TextElements_v8"], by_unit["Utf16CodeUnit"], strict=True
    ):
        start, end = cp.offset, cp.offset + cp.length
        assert text[start:end] == cp.text
        assert cp.length > 0
        assert start >= previous_end, "entities overlap or are out of order"
        previous_end = end
        assert start in boundaries
        assert end in boundaries
        assert (te.offset, te.length) == (grapheme_len(text[:start]), grapheme_len(cp.text))
        assert (u16.offset, u16.length) == (utf16_len(text[:start]), utf16_len(cp.text))
        assert (te.text, te.category, te.confidence) == (cp.text, cp.category, cp.confidence)
        assert (u16.text, u16.category, u16.confidence) == (cp.text, cp.category, cp.confidence)
        assert cp.category in DEMO_ENTITY_CATEGORIES
        assert_score(cp.confidence)


def test_legacy_unit_spelling_gives_the_same_entities() -> None:
    assert recognize_entities(MIXED, DEMO_ENTITY_CATEGORIES, "TextElement_v8") == (
        recognize_entities(MIXED, DEMO_ENTITY_CATEGORIES)
    )


def test_default_unit_is_text_elements() -> None:
    assert recognize_entities(MIXED, DEMO_ENTITY_CATEGORIES) == recognize_entities(
        MIXED, DEMO_ENTITY_CATEGORIES, "TextElements_v8"
    )


def test_unknown_unit_is_rejected() -> None:
    with pytest.raises(ValueError, match="unknown string index type"):
        recognize_entities("Ana Díaz", DEMO_ENTITY_CATEGORIES, "Bytes")


def test_no_categories_no_entities() -> None:
    assert recognize_entities("Loan of $5,000 to Ana Díaz", ()) == []


def test_spans_are_widened_to_whole_clusters() -> None:
    # The skin tone modifier extends the cluster "a\U0001f3fd", so it belongs to the name.
    text = "Paid to Ana\U0001f3fd today"
    by_unit = [recognize_entities(text, DEMO_ENTITY_CATEGORIES, unit) for unit in UNITS]
    assert [[(e.text, e.offset, e.length) for e in entities] for entities in by_unit] == [
        [("Ana\U0001f3fd", 8, 3)],
        [("Ana\U0001f3fd", 8, 4)],
        [("Ana\U0001f3fd", 8, 5)],
    ]
    # A prepended number sign joins the cluster of the first digit, so it starts the span.
    text = "Total \u0600123 paid"
    (entity,) = recognize_entities(text, DEMO_ENTITY_CATEGORIES, "UnicodeCodePoint")
    assert (entity.text, entity.offset, entity.length) == ("\u0600123", 6, 4)


@pytest.mark.parametrize(
    ("text", "span", "category"),
    [
        ("Refund of €1.250,00 please", "€1.250,00", "Amount"),
        ("They sent 300 dollars back", "300 dollars", "Amount"),
        ("Write to ana.diaz@example.com today", "ana.diaz@example.com", "Email"),
        ("It was due on March 3, 2024 already", "March 3, 2024", "Date"),
        ("It was due on 2024-03-01 already", "2024-03-01", "Date"),
        ("We bank with Acme Bank since 2010", "Acme Bank", "Organization"),
        ("The branch in Lyon closed", "Lyon", "Location"),
        ("Ask for Renée O'Brien at the desk", "Renée O'Brien", "Person"),
    ],
)
def test_category_follows_the_span_shape(text: str, span: str, category: str) -> None:
    entities = recognize_entities(text, DEMO_ENTITY_CATEGORIES, "UnicodeCodePoint")
    assert (span, category) in [(e.text, e.category) for e in entities]
    fitting = next(e for e in entities if e.text == span)
    assert fitting.confidence >= 0.8


def test_shape_matches_category_names_of_a_custom_project() -> None:
    categories = ("LoanAmount", "BorrowerName", "StartDate")
    entities = recognize_entities("Loan of $5,000 to Ana Díaz from 2024-03-01", categories)
    assert [(e.text, e.category) for e in entities] == [
        ("$5,000", "LoanAmount"),
        ("Ana Díaz", "BorrowerName"),
        ("2024-03-01", "StartDate"),
    ]


def test_categories_without_a_fitting_name_are_picked_stably() -> None:
    categories = ("Alpha", "Beta", "Gamma")
    texts = [
        f"Order {i} for Ana Díaz, {i * 13} units, sent to ana{i}@example.com" for i in range(40)
    ]
    seen: set[str] = set()
    for text in texts:
        first = recognize_entities(text, categories)
        assert first == recognize_entities(text, categories)
        assert first
        seen.update(e.category for e in first)
        for entity in first:
            assert 0 < entity.confidence < 0.8
    assert seen == set(categories)


def test_sentence_words_and_possessives_are_not_names() -> None:
    text = "Hello team. Thanks for the help, Ana's refund arrived. Payment was fine."
    entities = recognize_entities(text, DEMO_ENTITY_CATEGORIES, "UnicodeCodePoint")
    assert [e.text for e in entities] == ["Ana"]


# --- classification -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "label"),
    [
        ("I was charged twice, please refund my invoice", "Billing"),
        ("The app crashes with an error after the update", "Technical"),
        ("I forgot my password and cannot log in", "Account"),
        ("My package never arrived, the tracking page is stale", "Shipping"),
        ("Great service, thanks! I would recommend you", "Feedback"),
        ("Überweisung: billing question about my subscription fees", "Billing"),
    ],
)
def test_single_label_follows_keywords(text: str, label: str) -> None:
    result = classify_single(text, DEMO_SINGLE_LABELS)
    assert result.category == label
    assert result.confidence >= 0.72
    assert_score(result.confidence)


def test_single_label_matches_label_names_of_any_project() -> None:
    labels = ("Lion", "Zebra", "Giraffe")
    assert classify_single("Two zebras crossed the road", labels).category == "Zebra"
    assert classify_single("A GIRAFFE, then a lion, then a giraffe", labels).category == "Giraffe"


def test_single_label_ties_go_to_the_earliest_mention() -> None:
    text = "My package was lost and the refund never came"
    assert classify_single(text, DEMO_SINGLE_LABELS).category == "Shipping"
    text = "The refund never came and my package was lost"
    assert classify_single(text, DEMO_SINGLE_LABELS).category == "Billing"


def test_single_label_is_always_exactly_one_label_and_spread_by_hash() -> None:
    picked = []
    for text in NEUTRAL_TEXTS:
        result = classify_single(text, DEMO_SINGLE_LABELS)
        assert isinstance(result, Classification)
        assert result.category in DEMO_SINGLE_LABELS
        assert_score(result.confidence)
        assert result.confidence < 0.72  # no keyword, so a hash guess
        picked.append(result.category)
    assert set(picked) == set(DEMO_SINGLE_LABELS)


def test_single_label_needs_labels() -> None:
    with pytest.raises(ValueError, match="at least one label"):
        classify_single("anything", [])


def test_multi_label_follows_keywords_in_label_order() -> None:
    text = "A scary, bloody ghost story that is also hilarious"
    result = classify_multi(text, DEMO_MULTI_LABELS)
    categories = [c.category for c in result]
    assert "Comedy" in categories
    assert "Horror" in categories
    assert categories == [label for label in DEMO_MULTI_LABELS if label in categories]
    horror = next(c for c in result if c.category == "Horror")
    assert horror.confidence >= 0.78


def test_multi_label_is_an_ordered_subset_and_sometimes_empty() -> None:
    sizes = []
    for text in NEUTRAL_TEXTS:
        result = classify_multi(text, DEMO_MULTI_LABELS)
        categories = [c.category for c in result]
        assert categories == [label for label in DEMO_MULTI_LABELS if label in categories]
        for classification in result:
            assert_score(classification.confidence)
        sizes.append(len(result))
    assert 0 in sizes
    assert any(size > 0 for size in sizes)
    assert any(size > 1 for size in sizes)


def test_multi_label_needs_labels() -> None:
    with pytest.raises(ValueError, match="at least one label"):
        classify_multi("anything", ())


# --- determinism ----------------------------------------------------------------------------


def _answers() -> bytes:
    """Every answer of the model on a fixed corpus, serialized."""
    texts = [*ENTITY_TEXTS, *NEUTRAL_TEXTS[:50], "I love this hilarious romantic comedy"]
    out: list[object] = []
    for text in texts:
        single = classify_single(text, DEMO_SINGLE_LABELS)
        multi = classify_multi(text, DEMO_MULTI_LABELS)
        out.append([single.category, single.confidence])
        out.append([[c.category, c.confidence] for c in multi])
        for unit in UNITS:
            entities: list[EntityMatch] = recognize_entities(text, DEMO_ENTITY_CATEGORIES, unit)
            out.append([[e.text, e.category, e.offset, e.length, e.confidence] for e in entities])
    return orjson.dumps(out)


def test_answers_repeat_within_a_process() -> None:
    assert _answers() == _answers()


def test_answers_do_not_depend_on_the_hash_seed() -> None:
    script = (
        "import sys; from tests.emulator.test_model import _answers; "
        "sys.stdout.buffer.write(_answers())"
    )
    here = _answers()
    for seed in ("0", "4242"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        done = subprocess.run(
            [sys.executable, "-c", script],
            env=env,
            capture_output=True,
            check=True,
            timeout=60,
            cwd=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
        )
        assert done.stdout == here
