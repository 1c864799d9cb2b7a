"""Ray Data: classify a Dataset's texts on a cluster, one output row per input row.

    pip install 'asyncclassify[ray]'

    import ray, asyncclassify as ac
    from asyncclassify.ray import classify_dataset

    tickets = ray.data.read_parquet("s3://lake/tickets/")
    labelled = classify_dataset(
        tickets, ac.SingleLabel("support-router", "prod"),
        resources=[ac.Resource(WESTEUROPE, KEY_WE), ac.Resource(EASTUS, KEY_EUS)],
    )
    labelled.write_parquet("s3://lake/tickets-labelled/")

An actor pool does the work: each actor runs one `Client` on the event loop Ray Data gives
its asynchronous batches, and takes `concurrent_batches` batches at once (by default as many
as its budget needs), so that its pacer has enough jobs in flight to use it. Each actor uses
every resource, with an even share of each budget, so that a resource that fails is drained
and its jobs go to the others. Ray Data streams the blocks through, so memory stays bounded
on the driver and on every actor. Credentials travel to the actors pickled (keep them in the
environment of the job, or use a credential the actors can rebuild).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from ._answers import Answer, answer_cells, answer_columns, answer_fields, column_names
from ._client import Client
from ._errors import ConfigurationError
from ._models import Result, Task
from ._resources.links import Resource
from ._resources.sharing import shares, spread

if TYPE_CHECKING:
    import pyarrow
    from ray.data import Dataset

__all__ = ["ACTOR_CPUS", "DEFAULT_BATCH_SIZE", "JOBS_PER_THOUSAND_REQUESTS", "classify_dataset"]

DEFAULT_BATCH_SIZE = 250
"""Rows per batch: ten jobs of 25 documents."""
JOBS_PER_THOUSAND_REQUESTS = 640
"""Jobs an actor keeps in flight (by default) per 1,000 requests a minute of its budget.
The pacer needs 100-300 running for 1,000 requests a minute with jobs of 10-30 s, but Ray
hands an actor its batches in tasks of four, and a task's slot is held until the slowest of
its 40 jobs has finished, so a slot works about half the time (with whole resources per
actor, 320 reached 0.89 of the bound in `benchmarks/ray_dataset.py`, 640 reached 0.95)."""
_ASYNC_BATCHES_PER_TASK = 4
_DOCUMENTS_PER_JOB = 25
ACTOR_CPUS = 0.25
"""CPUs reserved per actor: the work is waiting on the service, not computing."""


def classify_dataset(
    ds: Dataset,
    *tasks: Task,
    resources: Sequence[Resource],
    names: Sequence[str] | None = None,
    id_column: str = "id",
    text_column: str = "text",
    language_column: str | None = None,
    actors: int | None = None,
    failover: bool = True,
    batch_size: int = DEFAULT_BATCH_SIZE,
    concurrent_batches: int | None = None,
    actor_cpus: float = ACTOR_CPUS,
    **client_options: Any,
) -> Dataset:
    """`ds` with each row's answers: a Dataset of one row per input row, lazily computed.

    Each output row has the input's `id_column` and, per task (named by `names`, or by the
    task's project), its answer columns and a `<name>_error` column ("code: message", or
    null): `<name>` (the class) and `<name>_confidence` for single-label tasks; `<name>`
    (the classes) and `<name>_confidences` for multi-label ones; `<name>` (the entities:
    text, category, offset, length, confidence) for entity recognition. `actors` defaults
    to one per resource. With `failover` every actor uses every resource, with an even
    share of each budget, so a resource that fails is drained and its jobs go to the others;
    without it each actor has whole resources where there are enough (an actor whose only
    resource fails gives its rows errors; one whose only resource refuses the key stops the
    Dataset). `concurrent_batches` (batches an actor works on at once) defaults to enough
    for `JOBS_PER_THOUSAND_REQUESTS` jobs in flight per 1,000 requests a minute of the
    largest actor's budget; `client_options` go to each actor's `Client`.
    """
    ray = _import_ray()
    if not tasks:
        raise ConfigurationError("classify_dataset needs at least one task")
    columns = column_names(tasks, names)
    clashing = {id_column, *(f"{name}_error" for name in columns)} & set(columns)
    if clashing:
        raise ConfigurationError(f"output columns would clash: {sorted(clashing)}")
    plan = (spread if failover else shares)(resources, actors or len(resources))
    if concurrent_batches is None:
        concurrent_batches = _batches_for(plan, batch_size)
    for kept in (batch_size, concurrent_batches):
        if kept < 1:
            raise ConfigurationError("batch_size and concurrent_batches must be at least 1")
    counter = ray.remote(num_cpus=0)(_Counter).remote()
    # Ray Data runs up to four batches of one task at once on an actor's event loop
    # (RAY_DATA_DEFAULT_ASYNC_BATCH_UDF_MAX_CONCURRENCY), and this many tasks at once.
    calls = max(1, math.ceil(concurrent_batches / _ASYNC_BATCHES_PER_TASK))
    pool = ray.data.ActorPoolStrategy(
        size=len(plan), max_concurrent_calls_per_actor=calls, max_tasks_in_flight_per_actor=calls
    )
    # Blocks of one task's batches: however few and large the input's blocks (a few files
    # of short texts), there are enough tasks for every actor, streamed, never all at once.
    blocks = ds.repartition(target_num_rows_per_block=batch_size * _ASYNC_BATCHES_PER_TASK)
    return blocks.map_batches(
        _Classifier,
        fn_constructor_kwargs={
            "plan": plan,
            "counter": counter,
            "tasks": tasks,
            "columns": columns,
            "id_column": id_column,
            "text_column": text_column,
            "language_column": language_column,
            "client_options": client_options,
        },
        batch_size=batch_size,
        batch_format="pyarrow",
        compute=pool,
        num_cpus=actor_cpus,
    )


def _batches_for(plan: Sequence[Sequence[Resource]], batch_size: int) -> int:
    """Batches each actor works on at once: enough for the largest budget in `plan`."""
    budget = max(sum(resource.requests_per_minute for resource in share) for share in plan)
    jobs = JOBS_PER_THOUSAND_REQUESTS * budget / 1000
    jobs_per_batch = max(1, math.ceil(batch_size / _DOCUMENTS_PER_JOB))
    return max(_ASYNC_BATCHES_PER_TASK, math.ceil(jobs / jobs_per_batch))


def _answer_table(
    id_column: str,
    ids: Any,
    results: Sequence[Result],
    tasks: Sequence[Task],
    columns: Sequence[str],
) -> pyarrow.Table:
    """The output rows of one batch: its ids, and each task's answer and error columns."""
    import pyarrow as pa

    if not isinstance(ids, pa.Array | pa.ChunkedArray):
        ids = pa.array(list(ids))
    data: dict[str, Any] = {id_column: ids}
    fields: list[Any] = [pa.field(id_column, ids.type)]
    for position, (task, name) in enumerate(zip(tasks, columns, strict=True)):
        cells = [
            answer_cells(task.kind, name, Answer.of(result.tasks[position])) for result in results
        ]
        for column in answer_columns(task.kind, name):
            data[column] = [row[column] for row in cells]
        fields += answer_fields(task.kind, name)
    return pa.Table.from_pydict(data, schema=pa.schema(fields))


