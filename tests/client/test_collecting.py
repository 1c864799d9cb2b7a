"""What a job leaves for each document, what the call learns from it, and how long failures
are ridden out: the pure decisions, without sockets."""

from __future__ import annotations

import math

import pytest

import asyncclassify as ac
from asyncclassify._api.base import JobError, JobPage, TaskPage
from asyncclassify._job.batching import Pending
from asyncclassify._job.collecting import collect, early_mistake
from asyncclassify._job.mistakes import TRANSIENT_STRIKES, Mistake, MistakeWatch
from asyncclassify._job.retrying import FailureSpell, RetryPolicy
from asyncclassify._models import DocumentError, Label, TaskResult

SINGLE = ac.SingleLabel("support", "prod")
ENTITIES = ac.CustomEntities("loans", "prod")
TASKS = (SINGLE, ENTITIES)
LOST = DocumentError("JobLost", "the job could not be read: NotFound: gone")


def _documents(count: int) -> list[Pending]:
    return [Pending(i, f"doc-{i}", b"{}", default_language=True) for i in range(count)]


def _answer(task: ac.Task) -> TaskResult:
    return TaskResult(task, labels=(Label("billing", 0.9),))


def _page(tasks: dict[int, TaskPage], errors: list[JobError] | None = None) -> JobPage:
    status = "succeeded" if not errors else "partiallyCompleted"
    return JobPage("job-1", status, errors or [], tasks, None)


def _succeeded(task: ac.Task, indexes: range | list[int]) -> TaskPage:
    return TaskPage("succeeded", {str(i): _answer(task) for i in indexes})


def test_a_finished_job_answers_every_document_and_task() -> None:
    documents = _documents(3)
    page = _page({0: _succeeded(SINGLE, range(3)), 1: _succeeded(ENTITIES, range(3))})
    collected = collect(page, documents, (0, 1), TASKS, MistakeWatch(2), request_id="r")
    assert len(collected.answers) == 6
    assert not collected.retry
    assert collected.mistake is None


def test_a_page_lost_midway_keeps_what_was_read_and_retries_only_the_rest() -> None:
    documents = _documents(10)
    # Pages of 7: the second page (documents 7-9) of both tasks is gone.
    page = _page({0: _succeeded(SINGLE, range(7)), 1: _succeeded(ENTITIES, range(7))})
    collected = collect(page, documents, (0, 1), TASKS, MistakeWatch(2), request_id="r", lost=LOST)
    assert {(d.index, t) for d, t, _ in collected.answers} == {
        (i, t) for i in range(7) for t in (0, 1)
    }
    [(again, task_ids, error)] = collected.retry
    assert [d.index for d in again] == [7, 8, 9]
    assert task_ids == (0, 1)
    assert error is LOST


def test_a_failed_task_retries_that_task_only_and_groups_documents_by_what_they_miss() -> None:
    documents = _documents(4)
    page = _page(
        {0: _succeeded(SINGLE, [0, 1, 2]), 1: TaskPage("failed")},
        [JobError("InternalServerError", "An internal error occurred.", 1)],
    )
    watch = MistakeWatch(2)
    watch.task_succeeded(1)  # the task has run before in this call: not a mistake
    collected = collect(page, documents, (0, 1), TASKS, watch, request_id="r")
    groups = {tuple(d.index for d in docs): (ids, e.code) for docs, ids, e in collected.retry}
    assert groups == {
        (0, 1, 2): ((1,), "InternalServerError"),
        (3,): ((0, 1), "MissingResult"),  # no answer to task 0 either: both again
    }


def test_a_task_failing_as_a_whole_with_a_transient_code_is_not_answered_with_an_error() -> None:
    documents = _documents(2)
    page = _page({0: TaskPage("failed")}, [JobError("InternalServerError", "boom", 0)])
    watch = MistakeWatch(1)
    watch.task_succeeded(0)
    collected = collect(page, documents, (0,), (SINGLE,), watch, request_id="r")
    assert not collected.answers
    assert [d.index for d in collected.retry[0][0]] == [0, 1]


def test_a_transient_document_error_is_retried_and_a_permanent_one_is_kept() -> None:
    documents = _documents(2)
    busy = DocumentError("InternalServerError", "try later")
    bad = DocumentError("InvalidArgument", "Invalid document", "InvalidDocument")
    task_page = TaskPage(
        "succeeded", {"0": TaskResult(SINGLE, error=busy), "1": TaskResult(SINGLE, error=bad)}
    )
    watch = MistakeWatch(1)
    watch.task_succeeded(0)
    collected = collect(_page({0: task_page}), documents, (0,), (SINGLE,), watch, request_id="r")
    assert [(d.index, r.error) for d, _, r in collected.answers] == [(1, bad)]
    assert [d.index for d in collected.retry[0][0]] == [0]


def test_a_project_that_is_not_there_is_a_mistake_before_any_success() -> None:
    page = _page({0: TaskPage("failed")}, [JobError("NotFound", "no project 'nope'", 0)])
    collected = collect(page, _documents(2), (0,), (SINGLE,), MistakeWatch(1), request_id="r")
    assert collected.mistake is not None
    assert collected.mistake.task_index == 0
    assert collected.mistake.code == "NotFound"


