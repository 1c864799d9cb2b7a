"""Telling a mistake that would fail every document from failures of some. Pure logic.

A task that fails on the service as a whole with a code other than a known transient one
(the project or deployment is not there, the project is of another kind, ...) before it has
ever succeeded in the call fails the same way in every job: the call stops at once, naming
the task. The older dialect reports a missing project as an internal error, so there a task
that has never succeeded and has failed in `TRANSIENT_STRIKES` jobs in a row stops the call
too (with transient faults at 10%, five in a row before any success is a
one-in-a-hundred-thousand event). The same holds for the
call's default language: when every document of a job that used it is refused as an
unsupported language, and no document in it has ever been answered, every other would be.
"""

from __future__ import annotations

from dataclasses import dataclass

TRANSIENT_CODES = frozenset(
    {
        "InternalServerError",
        "ServiceUnavailable",
        "Timeout",
        "TooManyRequests",
        "TaskFailed",
        "JobLost",
        "MissingResult",
    }
)
"""Error codes (of a task, or of one document) another submission may well turn into
answers; any other code (InvalidRequest, NotFound, an unknown one) it would only repeat."""
CANCELLED = "Cancelled"
"""A task someone cancelled: final, but no mistake of the call's."""
UNSUPPORTED_LANGUAGE = "UnsupportedLanguageCode"
TRANSIENT_STRIKES = 5
"""Jobs in a row failing a task that never succeeded, with a transient code, before the call
stops."""


@dataclass(frozen=True, slots=True)
class Mistake:
    """Why the call must stop: which task (or None for the default language), and why."""

    task_index: int | None
    code: str
    message: str


class MistakeWatch:
    """What one call's jobs have said about each task and the default language."""

    def __init__(self, tasks: int, *, strikes: bool = True) -> None:
        self._strike_out = strikes
        """Whether transient failures before any success count towards a mistake (only the
        older API hides a missing project behind an internal error)."""
        self._succeeded = [False] * tasks
        self._strikes = [0] * tasks
        self._language_answered = False

    def task_succeeded(self, task_index: int) -> None:
        """A job ran the task (whatever it said of single documents)."""
        self._succeeded[task_index] = True

    def task_failed(self, task_index: int, code: str, message: str) -> Mistake | None:
        """A job's task failed as a whole with `code`: a mistake, or None (a failure of this
        job only)."""
        if self._succeeded[task_index] or code == CANCELLED:
            return None
        if code not in TRANSIENT_CODES:
            return Mistake(task_index, code, message)
        if not self._strike_out:
            return None
        self._strikes[task_index] += 1
        if self._strikes[task_index] >= TRANSIENT_STRIKES:
            return Mistake(task_index, code, message)
        return None

    def failed_early(self, task_index: int, code: str, message: str) -> Mistake | None:
        """A running job says the task failed with `code`: a mistake when the code is
        permanent and the task has never succeeded (transient codes wait for the job's end)."""
        if self._succeeded[task_index] or code in TRANSIENT_CODES or code == CANCELLED:
            return None
        return Mistake(task_index, code, message)

    def default_language(
        self, *, answered: int, unsupported: int, other: int, message: str
    ) -> Mistake | None:
        """One task's outcome for the documents of a job in the call's default language:
        `answered` of them answered, `unsupported` refused for their language, `other`
        refused for something else."""
        if answered:
            self._language_answered = True
            return None
        if unsupported and not other and not self._language_answered:
            return Mistake(None, UNSUPPORTED_LANGUAGE, message)
        return None

    @staticmethod
    def permanent(code: str) -> bool:
        """Whether another submission would only repeat an error with this code."""
        return code not in TRANSIENT_CODES
