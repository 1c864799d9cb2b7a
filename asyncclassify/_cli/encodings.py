"""Text as users save it: the encoding a byte order mark says, UTF-16 and UTF-32 decoded
before they are split into lines (a newline there is not the byte 0x0a), and undecodable
bytes marked so that only the record that holds them fails."""

from __future__ import annotations

import codecs
import io
from collections.abc import Iterator
from typing import IO

MARKS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # (before UTF-16's, which it begins with)
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
"""Byte order marks, and the encoding each says (a codec that reads the mark itself)."""
UNDECODABLE = "asyncclassify-undecodable"
"""The decoding error handler that marks undecodable bytes as lone surrogates."""


def encoding_of(head: bytes, given: str) -> str:
    """The encoding a file's first bytes say by a byte order mark, else `given`."""
    for mark, encoding in MARKS:
        if head.startswith(mark):
            return encoding
    return given


def wide(encoding: str) -> bool:
    """Whether text in `encoding` cannot be split into lines at the byte 0x0a (UTF-16, -32)."""
    return codecs.lookup(encoding).name.startswith(("utf-16", "utf-32"))


def _mark_undecodable(error: UnicodeError) -> tuple[str, int]:
    """Undecodable bytes as lone surrogates (as `surrogateescape` does, for any byte), so
    that only the record that holds them fails."""
    assert isinstance(error, UnicodeDecodeError)
    bad = error.object[error.start : error.end]
    return "".join(chr(0xDC80 | (byte & 0x7F)) for byte in bad), error.end


codecs.register_error(UNDECODABLE, _mark_undecodable)


def peek(handle: IO[bytes]) -> bytes:
    """A stream's first bytes, left unread (enough for a byte order mark)."""
    look = getattr(handle, "peek", None)
    return look(4)[:4] if look is not None else b""


def wide_lines(handle: IO[bytes], encoding: str) -> Iterator[str]:
    """The lines of a UTF-16 or UTF-32 stream, decoded (a line's undecodable bytes marked)."""
    text = io.TextIOWrapper(handle, encoding=encoding, errors=UNDECODABLE, newline="\n")
    try:
        for line in text:  # noqa: UP028 (`yield from` would close the file with the lines)
            yield line
    finally:
        text.detach()  # the caller closes the file


def not_in(encoding: str) -> str:
    """The problem of a record with bytes `encoding` cannot decode."""
    return f"bytes that are not {encoding} (pass --encoding for another)"


def escaped(value: str) -> bool:
    """Whether decoded text holds bytes marked undecodable."""
    return any("\udc80" <= character <= "\udcff" for character in value)
