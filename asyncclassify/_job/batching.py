"""Packing documents into jobs within the dialect's limits. No I/O."""

from __future__ import annotations

from dataclasses import dataclass, field

from .._api.base import Limits

REQUEST_BYTES_MARGIN = 0.9
"""Bodies stay this fraction of the service's byte limit at most: well under 1 MB."""


@dataclass(slots=True)
class Pending:
    """A valid document waiting for its result: where it came from and its wire form."""

    index: int
    id: str
    encoded: bytes
    """`{"id": <wire id>, "language": ..., "text": ...}`; the wire id is `str(index)`, unique
    within any batch whatever ids the caller chose."""
    default_language: bool = False
    """The document is in the call's default language (it gave none, or the same)."""


@dataclass(slots=True)
class Batch:
    """The documents of one job."""

    documents: list[Pending] = field(default_factory=list)
    characters: int = 0
    size: int = 0
    """Bytes of the documents and their separating commas."""

    def __len__(self) -> int:
        return len(self.documents)


class TooLargeError(ValueError):
    """The document alone is over a per-request limit."""


class Batcher:
    """Fills batches in input order; hands out a batch as soon as the next document won't fit."""

    def __init__(self, limits: Limits, body_overhead: int) -> None:
        self._max_documents = limits.max_documents
        self._max_characters = limits.max_characters
        self._max_size = int(limits.max_request_bytes * REQUEST_BYTES_MARGIN) - body_overhead
        self._current = Batch()

    def check(self, characters: int, text_bytes: int) -> None:
        """Raise `TooLargeError` for a document that no batch could hold."""
        if characters > self._max_characters:
            raise TooLargeError(
                f"text is {characters} characters long; the service takes at most "
                f"{self._max_characters} characters per request"
            )
        if text_bytes > self._max_size:
            raise TooLargeError(
                f"document is {text_bytes} bytes as JSON; requests must stay under "
                f"{self._max_size} bytes"
            )

    def add(self, document: Pending, characters: int) -> Batch | None:
        """Add a document (already `check`ed); return the batch this closed, if any."""
        current = self._current
        closed = None
        if current.documents and (
            current.characters + characters > self._max_characters
            or current.size + 1 + len(document.encoded) > self._max_size
        ):
            closed, current = current, Batch()
            self._current = current
        current.documents.append(document)
        current.characters += characters
        current.size += len(document.encoded) + (1 if len(current.documents) > 1 else 0)
        if closed is None and len(current.documents) >= self._max_documents:
            closed, self._current = current, Batch()
        return closed

    def flush(self) -> Batch | None:
        """The partly filled batch, if there is one."""
        current, self._current = self._current, Batch()
        return current if current.documents else None
