"""Packing documents into jobs within the dialect's limits (pure unit tests)."""

from __future__ import annotations

import itertools
import random

import pytest

import asyncclassify as ac
from asyncclassify._api import Limits, dialect_for
from asyncclassify._api.base import encode_document
from asyncclassify._job.batching import (
    REQUEST_BYTES_MARGIN,
    Batch,
    Batcher,
    Pending,
    TooLargeError,
)


def _pending(index: int, text: str) -> Pending:
    return Pending(index, f"doc-{index}", encode_document(str(index), text, "en"))


def _pack(batcher: Batcher, texts: list[str]) -> list[Batch]:
    batches = []
    for index, text in enumerate(texts):
        batcher.check(len(text), len(_pending(index, text).encoded))
        closed = batcher.add(_pending(index, text), len(text))
        if closed is not None:
            batches.append(closed)
    last = batcher.flush()
    if last is not None:
        batches.append(last)
    return batches


def test_at_most_max_documents_per_batch() -> None:
    batches = _pack(Batcher(Limits(), 0), [f"text {i}" for i in range(60)])
    assert [len(batch) for batch in batches] == [25, 25, 10]
    assert [d.index for batch in batches for d in batch.documents] == list(range(60))


def test_full_batch_is_handed_out_at_once() -> None:
    batcher = Batcher(Limits(max_documents=3), 0)
    closed = [batcher.add(_pending(i, "abc"), 3) for i in range(3)]
    assert closed[:2] == [None, None]
    assert closed[2] is not None
    assert [d.index for d in closed[2].documents] == [0, 1, 2]
    assert batcher.flush() is None


def test_characters_limit_closes_a_batch() -> None:
    batcher = Batcher(Limits(max_characters=100), 0)
    texts = ["a" * 40] * 5 + ["b" * 100, "c" * 1]
    batches = _pack(batcher, texts)
    assert [len(batch) for batch in batches] == [2, 2, 1, 1, 1]
    assert [batch.characters for batch in batches] == [80, 80, 40, 100, 1]


def test_bytes_limit_closes_a_batch() -> None:
    overhead = 100
    limits = Limits(max_request_bytes=1_000)
    batcher = Batcher(limits, overhead)
    texts = ["x" * 260] * 5
    encoded = len(_pending(0, texts[0]).encoded)
    room = int(limits.max_request_bytes * REQUEST_BYTES_MARGIN) - overhead
    per_batch = (room + 1) // (encoded + 1)
    assert per_batch == 2
    batches = _pack(batcher, texts)
    assert [len(batch) for batch in batches] == [2, 2, 1]
    for batch in batches:
        assert batch.size == len(b",".join(d.encoded for d in batch.documents))
        assert batch.size <= room


def test_document_too_large_for_any_batch() -> None:
    batcher = Batcher(Limits(max_characters=100, max_request_bytes=1_000), 100)
    batcher.check(100, 800)  # exactly at both limits
    with pytest.raises(TooLargeError, match=r"101 characters.*at most 100"):
        batcher.check(101, 10)
    with pytest.raises(TooLargeError, match="801 bytes"):
        batcher.check(10, 801)


def test_flush_of_an_empty_batcher() -> None:
    batcher = Batcher(Limits(), 0)
    assert batcher.flush() is None
    batcher.add(_pending(0, "one"), 3)
    flushed = batcher.flush()
    assert flushed is not None
    assert len(flushed) == 1
    assert batcher.flush() is None


@pytest.mark.parametrize("api_version", ["2023-04-01", "v3.2-preview.2"])
def test_rendered_bodies_respect_every_limit(api_version: str) -> None:
    # Random sizes against small limits: every rendered body fits, nothing is lost or reordered.
    dialect = dialect_for(api_version)
    tasks: list[ac.Task] = [ac.SingleLabel("support", "prod"), ac.CustomEntities("loans", "prod")]
    template = dialect.body_template(tasks, "a run")
    limits = Limits(max_documents=7, max_characters=2_000, max_request_bytes=6_000)
    batcher = Batcher(limits, template.overhead)
    rng = random.Random(7)
    texts = ["é" * rng.choice([1, 10, 200, 700, 1_500]) for _ in range(400)]
    batches = _pack(batcher, texts)

    assert [d.index for batch in batches for d in batch.documents] == list(range(len(texts)))
    byte_limit = limits.max_request_bytes * REQUEST_BYTES_MARGIN
    for batch in batches:
        body = template.render([d.encoded for d in batch.documents])
        assert len(body) <= byte_limit
        assert 1 <= len(batch) <= limits.max_documents
        assert sum(len(texts[d.index]) for d in batch.documents) <= limits.max_characters
    # Batches are closed only when the next document would not fit.
    for batch, following in itertools.pairwise(batches):
        if len(batch) == limits.max_documents:
            continue
        first = following.documents[0]
        over_characters = batch.characters + len(texts[first.index]) > limits.max_characters
        body = template.render([d.encoded for d in [*batch.documents, first]])
        assert over_characters or len(body) > byte_limit
