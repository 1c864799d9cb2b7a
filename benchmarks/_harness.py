"""What the benchmarks share: the emulator in a subprocess, a corpus, and the SDK driver.

The emulator always runs in its own process, started through its command line, so its CPU
and memory are never counted against a client. The client under test (ours or the official
SDK) runs in the benchmark process.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import resource
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import orjson

KEY = "bench-key"
PROJECT = "support"
DEPLOYMENT = "prod"
SDK_API_VERSION = "2023-04-01"
"""The newest api-version the official SDK speaks for custom text tasks."""

REALISTIC_TIMING = ("--queue-delay", "0.3", "--base", "1.5", "--per-document", "0.02")
"""Jobs of 25 documents take about 2.3 s, like the service's at a tenth of the time."""
SCALED_BUDGET = "100/6"
"""The service's 1,000 requests per minute with the minute scaled to 6 s."""

_TEXTS = (
    "My invoice was charged twice and I want a refund",
    "The app crashes every time I open the settings page",
    "My parcel never arrived; the tracking number says delivered",
    "How do I change the password of my account?",
    "The technician was friendly and fixed the router in minutes",
    "I was billed for a subscription I cancelled last month",
    "Zoë Müller's order 😀 shipped to São Paulo, 東京 next",
)


def corpus(count: int | None = None) -> Iterator[str]:
    """Distinct short support messages, lazily (endless when `count` is None)."""
    numbers = itertools.count() if count is None else iter(range(count))
    for i in numbers:
        yield f"{_TEXTS[i % len(_TEXTS)]} (ticket {i})"


class EmulatorProcess:
    """The emulator's command line in a subprocess; `endpoint` is its base URL."""

    def __init__(self, *arguments: str, seed: int = 7) -> None:
        self.arguments = ("--port", "0", "--key", KEY, "--seed", str(seed), *arguments)
        self.endpoint = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> EmulatorProcess:
        command = [sys.executable, "-m", "asyncclassify.emulator", *self.arguments]
        self._process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
        )
        assert self._process.stdout is not None
        self.endpoint = self._process.stdout.readline().strip()
        if not self.endpoint.startswith("http"):
            self.__exit__(None, None, None)
            raise RuntimeError(f"the emulator did not start: {command}")
        return self

    def __exit__(self, *_: object) -> None:
        if self._process is not None:
            self._process.terminate()
            self._process.wait(timeout=10)
            self._process = None

    def kill(self) -> None:
        """End the process at once, as a resource that goes away (connections refused)."""
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            self._process = None

    async def stats(self) -> dict[str, Any]:
        """The emulator's counters (this route costs no budget)."""
        async with (
            aiohttp.ClientSession() as session,
            session.get(f"{self.endpoint}/_emulator/stats") as response,
        ):
            data: dict[str, Any] = orjson.loads(await response.read())
            return data

    async def reset(self) -> None:
        """Forget jobs, counters and the rate window, so phases do not share a budget."""
        async with (
            aiohttp.ClientSession() as session,
            session.post(f"{self.endpoint}/_emulator/reset") as response,
        ):
            await response.read()


def requests_of(stats: dict[str, Any]) -> int:
    """Every request the emulator answered (429s included)."""
    return sum(stats["requests"].values())


def delta(after: dict[str, Any], before: dict[str, Any]) -> dict[str, Any]:
    """What the emulator served between two snapshots of its counters."""
    requests = requests_of(after) - requests_of(before)
    throttled = after["throttled"] - before["throttled"]
    jobs = after["jobs_created"] - before["jobs_created"]
    gets = after["job_gets"] - before["job_gets"]
    return {
        "requests": requests,
        "throttled": throttled,
        "throttled_fraction": round(throttled / requests, 4) if requests else 0.0,
        "jobs": jobs,
        "job_gets": gets,
        "gets_per_job": round(gets / jobs, 3) if jobs else 0.0,
    }


def peak_rss_mb() -> float:
    """Peak resident set size of this process, in MB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """Resident set size of this process right now, in MB (Linux)."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def chunks(texts: Iterator[str], size: int = 25) -> Iterator[list[str]]:
    """Consecutive lists of `size` texts."""
    while chunk := list(itertools.islice(texts, size)):
        yield chunk


