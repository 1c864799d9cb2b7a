"""The emulator's deterministic stand-in for a trained custom text model.

Every answer is a pure function of the text and the project's labels, the same in every
process and on every machine (hashes come from :mod:`hashlib`, never from ``hash()``).
Answers are meant to look plausible on a corpus of short support tickets and reviews:

* A label whose name, or one of its keywords (for the demo labels), occurs in the text wins;
  otherwise a stable hash of the text picks.
* Entities are spans found by Unicode-aware patterns (see :mod:`.entities`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from . import hashing
from .entities import EntityMatch, recognize_entities

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
    digest = hashing.digest(text, *labels)
    counts, first = _matcher(labels).hits(text)
    best = max(counts)
    if best:
        winner = min((i for i, count in enumerate(counts) if count == best), key=first.__getitem__)
        low = 0.72 + 0.06 * min(best - 1, 3)
        return Classification(
            labels[winner], hashing.score(low, low + 0.09, hashing.fraction(digest))
        )
    winner = hashing.pick(digest) % len(labels)
    return Classification(labels[winner], hashing.score(0.35, 0.65, hashing.fraction(digest)))


_MULTI_BY_CHANCE = 0.12
"""How often an unmentioned label is still predicted for a text."""


def classify_multi(text: str, labels: Sequence[str]) -> list[Classification]:
    """Zero or more of `labels` for `text`, in the order of `labels`.

    Every mentioned label is predicted; each unmentioned label is predicted for a small,
    stable share of texts, with a lower confidence. Often nothing is predicted.
    """
    labels = _label_tuple(labels)
    counts, _ = _matcher(labels).hits(text)
    text_digest = hashing.digest(text)
    result = []
    for label, count in zip(labels, counts, strict=True):
        digest = hashlib.blake2b(
            text_digest + label.encode("utf-8", "surrogatepass"), digest_size=16
        ).digest()
        if count:
            low = 0.78 + 0.06 * min(count - 1, 2)
            result.append(
                Classification(label, hashing.score(low, low + 0.09, hashing.fraction(digest)))
            )
        elif hashing.pick(digest) / 2.0**64 < _MULTI_BY_CHANCE:
            result.append(
                Classification(label, hashing.score(0.50, 0.72, hashing.fraction(digest)))
            )
    return result
