"""Turning whatever the caller passed into (id, text, language), or saying what is wrong."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import regex

from .._models import Document

_GRAPHEME = regex.compile(r"\X")


class InvalidDocumentError(ValueError):
    """One input document cannot be sent; the message names the document and the problem."""

    def __init__(self, document_id: str, index: int, problem: str) -> None:
        super().__init__(f"document {document_id!r} (input #{index}): {problem}")
        self.document_id = document_id
        self.index = index


def normalize(item: Any, index: int, default_language: str) -> tuple[str, str, str, bool]:
    """(id, text, language, id_given) for one input item, or raise `InvalidDocumentError`.

    Plain strings get their position as id (`id_given` is False: they cannot collide).
    """
    raw_id: Any
    text: Any
    language: Any = None
    if isinstance(item, str):
        return str(index), _checked_text(item, str(index), index), default_language, False
    if isinstance(item, Document):
        raw_id, text, language = item.id, item.text, item.language
    elif isinstance(item, Mapping):
        raw_id, text, language = item.get("id"), item.get("text"), item.get("language")
    elif isinstance(item, tuple | list) and len(item) == 2:
        raw_id, text = item
    else:
        raise InvalidDocumentError(
            f"#{index}",
            index,
            f"expected a str, an (id, text) pair, a mapping or a Document, "
            f"not {type(item).__name__}",
        )
    document_id = _checked_id(raw_id, index)
    if language is None:
        language = default_language
    elif not isinstance(language, str) or not language:
        raise InvalidDocumentError(
            document_id, index, f"language must be a non-empty str, not {language!r}"
        )
    return document_id, _checked_text(text, document_id, index), language, True


def _checked_id(raw_id: Any, index: int) -> str:
    if isinstance(raw_id, int) and not isinstance(raw_id, bool):
        return str(raw_id)
    if not isinstance(raw_id, str) or not raw_id:
        raise InvalidDocumentError(f"#{index}", index, f"missing or empty id (got {raw_id!r})")
    return raw_id


def _checked_text(text: Any, document_id: str, index: int) -> str:
    if not isinstance(text, str):
        raise InvalidDocumentError(
            document_id, index, f"text must be a str, not {type(text).__name__}"
        )
    if not text.strip():
        raise InvalidDocumentError(document_id, index, "text is empty")
    return text


def character_count(text: str, limit: int) -> int:
    """The service's length of `text` (grapheme clusters), exact whenever it matters.

    Code points never undercount grapheme clusters, so they are used while within `limit`;
    past it, the clusters are counted exactly.
    """
    length = len(text)
    if length <= limit:
        return length
    return sum(1 for _ in _GRAPHEME.finditer(text))
