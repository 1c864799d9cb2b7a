"""Inputs as they are stored: gzip, bzip2, xz or Zstandard compression of any line format,
read as a stream (never decompressed whole). The compression is told by the name's suffix
(`tickets.jsonl.gz`), else by the file's first bytes."""

from __future__ import annotations

import bz2
import gzip
import io
import lzma
import sys
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import PurePath
from typing import IO, Any, cast

SUFFIXES = {".gz": "gzip", ".gzip": "gzip", ".bz2": "bz2", ".xz": "xz", ".zst": "zstd"}
MAGIC = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bz2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)
BUFFER = 1 << 16


def inner_name(path: str) -> str:
    """The name without a compression suffix (`tickets.jsonl.gz` -> `tickets.jsonl`)."""
    pure = PurePath(path)
    return str(pure.with_suffix("")) if pure.suffix.lower() in SUFFIXES else path


def compression_of(path: str, head: bytes) -> str | None:
    """The compression `path` is in (by its suffix, else by its first bytes `head`)."""
    by_name = SUFFIXES.get(PurePath(path).suffix.lower())
    if by_name is not None:
        return by_name
    return next((kind for magic, kind in MAGIC if head.startswith(magic)), None)


@contextmanager
def open_input(path: str) -> Iterator[IO[bytes]]:
    """The bytes of `path` ("-": stdin), decompressed if they are compressed."""
    with ExitStack() as closing:
        raw: Any = sys.stdin.buffer if path == "-" else closing.enter_context(open(path, "rb"))
        kind = compression_of(path, raw.peek(8)[:8])
        if kind is None:
            yield raw
            return
        stream = closing.enter_context(_decompressed(raw, kind, path))
        yield cast(IO[bytes], io.BufferedReader(_Checked(stream, path, kind), BUFFER))


def _decompressed(raw: IO[bytes], kind: str, path: str) -> io.BufferedIOBase:
    """A reader of `raw`'s bytes decompressed (closing it leaves `raw` open)."""
    if kind == "gzip":
        return gzip.GzipFile(fileobj=raw, mode="rb")
    if kind == "bz2":
        return bz2.BZ2File(raw, mode="rb")
    if kind == "xz":
        return lzma.LZMAFile(raw, mode="rb")
    return io.BufferedReader(_zstd_reader(raw, path), BUFFER)


def _zstd_reader(raw: IO[bytes], path: str) -> Any:
    try:
        import zstandard
    except ImportError:
        raise ValueError(
            f"{path} is compressed with Zstandard: pip install 'asyncclassify[zstd]' to read it"
        ) from None
    return zstandard.ZstdDecompressor().stream_reader(raw, read_size=BUFFER, closefd=False)


class DamagedInputError(ValueError):
    """The compressed input cannot be read on: damaged, or cut short."""


class _Checked(io.RawIOBase):
    """A decompressed stream whose errors name the file (a damaged or truncated file raises
    EOFError, OSError or the codec's own error from deep in a read)."""

    def __init__(self, stream: io.BufferedIOBase, path: str, kind: str) -> None:
        self._stream = stream
        self._path = path
        self._kind = kind

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        try:
            return self._stream.readinto(buffer)
        except (EOFError, OSError, ValueError) as exc:  # (zstandard's errors are ValueError)
            name = "stdin" if self._path == "-" else self._path
            raise DamagedInputError(
                f"{name} is not readable {self._kind} to its end ({exc}); mend it and run "
                "again (--resume keeps the lines the output holds)"
            ) from None
