"""The emulator's deterministic stand-in for a trained custom text model.

Every answer is a pure function of the text and the project's labels, the same in every
process and on every machine (hashes come from :mod:`hashlib`, never from ``hash()``).
Answers are meant to look plausible on a corpus of short support tickets and reviews:

* A label whose name, or one of its keywords (for the demo labels), occurs in the text wins;
  otherwise a stable hash of the text picks.
* Entities are spans found by Unicode-aware patterns: e-mail addresses, dates, money amounts,
  numbers, runs of Han/Katakana or Hangul, and runs of capitalised words (accents and
  combining marks included). Spans always start and end on grapheme cluster boundaries. A
  category whose name fits the span's shape (money -> ``Amount``) is chosen when the project
  has one; otherwise a stable hash of the span picks.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import regex

from .textunits import TEXT_ELEMENTS, TextIndex, normalize_unit

__all__ = [
    "DEMO_ENTITY_CATEGORIES",
    "DEMO_MULTI_LABELS",
    "DEMO_SINGLE_LABELS",
    "Classification",
    "EntityMatch",
    "classify_multi",
    "classify_single",
    "recognize_entities",
]

DEMO_SINGLE_LABELS: tuple[str, ...] = ("Billing", "Technical", "Account", "Shipping", "Feedback")
"""Single-label demo project: routing support tickets."""

DEMO_MULTI_LABELS: tuple[str, ...] = (
    "Comedy",
    "Drama",
    "Action",
    "Romance",
    "Horror",
    "Documentary",
)
"""Multi-label demo project: genres of film reviews."""

DEMO_ENTITY_CATEGORIES: tuple[str, ...] = (
    "Person",
    "Organization",
    "Location",
    "Amount",
    "Date",
    "Email",
)
"""Custom NER demo project: entities in loan and support correspondence."""


@dataclass(frozen=True, slots=True)
class Classification:
    """One predicted class; `confidence` is rounded to 2 decimals and lies in (0, 1]."""

    category: str
    confidence: float


@dataclass(frozen=True, slots=True)
class EntityMatch:
    """One recognized entity; `offset` and `length` are in the requested unit."""

    text: str
    category: str
    offset: int
    length: int
    confidence: float


# --- stable hashing -------------------------------------------------------------------------

_SEPARATOR = b"\x1f"


def _digest(*parts: str) -> bytes:
    data = _SEPARATOR.join(part.encode("utf-8", "surrogatepass") for part in parts)
    return hashlib.blake2b(data, digest_size=16).digest()


def _pick(digest: bytes) -> int:
    """A stable integer for choosing among alternatives."""
    return int.from_bytes(digest[:8], "big")


def _fraction(digest: bytes) -> float:
    """A stable number in [0, 1), independent of :func:`_pick`."""
    return int.from_bytes(digest[8:], "big") / 2.0**64


def _score(low: float, high: float, fraction: float) -> float:
    """A confidence between `low` and `high`, rounded like the service's scores."""
    return max(0.01, min(1.0, round(low + (high - low) * fraction, 2)))


# --- classification -------------------------------------------------------------------------

# Keyword patterns (case-insensitive regular expressions matched as whole words) for the demo
# labels, keyed by the casefolded label name, so any project with such a label benefits.
_KEYWORDS: dict[str, tuple[str, ...]] = {
    "billing": (
        r"bill(?:s|ed|ing)?",
        r"invoices?",
        r"charg(?:e|es|ed|ing)",
        r"overcharg\w*",
        r"refund\w*",
        r"pa(?:y|ys|id|ying|yment|yments)",
        r"prices?",
        r"fees?",
        r"subscriptions?",
        r"credit card",
        r"receipts?",
    ),
    "technical": (
        r"errors?",
        r"crash\w*",
        r"bugs?",
        r"broken",
        r"fail\w*",
        r"not working",
        r"install\w*",
        r"updat(?:e|es|ed|ing)",
        r"freez\w*",
        r"froze",
        r"apps?",
        r"servers?",
        r"timeouts?",
        r"reboot\w*",
        r"glitch\w*",
    ),
    "account": (
        r"accounts?",
        r"passwords?",
        r"log ?in",
        r"sign ?in",
        r"usernames?",
        r"profiles?",
        r"locked",
        r"two-factor",
        r"2fa",
        r"verification",
    ),
    "shipping": (
        r"ship\w*",
        r"deliver\w*",
        r"packages?",
        r"parcels?",
        r"tracking",
        r"couriers?",
        r"arriv\w*",
        r"dispatch\w*",
        r"orders?",
        r"postal",
    ),
    "feedback": (
        r"feedback",
        r"suggest\w*",
        r"love\w*",
        r"great",
        r"thanks?",
        r"improv\w*",
        r"feature request",
        r"awesome",
        r"disappoint\w*",
        r"recommend\w*",
    ),
    "comedy": (
        r"comed\w*",
        r"funny",
        r"hilarious\w*",
        r"laugh\w*",
        r"jokes?",
        r"witty",
        r"humou?r\w*",
        r"comic\w*",
    ),
    "drama": (
        r"drama\w*",
        r"emotional\w*",
        r"moving",
        r"tears?",
        r"tragic\w*",
        r"grief",
        r"heartbreak\w*",
    ),
    "action": (
        r"action",
        r"explosions?",
        r"fights?",
        r"chases?",
        r"stunts?",
        r"battles?",
        r"thrill\w*",
        r"car chase",
    ),
    "romance": (
        r"romance",
        r"romantic\w*",
        r"love\w*",
        r"kiss\w*",
        r"couples?",
        r"wedding",
        r"heartwarming",
    ),
    "horror": (
        r"horror\w*",
        r"scar(?:y|ier|iest|ed)",
        r"terrif\w*",
        r"creepy",
        r"ghosts?",
        r"blood\w*",
        r"monsters?",
        r"haunt\w*",
        r"fright\w*",
        r"zombies?",
    ),
    "documentary": (
        r"documentar\w*",
        r"true story",
        r"real-life",
        r"interviews?",
        r"footage",
        r"history",
        r"historical",
        r"nature",
        r"educational",
    ),
}


