"""Parquet in, Parquet out through the command line: peak memory against a JSONL run of the
same corpus, and every input row once in the output, in order, with its columns intact.

The corpus (1,000,000 rows by default: an id, a text, a channel and a number) is written
once as Parquet and as JSONL. Each run is the `asyncclassify run` command in its own child
process (its peak RSS is that child's `ru_maxrss`) against the emulator in a third process,
unthrottled and with jobs that finish at once, so the run is as fast as the client allows.
The Parquet run reads its input a row group at a time, journals its answers as lines, and
writes the table at the end from the journal through an index on disk: the target is a peak
no more than the JSONL run's plus 100 MB.

    python benchmarks/tables.py [--rows 1000000]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
from _harness import KEY, EmulatorProcess, emit

ZERO_LATENCY = (
    "--rate-limit", "none", "--fast", "--retention-seconds", "30",
    "--queue-delay", "0", "--base", "0", "--per-document", "0", "--jitter", "0",
)  # fmt: skip
TARGET_MB = 100.0
MEASURED = (
    "import resource, subprocess, sys; done = subprocess.run(sys.argv[1:]); "
    "print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss); sys.exit(done.returncode)"
)
"""Runs a command as its only child: the child's peak RSS (KiB) is then its own."""
TEXTS = ("my invoice is wrong", "the app crashes", "my parcel is lost", "close my account")


def _write_corpus(directory: Path, rows: int) -> tuple[Path, Path]:
    parquet, jsonl = directory / "corpus.parquet", directory / "corpus.jsonl"
    schema = pa.schema(
        [("ticket", pa.string()), ("body", pa.string()), ("channel", pa.string()),
         ("score", pa.float64())]
    )  # fmt: skip
    step = 100_000
    with pq.ParquetWriter(parquet, schema) as writer, jsonl.open("wb") as lines:
        for start in range(0, rows, step):
            numbers = range(start, min(rows, start + step))
            batch = {
                "ticket": [f"t{n}" for n in numbers],
                "body": [f"Ticket {n}: {TEXTS[n % 4]}" for n in numbers],
                "channel": [("mail", "chat", "phone")[n % 3] for n in numbers],
                "score": [n / 7 for n in numbers],
            }
            writer.write_table(pa.table(batch, schema=schema))
            lines.write(
                b"".join(
                    orjson.dumps({"id": ticket, "text": body}) + b"\n"
                    for ticket, body in zip(batch["ticket"], batch["body"], strict=True)
                )
            )
    return parquet, jsonl


def _run(endpoint: str, source: Path, output: Path, *options: str) -> dict[str, Any]:
    """One run of the command in a child; its peak RSS and wall time."""
    command = [
        sys.executable, "-m", "asyncclassify", "run", str(source), "-o", str(output),
        "--task", "single:support:prod", "--endpoint", endpoint, "--key", KEY,
        "--requests-per-minute", "10000000", "--quiet", "--overwrite", *options,
    ]  # fmt: skip
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", MEASURED, *command], capture_output=True, text=True, check=False
    )
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{command}: exit {done.returncode}: {done.stderr[-2000:]}")
    peak = int(done.stdout.strip().splitlines()[-1])
    return {"peak_rss_mb": round(peak / 1024, 1), "elapsed_s": round(elapsed, 1)}


def _check(source: Path, output: Path) -> dict[str, Any]:
    """Every input row once, in order, with its columns intact, and an answer each."""
    rows = 0
    answered = 0
    with pq.ParquetFile(source) as given, pq.ParquetFile(output) as written:
        batches = written.iter_batches(batch_size=100_000)
        for expected in given.iter_batches(batch_size=100_000):
            got = next(batches)
            while got.num_rows < expected.num_rows:  # (batches need not align)
                got = pa.concat_batches([got, next(batches)])
            head = got.slice(0, expected.num_rows)
            for name in expected.schema.names:
                if not head.column(name).equals(expected.column(name)):
                    raise RuntimeError(f"column {name} differs near row {rows}")
            answered += head.num_rows - head.column("support").null_count
            rows += expected.num_rows
            rest = got.slice(expected.num_rows)
            if rest.num_rows:
                batches = iter([rest, *batches])
    if rows != written_rows(output):
        raise RuntimeError("the output holds rows the input does not")
    return {"rows": rows, "answered": answered}


def written_rows(path: Path) -> int:
    return int(pq.ParquetFile(path).metadata.num_rows)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, EmulatorProcess(*ZERO_LATENCY) as emulator:
        directory = Path(scratch)
        parquet, jsonl = _write_corpus(directory, args.rows)
        lines = _run(emulator.endpoint, jsonl, directory / "out.jsonl")
        table = _run(
            emulator.endpoint, parquet, directory / "out.parquet",
            "--id-column", "ticket", "--text-column", "body",
        )  # fmt: skip
        checked = _check(parquet, directory / "out.parquet")
    over = round(table["peak_rss_mb"] - lines["peak_rss_mb"], 1)
    emit(
        {
            "benchmark": "tables",
            "rows": args.rows,
            "jsonl_to_jsonl": lines,
            "parquet_to_parquet": table,
            "parquet_over_jsonl_mb": over,
            "target_over_mb": TARGET_MB,
            "met": over <= TARGET_MB and checked["rows"] == args.rows,
            **checked,
        }
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
