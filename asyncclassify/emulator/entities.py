"""The emulator's stand-in for a trained custom NER model: entities are spans found by
Unicode-aware patterns (e-mail addresses, dates, money amounts, numbers, runs of Han/Katakana
or Hangul, runs of capitalised words, accents and combining marks included), always starting
and ending on grapheme cluster boundaries. A category whose name fits the span's shape (money
-> ``Amount``) is chosen when the project has one; otherwise a stable hash of the span picks.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import regex

from . import hashing
from .textunits import TEXT_ELEMENTS, TextIndex, normalize_unit


@dataclass(frozen=True, slots=True)
class EntityMatch:
    """One recognized entity; `offset` and `length` are in the requested unit."""

    text: str
    category: str
    offset: int
    length: int
    confidence: float


# --- entities -------------------------------------------------------------------------------

_MONTH = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
)
_STANDALONE_DATE = (
    r"(?:January|February|March|April|June|July|August|September|October|November|December"
    r"|Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_AMOUNT_NUMBER = r"\d+(?:[.,]\d+)*"
_CURRENCY_WORD = r"(?:USD|EUR|GBP|JPY|CHF|dollars?|euros?|pounds?|yen)"
_LETTER = r"[\p{Lu}\p{Ll}\p{Lt}]\p{M}*"
# A capitalised word, with inner apostrophes and hyphens (O'Brien, Jean-Luc) but not a
# possessive 's.
_CAPITALISED = (
    rf"\p{{Lu}}\p{{M}}*(?:{_LETTER})*(?:['\u2019-](?!s(?!\p{{L}})){_LETTER}(?:{_LETTER})*)*"
)
_PARTICLE = r"(?:de|del|della|da|di|du|dos|van|von|der|den|la|le|al|bin|ibn)"

# Everything but e-mail addresses. At each position the first alternative that matches wins,
# so the more specific shapes come first. Named groups are the span's shape.
_SHAPES = rf"""
    (?P<date>(?<!\w)(?:
        \d{{4}}-\d{{1,2}}-\d{{1,2}}
        |\d{{1,2}}[/.]\d{{1,2}}[/.]\d{{2,4}}
        |{_MONTH}\ {_DAY}(?:,?\ \d{{4}})?
        |{_MONTH}\ \d{{4}}
        |{_DAY}\ {_MONTH}(?:\ \d{{4}})?
        |{_STANDALONE_DATE}
    )(?!\w))
    |(?P<money>(?<![\w.,])(?:
        \p{{Sc}}\ ?{_AMOUNT_NUMBER}
        |{_AMOUNT_NUMBER}\ ?(?:\p{{Sc}}|{_CURRENCY_WORD}(?!\w))
    ))
    |(?P<number>(?<![\w.,]){_AMOUNT_NUMBER}(?!\w))
    |(?P<cjk>[\p{{Han}}\p{{Katakana}}\u30fc]{{2,}}|\p{{Hangul}}{{2,}})
    |(?P<name>(?<![\p{{L}}\p{{M}}\d]){_CAPITALISED}
        (?:\ (?:{_PARTICLE}\ )*{_CAPITALISED})*
        (?![\p{{L}}\p{{M}}\d]))
