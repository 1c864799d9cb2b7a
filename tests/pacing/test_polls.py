"""When jobs are due for their next poll: the model's schedule, within model-free caps."""

from __future__ import annotations

import pytest

from asyncclassify._pacing.durations import DurationModel, JobTimes
from asyncclassify._pacing.polls import FOLLOW_UP_CAP, PollQueue
from asyncclassify._pacing.turns import PolledJob


@pytest.mark.parametrize("status", ["notStarted", "running"])
@pytest.mark.parametrize("scarce", [True, False])
def test_a_model_gone_wrong_cannot_leave_a_job_unpolled_past_twice_its_age(
    status: str, scarce: bool
) -> None:
    # A model that believes jobs take a million seconds (a fit gone wrong once did): a job
    # seen unfinished at 40 s is still polled again by 80 s, whether it had started or not.
    model = DurationModel(guess=1e6, window=60.0)
    polls = PollQueue(model, thrifty=0.8, eager=0.5, first_result=0.3)
    job = PolledJob(JobTimes(submitted_at=0.0), position=0, status=status, polls=1)
    job.times.unfinished(40.0)
    assert polls.due_age(job, scarce, now=41.0) <= FOLLOW_UP_CAP * 40.0


def test_a_job_not_started_waits_for_at_least_a_fast_run_when_the_model_is_sound() -> None:
    model = DurationModel(guess=10.0, window=60.0)
    polls = PollQueue(model, thrifty=0.8, eager=0.5, first_result=0.3)
    job = PolledJob(JobTimes(submitted_at=0.0), position=0, status="notStarted", polls=1)
    job.times.unfinished(30.0)
    assert polls.due_age(job, True, now=31.0) >= 30.0 + model.quantile(0.1, 31.0)


def _known_model(median: float = 2.0) -> DurationModel:
    """A model that has seen 200 jobs of about `median` seconds."""
    model = DurationModel(guess=median, window=60.0)
    for i in range(200):
        times = JobTimes(submitted_at=i * 0.01)
        model.track(times)
        duration = median * (1.0 + 0.02 * (i % 5 - 2))
        times.finished(done_age=duration + 0.01, duration=duration)
    model.changed()
    return model


@pytest.mark.parametrize("scarce", [True, False])
def test_a_job_seen_young_by_its_start_probe_is_due_when_a_job_is_likely_done(
    scarce: bool,
) -> None:
    # A start probe polls a job young on purpose (has it started?): its next poll comes when
    # jobs are likely done, not at twice that young age (a ladder of polls up to a typical
    # duration: four more GETs a job).
    model = _known_model()
    polls = PollQueue(model, thrifty=0.98, eager=0.8, first_result=0.5)
    job = PolledJob(JobTimes(submitted_at=0.0), position=0, status="running", polls=1)
    job.start_probe = True
    job.times.unfinished(0.05)
    assert polls.due_age(job, scarce, now=10.0) >= model.quantile(0.5, 10.0)
    # One it found waiting is followed as any other (where it stands tells the queue), and
    # an ordinary poll that found it so young holds the model-free cap.
    job.status = "notStarted"
    assert polls.due_age(job, scarce, now=10.0) <= FOLLOW_UP_CAP * 0.05
    job.status, job.start_probe = "running", False
    assert polls.due_age(job, scarce, now=10.0) <= FOLLOW_UP_CAP * 0.05