class _Counter:
    """Hands each actor its place in the plan."""

    def __init__(self) -> None:
        self._next = 0

    def claim(self) -> int:
        claimed, self._next = self._next, self._next + 1
        return claimed


class _Classifier:
    """One actor of the pool: a client over its share of the resources."""

    def __init__(
        self,
        plan: list[list[Resource]],
        counter: Any,
        tasks: tuple[Task, ...],
        columns: list[str],
        id_column: str,
        text_column: str,
        language_column: str | None,
        client_options: dict[str, Any],
    ) -> None:
        import ray

        index: int = ray.get(counter.claim.remote())
        self._resources = plan[index % len(plan)]
        self._tasks = tasks
        self._columns = columns
        self._id_column = id_column
        self._text_column = text_column
        self._language_column = language_column
        self._client_options = client_options
        self._client: asyncio.Future[Client] | None = None
        self._host: asyncio.Task[None] | None = None

    async def _open(self) -> Client:
        """The actor's client, opened on the event loop Ray Data runs the batches on by a task
        that holds it open for the actor's life."""
        if self._client is None:
            opened: asyncio.Future[Client] = asyncio.get_running_loop().create_future()
            self._client = opened

            async def hold() -> None:
                try:
                    async with Client(resources=self._resources, **self._client_options) as client:
                        opened.set_result(client)
                        await asyncio.Event().wait()  # until the actor ends
                except Exception as exc:
                    if not opened.done():
                        opened.set_exception(exc)
                    raise

            self._host = asyncio.get_running_loop().create_task(hold())
        return await asyncio.shield(self._client)

    async def __call__(self, batch: pyarrow.Table) -> AsyncIterator[pyarrow.Table]:
        client = await self._open()
        for column in (self._id_column, self._text_column, self._language_column):
            if column is not None and column not in batch.column_names:
                raise ConfigurationError(
                    f"the dataset has no column {column!r} (it has {batch.column_names})"
                )
        ids = batch.column(self._id_column)  # kept as it is: its type is the input's
        texts = batch.column(self._text_column).to_pylist()
        languages: list[Any] = (
            batch.column(self._language_column).to_pylist()
            if self._language_column
            else [None] * len(texts)
        )
        # Rows are told apart by their place in the batch: ids need not be unique, nor set.
        documents = [
            {"id": str(row), "text": text, "language": language}
            for row, (text, language) in enumerate(zip(texts, languages, strict=True))
        ]
        results = await client.classify(documents, *self._tasks, check_duplicate_ids=False)
        yield _answer_table(self._id_column, ids, results, self._tasks, self._columns)


def _import_ray() -> Any:
    try:
        import ray
    except ImportError:  # pragma: no cover - depends on the extra
        raise ConfigurationError("Ray is not installed: pip install 'asyncclassify[ray]'") from None
    return ray
