"""Sending one request of a job: on the pacer's turn, counted, over the call's transport, and
again as `RequestCourse` says after 429s and transient failures. A thin loop: what to do
after each answer is `course`'s to say, where the job goes when its resource fails is
`_resources.routing`'s, and the request itself is one attempt of the transport's.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from typing import TypeVar

import anyio
from yarl import URL

from .._api.outcomes import Refused, Response, Throttled, Transient
from .._api.transport import ConnectionFailedError
from .._pacing.pacer import Pacer
from .._pacing.turns import Turn
from .._resources.call_view import ResourceDownError
from .._resources.links import ResourceLink
from .._resources.routing import after_failure
from .._stats import ResourceStats
from .context import CallContext
from .course import GiveUp, RequestCourse, unreachable

logger = logging.getLogger("asyncclassify")

Outcome = TypeVar("Outcome")


async def send(
    context: CallContext,
    link: ResourceLink,
    method: str,
    url: URL,
    read: Callable[[Response], Outcome | Throttled | Transient | Refused],
    turn: Turn,
    body: bytes | None = None,
    *,
    submit: bool = False,
    even_if_drained: bool = False,
) -> tuple[Outcome, float]:
    """Send to `link`'s resource once `turn` is granted, again (on urgent turns) after 429s
    and transient failures; the first other outcome, and when its request was sent.

    Raises `AuthenticationError` / `QuotaExceededError` on refused credentials or a spent
    quota, `EndpointError` when the endpoint has never answered within the first-contact
    limit, and `RetriesExhaustedError` when transient failures outlast the horizon; or, for
    any of these and for requests failing for `Drainage.drain_after`, `ResourceDownError`
    when another resource can take the job. On a drained resource, a submit raises it at
    once; a poll only at its first failure (the job may well be read there).
    """
    stats = context.stats
    runtime, sender = link.runtime, link.sender(context.transport)
    counts = stats.resource(link.label)
    limits = context.limits(submit=submit)
    course = RequestCourse(context.retry, method, url.path)
    while True:
        if not turn.granted:
            await runtime.wait(turn)
        sent_at = runtime.now()
        # A drained resource gets no new job; its accepted jobs are still read while it
        # answers (they would be billed again elsewhere), and move at their first failure.
        if submit and not even_if_drained:
            elsewhere = context.resources.submits_elsewhere(link, sent_at)
            if elsewhere is not None:
                raise ResourceDownError(link, elsewhere)
        if sender.first_attempt_at is None:
            sender.first_attempt_at = sent_at
        stats.requests += 1
        counts.requests += 1
        _report_pacing(counts, runtime.pacer, sent_at)
        outcome: Outcome | Throttled | Transient | Refused
        try:
            response = await sender.send(method, url, body, limits=limits)
        except ConnectionFailedError as exc:
            if not sender.answered and not exc.connected:
                first = unreachable(
                    str(sender.origin),
                    sender.first_attempt_at,
                    runtime.now(),
                    context.retry,
                    str(exc),
                )
                if first is not None:
                    context.resources.give_up(link, first.error)
            if submit and exc.connected:
                # The body may have reached the service: a job may exist that no one reads.
                stats.orphans += 1
                logger.info("a submit got no answer (%s): it may have left a job", exc)
            outcome = Transient(str(exc))
        else:
            outcome = read(response)
        turn = Turn("urgent")
        if not isinstance(outcome, Transient):
            link.health.answered()
        if isinstance(outcome, Throttled):
            stats.throttled += 1
            counts.throttled += 1
            paused = course.throttled(outcome, sent_at)
            if isinstance(paused, GiveUp):
                context.resources.give_up(link, paused.error)
            runtime.throttled(paused.retry_after, sent_at)
            continue
        course.answered()
        if isinstance(outcome, Refused):
            runtime.answered(sent_at)
            context.resources.give_up(link, course.refused(outcome).error)
        if not isinstance(outcome, Transient):
            return outcome, sent_at
        runtime.answered(sent_at)
        if outcome.orphaned:
            stats.orphans += 1
        now = runtime.now()
        decision = course.failed(outcome, sent_at, now, ever_answered=sender.answered)
        _leave_if_failing(context, link, now, outcome.problem, course, even_if_drained)
        if isinstance(decision, GiveUp):
            raise decision.error
        stats.retries += 1
        logger.debug(
            "retrying %s %s in %.2fs after %s", method, url.path, decision.delay, outcome.problem
        )
        await anyio.sleep(decision.delay)


def _leave_if_failing(
    context: CallContext,
    link: ResourceLink,
    now: float,
    problem: str,
    course: RequestCourse,
    even_if_drained: bool,
) -> None:
    """Move the job (raise `ResourceDownError`) when its resource is drained, or drain it
    when it has failed long enough (see `routing.after_failure`)."""
    health = link.health
    usable = health.usable(now)  # (a drain that has run its time ends here)
    health.failed(now)
    failing = max(health.failing_for(now), course.spell.lasted(now))
    leaving = after_failure(
        usable=usable,
        on_probation=health.on_probation,
        failing_for=failing,
        drain_after=context.drainage.drain_after,
        others_usable=context.resources.others_usable(link, now),
        even_if_drained=even_if_drained,
    )
    if leaving == "move":
        raise ResourceDownError(link, health.drained or "drained")
    if leaving == "drain":
        why = f"every request failed for {failing:.0f} s; last: {problem}"
        raise context.resources.drained(link, why, until=now + context.drainage.revive_after)


def _report_pacing(counts: ResourceStats, pacer: Pacer, now: float) -> None:
    """Copy what the pacer decided into the call's counters of its resource (on every
    request: nothing is worked out here)."""
    cap = pacer.jobs_cap(now)
    counts.jobs_in_flight_cap = None if cap is None else math.ceil(cap)
    counts.pacing = pacer.course
    counts.requests_per_window = pacer.budget.limit