@dataclass
class Progress:
    """Documents with a result so far, counted by whichever client is measured."""

    documents: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    first_at: float | None = None
    """`time.perf_counter()` when the first result came."""


async def run_sdk(
    endpoint: str,
    batches: Iterator[Sequence[str]],
    progress: Progress,
    *,
    concurrency: int,
    polling_interval: float | None,
) -> None:
    """`concurrency` workers share one async SDK client, each running one job at a time.

    Each worker takes the next 25 texts, calls `begin_single_label_classify`, waits for the
    poller and reads every page of results. `polling_interval=None` leaves the SDK's default.
    Runs until `batches` is exhausted or the task is cancelled.
    """
    from azure.ai.textanalytics.aio import TextAnalyticsClient
    from azure.core.credentials import AzureKeyCredential

    client = TextAnalyticsClient(endpoint, AzureKeyCredential(KEY), api_version=SDK_API_VERSION)
    options: dict[str, Any] = {}
    if polling_interval is not None:
        options["polling_interval"] = polling_interval

    async def worker() -> None:
        for batch in batches:
            try:
                poller = await client.begin_single_label_classify(
                    list(batch), project_name=PROJECT, deployment_name=DEPLOYMENT, **options
                )
                pages = await poller.result()
                async for document in pages:
                    if progress.first_at is None:
                        progress.first_at = time.perf_counter()
                    progress.documents += 1
                    if document.is_error:
                        progress.failed += 1
            except Exception as exc:  # what a user sees: the job's documents are lost
                progress.documents += len(batch)
                progress.failed += len(batch)
                message = f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"
                if message not in progress.errors and len(progress.errors) < 5:
                    progress.errors.append(message)

    async with client:
        await asyncio.gather(*(worker() for _ in range(concurrency)))


async def sample_window(
    progress: Progress, emulator: EmulatorProcess, warmup: float, window: float
) -> dict[str, Any]:
    """Documents done and requests served within [warmup, warmup + window] of now.

    `documents_per_s` counts the documents that got their answer (not those lost to errors).
    """
    start = time.perf_counter()
    await asyncio.sleep(warmup)
    documents_before, failed_before = progress.documents, progress.failed
    stats_before = await emulator.stats()
    cpu_before = time.process_time()
    opened = time.perf_counter()
    await asyncio.sleep(max(0.0, opened + window - time.perf_counter()))
    closed = time.perf_counter()
    documents = progress.documents - documents_before
    failed = progress.failed - failed_before
    cpu = time.process_time() - cpu_before
    served = delta(await emulator.stats(), stats_before)
    return {
        "warmup_s": round(opened - start, 2),
        "window_s": round(closed - opened, 2),
        "documents": documents,
        "documents_failed": failed,
        "documents_per_s": round((documents - failed) / (closed - opened), 1),
        "client_cpu_s": round(cpu, 3),
        "emulator": served,
    }


def emit(figures: dict[str, Any]) -> None:
    """Print the figures as one JSON object on the last line."""
    print(orjson.dumps(figures).decode(), flush=True)


async def run_ours(
    endpoint: str,
    texts: Iterator[str],
    progress: Progress,
    stats_out: dict[str, Any],
    **client_options: Any,
) -> None:
    """Stream `texts` through one `asyncclassify.Client` until they end or the task is cancelled."""
    import asyncclassify as ac

    async with ac.Client(endpoint, KEY, **client_options) as client:
        results = client.stream(texts, ac.SingleLabel(PROJECT, DEPLOYMENT))
        try:
            async with results:
                async for result in results:
                    progress.documents += 1
                    if not result.ok:
                        progress.failed += 1
                        if len(progress.errors) < 5:
                            progress.errors.append(repr(result))
        finally:
            stats_out.update(results.stats.as_dict())


async def measure(
    client: Any, emulator: EmulatorProcess, warmup: float, window: float
) -> dict[str, Any]:
    """Run `client(progress)` (a coroutine function) and sample its steady-state window."""
    await emulator.reset()
    progress = Progress()
    task = asyncio.ensure_future(client(progress))
    try:
        figures = await sample_window(progress, emulator, warmup, window)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
    if progress.errors:
        figures["sample_errors"] = progress.errors
    return figures


