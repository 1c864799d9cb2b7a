"""Every answer of the service read into its typed outcome, without sockets."""

from __future__ import annotations

import orjson
import pytest
from multidict import CIMultiDict, CIMultiDictProxy

import asyncclassify as ac
from asyncclassify._api import dialect_for
from asyncclassify._api.outcomes import (
    Accepted,
    Finished,
    Gone,
    NotServed,
    Refused,
    Rejected,
    Response,
    Running,
    Throttled,
    Transient,
    read_cancel,
    read_job,
    read_submit,
)

TASKS = (ac.SingleLabel("support", "prod"),)


def _response(status: int, body: object = b"", **headers: str) -> Response:
    raw = body if isinstance(body, bytes) else orjson.dumps(body)
    return Response(status, CIMultiDictProxy(CIMultiDict(headers)), raw)


def _error(code: str, message: str, inner: str | None = None) -> dict[str, object]:
    error: dict[str, object] = {"code": code, "message": message}
    if inner:
        error["innererror"] = {"code": inner, "message": message}
    return {"error": error}


def test_a_submit_is_accepted_with_where_its_job_is() -> None:
    outcome = read_submit(_response(202, **{"operation-location": "http://x/jobs/1"}))
    assert outcome == Accepted("http://x/jobs/1", None)


def test_a_202_without_a_location_is_transient_and_leaves_an_orphan() -> None:
    outcome = read_submit(_response(202))
    assert isinstance(outcome, Transient)
    assert outcome.orphaned


@pytest.mark.parametrize(
    ("status", "expected"),
    [(429, Throttled), (500, Transient), (503, Transient), (408, Transient), (401, Refused)],
)
def test_what_any_request_may_meet(status: int, expected: type) -> None:
    outcome = read_submit(_response(status, _error("X", "y"), **{"Retry-After": "3"}))
    assert isinstance(outcome, expected)
    if isinstance(outcome, Throttled | Transient):
        assert outcome.retry_after == 3.0


def test_a_rejected_submit_says_whether_one_document_may_be_to_blame() -> None:
    bad = read_submit(_response(400, _error("InvalidArgument", "bad", "InvalidDocument")))
    assert isinstance(bad, Rejected)
    assert bad.divisible
    assert not isinstance(read_submit(_response(413)), Accepted)
    assert isinstance(read_submit(_response(404, _error("NotFound", "no route"))), NotServed)
    whole = read_submit(_response(400, _error("InvalidRequest", "bad body")))
    assert isinstance(whole, Rejected)
    assert not whole.divisible


def test_a_job_page_is_running_finished_or_gone() -> None:
    dialect = dialect_for("2023-04-01")
    running = {"jobId": "1", "status": "running", "createdDateTime": "2026-12-02T03:00:00Z",
               "lastUpdatedDateTime": "2026-12-02T03:00:01Z", "tasks": {"items": []}}  # fmt: skip
    assert isinstance(read_job(dialect, _response(200, running), TASKS), Running)
    done = {**running, "status": "succeeded"}
    assert isinstance(read_job(dialect, _response(200, done), TASKS), Finished)
    assert isinstance(read_job(dialect, _response(404, _error("NotFound", "gone")), TASKS), Gone)
    assert isinstance(read_job(dialect, _response(410), TASKS), Gone)
    unreadable = read_job(dialect, _response(200, b'{"jobId": "1", "stat'), TASKS)
    assert isinstance(unreadable, Transient)


def test_a_cancel_says_taken_already_finished_or_gone() -> None:
    assert read_cancel(_response(202)) is True
    assert read_cancel(_response(409, _error("Conflict", "finished"))) is False
    assert isinstance(read_cancel(_response(404, _error("NotFound", "gone"))), Gone)
