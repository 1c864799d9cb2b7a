"""Parquet, in and out (the `[parquet]` extra, pyarrow): read by row group, written in row
groups, so that memory stays flat however many rows the file holds."""

from __future__ import annotations

import functools
from collections.abc import Iterator, Sequence
from typing import Any

MAGIC = b"PAR1"
BATCH_ROWS = 4096
"""Rows read at once: a batch of a row group, never the file."""


def pyarrow_parquet(path: str) -> Any:
    """The `pyarrow.parquet` module, or ValueError saying how to get it."""
    try:
        return _loaded()
    except ImportError:
        raise ValueError(
            f"{path} is Parquet: pip install 'asyncclassify[parquet]' to read or write it"
        ) from None


@functools.cache
def _loaded() -> Any:
    import pyarrow
    import pyarrow.parquet

    # The command line is its own process: buffers freed go back to the system at once
    # (pyarrow's default allocator keeps what a row group's decoding used; 56 MB of a
    # 250 MB peak at 200,000 rows). Set once, when pyarrow is first needed.
    pyarrow.set_memory_pool(pyarrow.system_memory_pool())
    return pyarrow.parquet


def columns_of(path: str) -> list[str]:
    """The columns a Parquet file holds."""
    parquet = pyarrow_parquet(path)
    try:
        return list(parquet.ParquetFile(path).schema_arrow.names)
    except (OSError, ValueError) as exc:  # (pyarrow's ArrowInvalid is a ValueError)
        raise ValueError(f"{path} is not a Parquet file that can be read: {exc}") from None


def row_count(path: str) -> int:
    """The rows a Parquet file holds (from its footer: nothing is read)."""
    return int(pyarrow_parquet(path).ParquetFile(path).metadata.num_rows)


def rows(path: str, columns: Sequence[str] | None) -> Iterator[dict[str, Any]]:
    """The rows of `columns` (None: every column), one at a time, a batch read at once."""
    parquet = pyarrow_parquet(path)
    with parquet.ParquetFile(path) as table:
        for batch in table.iter_batches(batch_size=BATCH_ROWS, columns=columns):
            yield from batch.to_pylist()