def test_a_permanent_failure_after_a_success_ends_those_documents_only() -> None:
    page = _page({0: TaskPage("failed")}, [JobError("InvalidRequest", "too long", 0)])
    watch = MistakeWatch(1)
    watch.task_succeeded(0)
    collected = collect(page, _documents(2), (0,), (SINGLE,), watch, request_id="r")
    assert collected.mistake is None
    assert not collected.retry
    assert {r.error.code for _, _, r in collected.answers if r.error} == {"InvalidRequest"}


def test_transient_failures_of_a_task_that_never_ran_become_a_mistake_after_strikes() -> None:
    watch = MistakeWatch(1)
    for _ in range(TRANSIENT_STRIKES - 1):
        assert watch.task_failed(0, "InternalServerError", "1 out of 1 job tasks failed.") is None
    mistake = watch.task_failed(0, "InternalServerError", "1 out of 1 job tasks failed.")
    assert mistake is not None
    assert mistake.task_index == 0


def test_a_default_language_refused_for_every_document_is_a_mistake() -> None:
    refused = DocumentError(
        "InvalidArgument", "Invalid language code 'xx'", "UnsupportedLanguageCode"
    )
    task_page = TaskPage("succeeded", {str(i): TaskResult(SINGLE, error=refused) for i in range(3)})
    collected = collect(
        _page({0: task_page}), _documents(3), (0,), (SINGLE,), MistakeWatch(1), request_id="r"
    )
    assert collected.mistake is not None
    assert collected.mistake.task_index is None
    assert "xx" in collected.mistake.message


def test_a_refused_language_after_answers_in_that_language_is_a_document_error() -> None:
    watch = MistakeWatch(1)
    ok = _page({0: _succeeded(SINGLE, range(2))})
    assert collect(ok, _documents(2), (0,), (SINGLE,), watch, request_id="r").mistake is None
    refused = DocumentError("InvalidArgument", "Invalid language", "UnsupportedLanguageCode")
    task_page = TaskPage("succeeded", {"0": TaskResult(SINGLE, error=refused)})
    collected = collect(
        _page({0: task_page}), _documents(1), (0,), (SINGLE,), watch, request_id="r"
    )
    assert collected.mistake is None
    assert collected.answers[0][2].error == refused


def test_a_failure_spell_outlasts_the_horizon_only_once_it_has_gone_on_that_long() -> None:
    spell = FailureSpell()
    assert not spell.outlasts(10.0, 100.0)
    spell.failed(100.0)
    spell.failed(105.0)
    assert spell.attempts == 2
    assert spell.lasted(109.0) == pytest.approx(9.0)
    assert not spell.outlasts(10.0, 109.0)
    assert spell.outlasts(10.0, 110.0)


def test_timeouts_fit_each_request() -> None:
    policy = RetryPolicy(connect_timeout=3, submit_timeout=50, poll_timeout=7)
    submit, poll = policy.timeout(submit=True), policy.timeout(submit=False)
    assert (submit.sock_connect, submit.sock_read, submit.total) == (3, 50, 53)
    assert (poll.sock_connect, poll.sock_read, poll.total) == (3, 7, 10)


@pytest.mark.parametrize(
    "settings",
    [
        {"horizon": -1}, {"horizon": math.nan}, {"poll_timeout": 0}, {"connect_timeout": -2},
        {"connect_timeout": math.nan}, {"max_retry_after": -1}, {"job_timeout": math.inf},
        {"backoff_max": "20"},
    ],
)  # fmt: skip
def test_a_retry_policy_refuses_times_that_cannot_be(settings: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        RetryPolicy(**settings)


def test_backoff_grows_and_is_capped() -> None:
    policy = RetryPolicy(backoff_base=1.0, backoff_max=4.0)
    assert all(0 <= policy.backoff(1) <= 1.0 for _ in range(100))
    assert all(0 <= policy.backoff(10) <= 4.0 for _ in range(100))
    assert max(policy.backoff(10) for _ in range(200)) > 2.0


def test_a_running_job_that_shows_a_task_failed_for_good_is_a_mistake_at_once() -> None:
    running = JobPage(
        "job-1", "running", [JobError("NotFound", "no project 'nope'", 1)],
        {1: TaskPage("failed")}, None,
    )  # fmt: skip
    assert early_mistake(running, (0, 1), MistakeWatch(2), "r") == Mistake(
        1, "NotFound", "no project 'nope'"
    )
    watch = MistakeWatch(2)
    watch.task_succeeded(1)
    assert early_mistake(running, (0, 1), watch, "r") is None
    transient = JobPage(
        "job-1", "running", [JobError("InternalServerError", "boom", 1)],
        {1: TaskPage("failed")}, None,
    )  # fmt: skip
    assert early_mistake(transient, (0, 1), MistakeWatch(2), "r") is None