def emulator_arguments(scenario: Any) -> tuple[str, ...]:
    """The emulator's command-line flags for a `asyncclassify._simulation.Scenario`."""
    timing, limit = scenario.timing, scenario.rate_limit
    arguments = [
        "--rate-limit", f"{limit.requests}/{limit.per_seconds:g}",
        "--retry-after-unit", f"{limit.retry_after_unit:g}",
        "--queue-delay", f"{timing.queue_delay:g}",
        "--base", f"{timing.base:g}",
        "--per-document", f"{timing.per_document:g}",
        "--jitter", f"{timing.jitter:g}",
        "--spread", timing.spread,
    ]  # fmt: skip
    if limit.prefill:
        span = f":{limit.prefill_seconds:g}" if limit.prefill_seconds else ""
        arguments += ["--prefill", f"{limit.prefill}{span}"]
    if timing.queue_jitter:
        arguments += ["--queue-jitter", f"{timing.queue_jitter:g}"]
    if timing.slow_share:
        arguments += ["--slow-share", f"{timing.slow_share:g}"]
        arguments += ["--slow-factor", f"{timing.slow_factor:g}"]
    if timing.max_running_jobs:
        arguments += ["--max-running-jobs", str(timing.max_running_jobs)]
        arguments += ["--pickup", timing.pickup]
    for regime in timing.regimes:
        arguments += ["--regime", f"{regime.start:g}:{regime.end:g}:{regime.factor:g}"]
    return tuple(arguments)


def retimed(name: str, scale: float) -> Any:
    """The matrix scenario `name` with every duration and its window at `scale` seconds per
    second of the real service (the matrix's own scale is `SCALE`)."""
    from dataclasses import replace

    from asyncclassify._simulation import matrix
    from asyncclassify._simulation.scenarios import SCALE

    scenario = next(s for s in matrix() if s.name == name)
    factor = scale / SCALE
    timing = scenario.timing
    timing = replace(
        timing,
        queue_delay=timing.queue_delay * factor,
        base=timing.base * factor,
        per_document=timing.per_document * factor,
    )
    limit = scenario.rate_limit
    limit = replace(
        limit,
        per_seconds=limit.per_seconds * factor,
        retry_after_unit=limit.retry_after_unit * factor,
    )
    return replace(scenario, timing=timing, rate_limit=limit, guess=scenario.guess * factor)


def emulated_resources(
    endpoints: list[str], scenario: Any, scale: float
) -> tuple[list[Any], dict[str, Any]]:
    """`Resource`s of emulators running `scenario` (named r0, r1, ...), and the `Client`
    options for the rest of its timing, both at `scale` seconds per real second."""
    import asyncclassify as ac

    window = scenario.rate_limit.per_seconds
    requests = scenario.rate_limit.requests
    options = scaled_options(scale, window, requests, scenario.guess)
    del options["requests_per_minute"], options["rate_window"]
    resources = [
        ac.Resource(endpoint, KEY, requests, rate_window=window, name=f"r{n}")
        for n, endpoint in enumerate(endpoints)
    ]
    return resources, options


def scaled_options(scale: float, window: float, requests: int, guess: float) -> dict[str, Any]:
    """`Client` options for a service whose time runs `scale` times as fast as the real one's:
    its window and the client's own timing defaults (first-poll guess, retries, timeouts)
    scaled by the same factor, so jobs in flight are what they would be on the service."""
    from asyncclassify._simulation.own_code import scaled_options as scaled_client

    return {"requests_per_minute": requests, "rate_window": window, **scaled_client(scale, guess)}


def run_child(*arguments: str, timeout: float = 900.0) -> dict[str, Any]:
    """Run `benchmarks/_clients.py` with `arguments` in its own process; its JSON figures."""
    command = [sys.executable, os.path.join(os.path.dirname(__file__), "_clients.py"), *arguments]
    completed = subprocess.run(command, capture_output=True, text=True, timeout=timeout)
    if completed.returncode != 0:
        raise RuntimeError(f"{' '.join(arguments[:2])} failed: {completed.stderr[-2000:]}")
    figures: dict[str, Any] = orjson.loads(completed.stdout.strip().splitlines()[-1])
    return figures
