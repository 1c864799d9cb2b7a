"""`asyncclassify estimate`: what a run would cost and the shortest time it can take, from the
input alone (no key, nothing sent)."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from .._api import dialect_for
from .._api.base import encode_document
from .._call.inputs import InvalidDocumentError, character_count, normalize
from .._job.batching import Batcher, Pending, TooLargeError
from .._models import Task
from .numbers import amount
from .progress import duration

CHARACTERS_PER_RECORD = 1000
"""The service bills text records: each document's text, per 1,000 characters, per task."""
REQUESTS_PER_JOB = 2
"""A submit and the GET that reads the finished job: the least a job costs."""


@dataclass(frozen=True, slots=True)
class Estimate:
    """What a corpus costs to classify."""

    documents: int
    invalid: int
    """Records that would get error lines without being sent (bad input, too long)."""
    text_records: int
    jobs: int
    requests_per_minute: int

    @property
    def requests(self) -> int:
        """The least number of requests (one submit and one GET per job)."""
        return self.jobs * REQUESTS_PER_JOB

    @property
    def shortest_minutes(self) -> float:
        """The shortest time the resource's request budget allows, in minutes."""
        return self.requests / self.requests_per_minute

    def lines(self, price: float | None) -> list[str]:
        """The report, line by line."""
        report = [
            f"documents      {self.documents:,}"
            + (f" (and {self.invalid:,} invalid, not sent)" if self.invalid else ""),
            f"text records   {self.text_records:,}  (per 1,000 characters, per task)",
            f"jobs           {self.jobs:,}",
            f"requests       {self.requests:,} at least (a submit and a GET per job)",
            f"shortest time  {duration(self.shortest_minutes * 60)} at "
            f"{self.requests_per_minute:,} requests per minute",
        ]
        if price is not None:
            report.append(
                f"cost           {self.text_records / 1000 * price:,.2f} at {price:g} per "
                "1,000 text records"
            )
        return report


def estimate(
    documents: Iterable[Any], tasks: Sequence[Task], api_version: str, requests_per_minute: int
) -> Estimate:
    """Batch `documents` as a run would and count what that costs."""
    dialect = dialect_for(api_version)
    limits = dialect.limits
    batcher = Batcher(limits, dialect.body_template(tasks, None).overhead)
    count = invalid = records = jobs = 0
    for index, item in enumerate(documents):
        try:
            _, text, language, _ = normalize(item, index, "en")
            characters = character_count(text, limits.max_characters)
            encoded = encode_document(str(index), text, language)
            batcher.check(characters, len(encoded))
        except (InvalidDocumentError, TooLargeError):
            invalid += 1
            continue
        count += 1
        billed = character_count(text, CHARACTERS_PER_RECORD)
        records += max(1, math.ceil(billed / CHARACTERS_PER_RECORD)) * len(tasks)
        if batcher.add(Pending(index, "", encoded), characters) is not None:
            jobs += 1
    if batcher.flush() is not None:
        jobs += 1
    return Estimate(count, invalid, records, jobs, requests_per_minute)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The `estimate` command's options (the input ones are `run`'s)."""
    parser.add_argument(
        "--price",
        type=amount,
        help="price per 1,000 text records, to show the cost (in your currency)",
    )


def report(result: Estimate, price: float | None) -> None:
    """Print the estimate on stdout."""
    sys.stdout.write("\n".join(result.lines(price)) + "\n")
