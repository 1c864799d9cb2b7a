"""One batch's way to its results: the work list of what still needs an answer, each piece
run as a `JobOperation` on the resource that starts it soonest, refused batches halved to
find the bad document, failures submitted again for as long as the retry horizon, and every
result emitted once. What a finished job means for each document is `collecting`'s to say.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace

import anyio

from .._errors import TaskConfigurationError
from .._models import DocumentError, Result, TaskResult
from .._pacing.turns import Turn
from .._resources.links import Admission, ResourceLink
from .batching import Batch, Pending
from .collecting import collect
from .context import CallContext
from .operation import Answered, JobOperation, Moved, Refusal, Unavailable
from .retrying import FailureSpell
from .wording import DEADLINE_ERROR, configuration_error, gave_up

logger = logging.getLogger("asyncclassify")


@dataclass(slots=True)
class _Work:
    """Documents to submit for some tasks, and the run of failures that brought them back."""

    documents: list[Pending]
    task_ids: tuple[int, ...]
    spell: FailureSpell


class BatchRunner:
    """Runs one batch to the end: every document of it gets exactly one result. Its first
    job goes to `link`'s resource, on the place `admission` holds there (None: the call
    stopped before the pacer admitted it); the place moves with the batch."""

    def __init__(
        self,
        context: CallContext,
        batch: Batch,
        link: ResourceLink,
        admission: Admission | None,
    ) -> None:
        self._context = context
        self._batch = batch
        self._link = link
        """The resource of the current attempt."""
        self._admission = admission
        self._outcomes: dict[int, list[TaskResult | None]] = {
            document.index: [None] * len(context.tasks) for document in batch.documents
        }
        self._stop_for: TaskConfigurationError | None = None

    async def run(self) -> None:
        """Run jobs until every document of the batch has its result, then emit them."""
        context = self._context
        policy = context.retry
        all_tasks = tuple(range(len(context.tasks)))
        work = [_Work(self._batch.documents, all_tasks, FailureSpell())]
        while work and not context.stopping:
            item = work.pop()
            outcome = None
            with context.interruptible():
                if item.spell.attempts:
                    await anyio.sleep(policy.backoff(item.spell.attempts))
                link, turn = self._route()
                operation = JobOperation(context, link, item.documents, item.task_ids, turn)
                outcome = await operation.run()
            if outcome is None:
                break
            if isinstance(outcome, Moved):
                context.stats.resubmits += 1
                work.append(item)
                continue
            if isinstance(outcome, Refusal):
                if outcome.divisible and len(item.documents) > 1:
                    # One bad document must not sink the others: find it by halving.
                    middle = len(item.documents) // 2
                    for half in (item.documents[middle:], item.documents[:middle]):
                        work.append(_Work(half, item.task_ids, replace(item.spell)))
                    continue
                self._give_error(item.documents, item.task_ids, outcome.error)
            elif isinstance(outcome, Unavailable):
                self._give_error(item.documents, item.task_ids, outcome.error)
            else:
                work.extend(self._collect(item, outcome))
            await self._emit_finished(item.documents)
            if self._stop_for is not None:
                raise self._stop_for
        if context.stopping:
            self._give_error(self._batch.documents, all_tasks, DEADLINE_ERROR)
            await self._emit_finished(self._batch.documents)

    def _route(self) -> tuple[ResourceLink, Turn]:
        """The resource of the next job, and the turn of its submit: the first goes where the
        batch was admitted, on its granted turn; others to the usable resource that starts
        them soonest (the batch's place among the jobs in flight goes along)."""
        first = self._admission.first_turn() if self._admission is not None else None
        if first is not None:
            return self._link, first
        context = self._context
        link = context.resources.choose(context.runtime.now(), self._link) or self._link
        self._link = link
        if self._admission is not None:
            self._admission.move_to(link)
        return link, Turn("urgent")

    def _collect(self, item: _Work, read: Answered) -> list[_Work]:
        """Record what the job answered; the work to submit again (the rest gets errors)."""
        context = self._context
        collected = collect(
            read.page,
            item.documents,
            item.task_ids,
            context.tasks,
            context.mistakes(self._link),
            request_id=read.request_id,
            lost=read.lost,
        )
        for document, task_index, result in collected.answers:
            outcomes = self._outcomes.get(document.index)
            if outcomes is not None and outcomes[task_index] is None:
                outcomes[task_index] = result
        if collected.mistake is not None:
            stop = configuration_error(context, self._link, collected.mistake)
            if context.resources.leave_out(self._link, stop):
                return [item]  # its resource cannot run the tasks; another may
            # Every document would fail so: stop, once what this job answered is out.
            self._stop_for = stop
            return []
        now = context.runtime.now()
        again: list[_Work] = []
        for documents, task_ids, error in collected.retry:
            spell = replace(item.spell)
            spell.failed(now)
            if spell.outlasts(context.retry.horizon, now):
                self._give_error(documents, task_ids, gave_up(error, spell, now))
                continue
            context.stats.resubmits += 1
            logger.debug(
                "submitting %d documents again: %s: %s", len(documents), error.code, error.message
            )
            again.append(_Work(documents, task_ids, spell))
        return again

    def _give_error(
        self, documents: list[Pending], task_ids: Sequence[int], error: DocumentError
    ) -> None:
        """`error` is the result of these tasks for these documents, where none is yet."""
        tasks = self._context.tasks
        for document in documents:
            outcomes = self._outcomes.get(document.index)
            if outcomes is None:  # already emitted
                continue
            for task_index in task_ids:
                if outcomes[task_index] is None:
                    outcomes[task_index] = TaskResult(tasks[task_index], error=error)

    async def _emit_finished(self, documents: list[Pending]) -> None:
        finished: list[Result] = []
        for document in documents:
            outcomes = self._outcomes.get(document.index)
            if outcomes is None:
                continue
            complete: list[TaskResult] = []
            for outcome in outcomes:
                if outcome is None:
                    break
                complete.append(outcome)
            else:
                del self._outcomes[document.index]
                finished.append(Result(document.id, document.index, tuple(complete)))
        await self._context.emitter.emit(finished)