@dataclass(frozen=True, slots=True)
class _LabelMatcher:
    """Finds mentions of each label (by name or keyword) in a text."""

    labels: tuple[str, ...]
    pattern: re.Pattern[str]

    def hits(self, text: str) -> tuple[list[int], list[int]]:
        """Per label: the number of mentions, and the position of the first (or -1)."""
        counts = [0] * len(self.labels)
        first = [-1] * len(self.labels)
        for match in self.pattern.finditer(text):
            index = (match.lastindex or 1) - 1
            if counts[index] == 0:
                first[index] = match.start()
            counts[index] += 1
        return counts, first


@lru_cache(maxsize=256)
def _matcher(labels: tuple[str, ...]) -> _LabelMatcher:
    groups = []
    for label in labels:
        words = [re.escape(label) + "s?", *_KEYWORDS.get(label.casefold(), ())]
        groups.append("(" + "|".join(f"(?:{word})" for word in words) + ")")
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(groups) + r")(?!\w)", re.IGNORECASE)
    return _LabelMatcher(labels, pattern)


def _label_tuple(labels: Sequence[str]) -> tuple[str, ...]:
    labels = tuple(labels)
    if not labels:
        raise ValueError("a classification project needs at least one label")
    return labels


def classify_single(text: str, labels: Sequence[str]) -> Classification:
    """Exactly one of `labels` for `text`.

    The label mentioned most often wins (the earliest mention breaks ties); without any
    mention a stable hash of the text and labels picks one, with a lower confidence.
    """
    labels = _label_tuple(labels)
    digest = _digest(text, *labels)
    counts, first = _matcher(labels).hits(text)
    best = max(counts)
    if best:
        winner = min((i for i, count in enumerate(counts) if count == best), key=first.__getitem__)
        low = 0.72 + 0.06 * min(best - 1, 3)
        return Classification(labels[winner], _score(low, low + 0.09, _fraction(digest)))
    winner = _pick(digest) % len(labels)
    return Classification(labels[winner], _score(0.35, 0.65, _fraction(digest)))


_MULTI_BY_CHANCE = 0.12
"""How often an unmentioned label is still predicted for a text."""


def classify_multi(text: str, labels: Sequence[str]) -> list[Classification]:
    """Zero or more of `labels` for `text`, in the order of `labels`.

    Every mentioned label is predicted; each unmentioned label is predicted for a small,
    stable share of texts, with a lower confidence. Often nothing is predicted.
    """
    labels = _label_tuple(labels)
    counts, _ = _matcher(labels).hits(text)
    text_digest = _digest(text)
    result = []
    for label, count in zip(labels, counts, strict=True):
        digest = hashlib.blake2b(
            text_digest + label.encode("utf-8", "surrogatepass"), digest_size=16
        ).digest()
        if count:
            low = 0.78 + 0.06 * min(count - 1, 2)
            result.append(Classification(label, _score(low, low + 0.09, _fraction(digest))))
        elif _pick(digest) / 2.0**64 < _MULTI_BY_CHANCE:
            result.append(Classification(label, _score(0.50, 0.72, _fraction(digest))))
    return result


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
        digest = _digest(span)
        candidates = fitting.get(shape)
        if candidates:
            category = candidates[_pick(digest) % len(candidates)]
            confidence = _score(0.80, 0.99, _fraction(digest))
        else:
            category = categories[_pick(digest) % len(categories)]
            confidence = _score(0.55, 0.79, _fraction(digest))
        offset, length = index.measure(start, end, unit)
        entities.append(EntityMatch(span, category, offset, length, confidence))
    return entities
