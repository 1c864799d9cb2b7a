"""Telling a mistake that would fail every document from failures of some. Pure logic.

A task that fails on the service with a permanent code (the project or deployment is not
there, the project is of another kind) before it has ever succeeded in the call fails the
same way in every job: the call stops at once, naming the task. The older dialect reports a
missing project as an internal error, so a task that has never succeeded and has failed in
`TRANSIENT_STRIKES` jobs in a row stops the call too (with transient faults at 10%, five in
a row before any success is a one-in-a-hundred-thousand event). The same holds for the
call's default language: when every document of a job that used it is refused as an
unsupported language, and no document in it has ever been answered, every other would be.
"""

from __future__ import annotations

from dataclasses import dataclass

PERMANENT_CODES = frozenset(
    {
        "InvalidRequest",
        "InvalidArgument",
        "NotFound",
        "ProjectNotFound",
        "DeploymentNotFound",
        "Unauthorized",
        "Forbidden",
        "QuotaExceeded",
        "Conflict",
    }
)
"""Error codes that another submission would only repeat."""
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

    def __init__(self, tasks: int) -> None:
        self._succeeded = [False] * tasks
        self._strikes = [0] * tasks
        self._language_answered = False

    def task_succeeded(self, task_index: int) -> None:
        """A job ran the task (whatever it said of single documents)."""
        self._succeeded[task_index] = True

    def task_failed(self, task_index: int, code: str, message: str) -> Mistake | None:
        """A job's task failed as a whole with `code`: a mistake, or None (a failure of this
        job only)."""
        if self._succeeded[task_index]:
            return None
        if code in PERMANENT_CODES:
            return Mistake(task_index, code, message)
        self._strikes[task_index] += 1
        if self._strikes[task_index] >= TRANSIENT_STRIKES:
            return Mistake(task_index, code, message)
        return None

    def failed_early(self, task_index: int, code: str, message: str) -> Mistake | None:
        """A running job says the task failed with `code`: a mistake when the code is
        permanent and the task has never succeeded (transient codes wait for the job's end)."""
        if self._succeeded[task_index] or code not in PERMANENT_CODES:
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
        return code in PERMANENT_CODES or code == "Cancelled"
