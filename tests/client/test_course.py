"""What one request does after each answer (`RequestCourse`), and where its job goes when its
resource fails (`routing.after_failure`): pure decisions, time passed in."""

from __future__ import annotations

import pytest

import asyncclassify as ac
from asyncclassify._api.outcomes import Refused, Throttled, Transient
from asyncclassify._job.course import GiveUp, Pause, RequestCourse, Retry, unreachable
from asyncclassify._resources.routing import after_failure

POLICY = ac.RetryPolicy(horizon=60.0, backoff_base=1.0, backoff_max=8.0, max_retry_after=30.0)


def course() -> RequestCourse:
    return RequestCourse(POLICY, "GET", "/jobs/1")


def test_a_429_pauses_for_what_it_asks_or_a_second() -> None:
    assert course().throttled(Throttled(4.0, "slow down", None), 0.0) == Pause(4.0)
    assert course().throttled(Throttled(None, "slow down", None), 0.0) == Pause(1.0)


def test_a_pause_longer_than_the_client_waits_gives_up_with_the_quota_error() -> None:
    decision = course().throttled(Throttled(3600.0, "quota spent", "r1"), 0.0)

    assert isinstance(decision, GiveUp)
    assert isinstance(decision.error, ac.QuotaExceededError)
    assert "3600 s" in str(decision.error)


def test_429s_for_the_whole_horizon_give_up_and_an_answer_between_resets_them() -> None:
    throttled = course()
    assert isinstance(throttled.throttled(Throttled(1.0, "", None), 0.0), Pause)
    assert isinstance(throttled.throttled(Throttled(1.0, "", None), 59.0), Pause)
    assert isinstance(throttled.throttled(Throttled(1.0, "", None), 60.0), GiveUp)

    answered = course()
    answered.throttled(Throttled(1.0, "", None), 0.0)
    answered.answered()
    assert isinstance(answered.throttled(Throttled(1.0, "", None), 60.0), Pause)


def test_transient_failures_back_off_within_the_cap_until_the_horizon() -> None:
    failing = course()
    delays = []
    for second in range(0, 60, 10):
        decision = failing.failed(
            Transient("503"), float(second), float(second), ever_answered=True
        )
        assert isinstance(decision, Retry)
        delays.append(decision.delay)
    assert all(0.0 <= delay <= 8.0 for delay in delays)
    decision = failing.failed(Transient("503"), 60.0, 60.0, ever_answered=True)
    assert isinstance(decision, GiveUp)
    assert isinstance(decision.error, ac.AsyncClassifyError)
    assert "7 attempts" in str(decision.error)


def test_a_retry_after_on_a_failure_is_waited_for_and_first_contact_is_quick() -> None:
    decision = course().failed(Transient("503", retry_after=5.0), 0.0, 0.0, ever_answered=True)
    assert isinstance(decision, Retry)
    assert decision.delay >= 5.0
    for attempt in range(8):
        untried = course()
        for _ in range(attempt):
            untried.failed(Transient("refused"), 0.0, 0.0, ever_answered=False)
        decision = untried.failed(Transient("refused"), 0.0, 0.0, ever_answered=False)
        assert isinstance(decision, Retry)
        assert decision.delay <= 1.0


def test_refused_credentials_and_long_pauses_are_named() -> None:
    denied = course().refused(Refused(401, "Unauthorized", "bad key", None, "r"))
    assert isinstance(denied.error, ac.AuthenticationError)
    spent = course().refused(Refused(403, "Quota", "spent", 7200.0, "r"))
    assert isinstance(spent.error, ac.QuotaExceededError)


def test_an_endpoint_never_reached_for_first_contact_is_given_up() -> None:
    assert unreachable("https://x", None, 100.0, POLICY, "refused") is None
    assert unreachable("https://x", 0.0, POLICY.first_contact - 0.1, POLICY, "refused") is None
    given_up = unreachable("https://x", 0.0, POLICY.first_contact, POLICY, "refused")
    assert given_up is not None
    assert isinstance(given_up.error, ac.EndpointError)
    assert "https://x" in str(given_up.error)


@pytest.mark.parametrize(
    ("drained", "probation", "failing_for", "others", "even_if_drained", "expected"),
    [
        (False, False, 10.0, True, False, "stay"),
        (False, False, 30.0, True, False, "drain"),
        (False, True, 0.0, True, False, "drain"),
        (True, False, 0.0, True, False, "move"),
        (True, False, 0.0, True, True, "stay"),
        (True, False, 30.0, True, True, "drain"),
        (True, False, 30.0, False, False, "stay"),
        (False, False, 30.0, False, False, "stay"),
    ],
)
def test_where_a_job_goes_after_its_request_fails(
    drained: bool,
    probation: bool,
    failing_for: float,
    others: bool,
    even_if_drained: bool,
    expected: str,
) -> None:
    leaving = after_failure(
        usable=not drained,
        on_probation=probation,
        failing_for=failing_for,
        drain_after=30.0,
        others_usable=others,
        even_if_drained=even_if_drained,
    )
    assert leaving == expected
