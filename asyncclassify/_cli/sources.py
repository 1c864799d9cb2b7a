"""What a corpus is: its path, its format, and how its records are read (`Source`)."""

from __future__ import annotations

import codecs
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Format = Literal["jsonl", "json", "csv", "parquet", "text", "folder"]
FORMATS: tuple[Format, ...] = ("jsonl", "json", "csv", "parquet", "text", "folder")
TABULAR: tuple[Format, ...] = ("csv", "parquet")
"""Formats whose records have columns a tabular output carries through."""
BINARY = ((b"PK\x03\x04", "a ZIP archive (an .xlsx or .docx?)"), (b"%PDF", "a PDF"))
"""Files the command cannot read as text, by their first bytes."""
Malformed = Callable[[str, str], None]
"""Called with (id, problem) for an input record that cannot become a document."""
Warn = Callable[[str], None]
BOM = codecs.BOM_UTF8
BINARY_SNIFF = 8192
"""Bytes of a folder's file looked at for a NUL, the mark of a binary file."""


@dataclass(frozen=True, slots=True)
class Source:
    """Where the documents come from and how to read them."""

    path: str
    """A file or folder, or "-" for stdin."""
    form: Format
    encoding: str = "utf-8"
    delimiter: str | None = None
    """CSV delimiter (default: a tab for .tsv, else a comma)."""
    columns: tuple[str, str, str | None] = ("id", "text", None)
    """CSV columns, or JSON fields: id, text, language (optional; a JSON record's "language"
    field by default)."""
    exclude: frozenset[str] = frozenset()
    """Files a folder holds that are not input (the run's own output), as absolute paths."""

    @property
    def name(self) -> str:
        """How messages name the source."""
        return "stdin" if self.path == "-" else self.path
