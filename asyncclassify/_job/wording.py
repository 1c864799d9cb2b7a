"""The words of a job's errors: a task the service cannot run, documents given up on, a job
lost, a deadline passed."""

from __future__ import annotations

from .._api.outcomes import Gone
from .._errors import TaskConfigurationError
from .._models import DocumentError
from .._resources.links import ResourceLink
from .context import CallContext
from .mistakes import Mistake
from .retrying import FailureSpell

DEADLINE_ERROR = DocumentError(
    "DeadlineExceeded", "the call's deadline passed before this document's job finished"
)


def configuration_error(
    context: CallContext, link: ResourceLink, mistake: Mistake
) -> TaskConfigurationError:
    """The error that stops a call whose every document would fail as a job on `link`'s
    resource did (`mistake`), naming the task, where it runs and why it cannot."""
    if mistake.task_index is None:
        return TaskConfigurationError(
            f"the service refuses the default language {context.default_language!r} "
            f"for every document: {mistake.message}; give each document its language, or "
            "choose another default",
            task=None,
            code=mistake.code,
        )
    task = context.tasks[mistake.task_index]
    where = (
        f"model {task.model_id!r}"
        if task.model_id
        else f"project {task.project!r}, deployment {task.deployment!r}"
    )
    hint = ""
    if not context.mistakes(link).permanent(mistake.code):
        hint = (
            " (every job so far failed it so; the service reports a project or deployment "
            "that is not there this way, or it is failing)"
        )
    where += f" on {link.label}" if len(context.links) > 1 else ""
    return TaskConfigurationError(
        f"the {task.kind} task on {where} cannot run: {mistake.code}: {mistake.message}{hint}",
        task=task,
        code=mistake.code,
    )


def gave_up(error: DocumentError, spell: FailureSpell, now: float) -> DocumentError:
    """The last failure's error, saying how long the document has failed so."""
    return DocumentError(
        error.code,
        f"{error.message} (failing for {spell.lasted(now):.0f} s, {spell.attempts} attempts)",
        error.inner_code,
        error.request_id,
        error.job_id,
    )


def lost(gone: Gone) -> DocumentError:
    """The job (or a page of it) is gone: its unanswered documents are run again. The
    service's own code (NotFound) would read as permanent."""
    return DocumentError("JobLost", f"the job could not be read: {gone.code}: {gone.message}")