"""
_EMAIL_ADDRESS = r"(?P<email>(?<![\w.+-])[\w.+-]+@[\w-]+(?:\.[\w-]+)+(?!\w))"
_ENTITY = regex.compile(_SHAPES, regex.VERBOSE)
# Trying the e-mail alternative at every word costs more than all the others together, so it
# is only tried in texts that contain an "@".
_ENTITY_OR_EMAIL = regex.compile(rf"{_EMAIL_ADDRESS}|{_SHAPES}", regex.VERBOSE)

# Capitalised words that start sentences far more often than they name anything.
# fmt: off
_NOT_NAMES = frozenset({
    "A", "An", "And", "Are", "As", "At", "Also", "After", "Before", "But", "By", "Can", "Could",
    "Dear", "Did", "Do", "Does", "For", "From", "Good", "He", "Hello", "Hey", "Hi", "How", "I",
    "If", "In", "Is", "It", "Its", "Just", "Kind", "Let", "May", "Me", "My", "No", "Not", "Now",
    "OK", "Ok", "Of", "On", "Or", "Our", "Please", "Regards", "She", "Since", "So", "Sorry",
    "Still", "Thank", "Thanks", "That", "The", "Their", "Then", "There", "These", "They", "This",
    "Those", "To", "Today", "Tomorrow", "Very", "Was", "We", "What", "When", "Where", "Which",
    "While", "Who", "Why", "Will", "With", "Would", "Yes", "Yesterday", "You", "Your", "Loan",
    "Order", "Invoice", "Ticket", "Re", "Fwd",
})
# fmt: on

# fmt: off
_ORG_SUFFIXES = frozenset({
    "Inc", "Ltd", "LLC", "Corp", "Corporation", "GmbH", "AG", "SA", "PLC", "Co", "Company", "Bank",
    "Group", "Airlines", "University", "Labs", "Technologies", "Systems", "Insurance", "Holdings",
    "Partners", "Foundation",
})
# fmt: on

# Substrings of category names that say which shape of span a category is for.
_PERSON = ("person", "name", "borrower", "customer", "client", "people", "actor", "author")
_ORGANIZATION = ("organization", "organisation", "company", "org", "bank", "lender", "brand")
_LOCATION = ("location", "place", "city", "country", "address", "region")
_AMOUNT = ("amount", "money", "price", "cost", "payment", "salary", "income", "balance")
_DATE = ("date", "day", "time", "deadline")
_EMAIL = ("email", "e-mail", "mail")
_NUMBER = ("number", "quantity", "count")

# For each kind of span, hint groups in order of preference: the first group that fits some
# categories decides; the categories fitting it are chosen among by hash.
_SHAPE_HINTS: dict[str, tuple[tuple[str, ...], ...]] = {
    "email": (_EMAIL,),
    "date": (_DATE,),
    "money": (_AMOUNT,),
    "number": (_NUMBER, _AMOUNT),
    "organization": (_ORGANIZATION,),
    "location": (_LOCATION,),
    "person": (_PERSON, _ORGANIZATION + _LOCATION),
    "name": (_PERSON + _ORGANIZATION + _LOCATION,),
    "cjk": (_PERSON + _ORGANIZATION + _LOCATION,),
}


@lru_cache(maxsize=256)
def _categories_by_shape(categories: tuple[str, ...]) -> dict[str, tuple[str, ...]]:
    """For each shape, the categories whose names fit it (absent when none fit)."""
    folded = [category.casefold() for category in categories]
    fitting: dict[str, tuple[str, ...]] = {}
    for shape, hint_groups in _SHAPE_HINTS.items():
        for hints in hint_groups:
            found = tuple(
                category
                for category, name in zip(categories, folded, strict=True)
                if any(hint in name for hint in hints)
            )
            if found:
                fitting[shape] = found
                break
    return fitting


def _after_word(text: str, start: int, word: str) -> bool:
    """True when `word` and a space stand right before `start`, as in "a branch in Lyon"."""
    cue_start = start - len(word) - 1
    return (
        cue_start >= 0
        and text.startswith(word, cue_start)
        and text[start - 1] == " "
        and (cue_start == 0 or not text[cue_start - 1].isalnum())
    )


def _starts_sentence(text: str, start: int) -> bool:
    """True when nothing but spaces, symbols or emoji precede `start` in its sentence."""
    for position in range(start - 1, -1, -1):
        char = text[position]
        if char in _SENTENCE_ENDS:
            return True
        if char.isalnum():
            return False
    return True


_SENTENCE_ENDS = frozenset(".!?\n\u3002")


def _name_shape(text: str, start: int, end: int) -> tuple[int, str] | None:
    """Refine a run of capitalised words: drop leading non-names, tell organizations apart.

    A lone capitalised word opening a sentence is taken for an ordinary word. Returns the
    new start and the shape, or None when nothing name-like is left.
    """
    while True:
        space = text.find(" ", start, end)
        word = text[start:end] if space < 0 else text[start:space]
        if word not in _NOT_NAMES:
            break
        if space < 0:
            return None
        start = space + 1
    if space < 0 and _starts_sentence(text, start):
        return None
    last = text[text.rfind(" ", start, end) + 1 : end]
    if last in _ORG_SUFFIXES:
        return start, "organization"
    if _after_word(text, start, "in") or _after_word(text, start, "In"):
        return start, "location"
    return start, ("name" if space < 0 else "person")


def recognize_entities(
    text: str, categories: Sequence[str], unit: str = TEXT_ELEMENTS
) -> list[EntityMatch]:
    """Entities in `text`, in text order, with offsets and lengths in `unit`.

    Every span starts and ends on a grapheme cluster boundary, so it measures exactly in all
    three units. Raises :class:`ValueError` for an unknown unit; no categories, no entities.
    """
    unit = normalize_unit(unit)
    categories = tuple(categories)
    if not categories:
        return []
    fitting = _categories_by_shape(categories)
    index = TextIndex(text)
    entities: list[EntityMatch] = []
    covered = 0
    pattern = _ENTITY_OR_EMAIL if "@" in text else _ENTITY
    for match in pattern.finditer(text):
        shape: str = match.lastgroup
        start: int = match.start()
        end: int = match.end()
        if shape == "name":
            refined = _name_shape(text, start, end)
            if refined is None:
                continue
            start, shape = refined
        start, end = index.snap(start, end)
        if start < covered:
            continue
        covered = end
        span = text[start:end]
        digest = hashing.digest(span)
        candidates = fitting.get(shape)
        if candidates:
            category = candidates[hashing.pick(digest) % len(candidates)]
            confidence = hashing.score(0.80, 0.99, hashing.fraction(digest))
        else:
            category = categories[hashing.pick(digest) % len(categories)]
            confidence = hashing.score(0.55, 0.79, hashing.fraction(digest))
        offset, length = index.measure(start, end, unit)
        entities.append(EntityMatch(span, category, offset, length, confidence))
    return entities
