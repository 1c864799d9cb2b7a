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
