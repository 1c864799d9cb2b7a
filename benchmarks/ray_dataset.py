"""The Ray Data example end to end: Parquet in, `classify_dataset`, Parquet out, over two
emulated resources on a local Ray cluster.

Two emulator processes, each a resource with its own budget (1,000 requests per 6 s window,
the real minute scaled by a tenth) and realistic timing (lognormal jobs, sigma 0.4, median
1 s: the real service's 10 s, scaled); the client's timing defaults scaled by the same tenth.
Per corpus size: rows out against rows in, answers against the model's, throughput against
twice one resource's bound from the start of the read to the last row written (the cluster
is up; its actors are not), and the driver's peak RSS, which must not grow with the corpus.
The emulators' counters, sampled every 0.25 s, split the time: `lead_in_s` before the first
request reached a resource (Ray starting), `service_s` until the last, `tail_s` after it
(writing the last rows); and give each resource's requests, 429s and GETs per job.

Ray's own costs (starting the actor pool, reading, repartitioning, writing: several seconds)
are real seconds, which a time scale does not shrink: at 10x speed they weigh ten times what
they would on the service. `--speed 1` runs the service at its real pace (1,000 requests a
minute, 10 s jobs; 100,000 documents then take four minutes), which is the figure to judge.

    python benchmarks/ray_dataset.py [--sizes 20000 100000] [--speed 10]
"""

from __future__ import annotations

import argparse
import resource
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import orjson
from _harness import (
    DEPLOYMENT,
    PROJECT,
    EmulatorProcess,
    corpus,
    emit,
    emulated_resources,
    emulator_arguments,
    requests_of,
    retimed,
)

from asyncclassify._simulation.scenarios import DOCUMENTS_PER_JOB, REQUESTS, SCALE

SCENARIO = "sigma 0.4, guess right"
RESOURCES = 2


def _driver(source: str, target: str, scale: float, endpoints: list[str]) -> dict[str, Any]:
    """The Ray driver, in a process of its own so that its memory is its own."""
    import ray

    import asyncclassify as ac
    from asyncclassify.ray import classify_dataset

    scenario = retimed(SCENARIO, scale)
    resources, options = emulated_resources(endpoints, scenario, scale)
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    try:
        started_at = time.time()
        started = time.perf_counter()
        labelled = classify_dataset(
            ray.data.read_parquet(source),
            ac.SingleLabel(PROJECT, DEPLOYMENT),
            resources=resources,
            names=["route"],
            **options,
        )
        labelled.write_parquet(target)
        elapsed = time.perf_counter() - started
    finally:
        ray.shutdown()
    return {
        "started_at": started_at,
        "elapsed_s": round(elapsed, 2),
        "driver_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


class _Timeline(threading.Thread):
    """Watches the emulators' counters while the driver runs: when the first request reached
    them and when the last one did, so that the run's time splits into Ray's lead-in, the
    service's work and the tail after the last request."""

    def __init__(self, endpoints: list[str]) -> None:
        super().__init__(daemon=True)
        self._endpoints = endpoints
        self._done = threading.Event()
        self.first: float | None = None
        self.last: float | None = None
        self.final: list[dict[str, Any]] = []
        self._seen = 0

    def run(self) -> None:
        while not self._done.wait(0.25):
            self._sample()

    def finish(self) -> None:
        self._done.set()
        self.join()
        self._sample()

    def _sample(self) -> None:
        now = time.time()
        stats = []
        for endpoint in self._endpoints:
            with urllib.request.urlopen(f"{endpoint}/_emulator/stats") as answer:
                stats.append(orjson.loads(answer.read()))
        requests = sum(sum(s["requests"].values()) for s in stats)
        if requests and self.first is None:
            self.first = now
        if requests != self._seen:
            self.last, self._seen = now, requests
        self.final = stats


def _write_input(folder: Path, documents: int) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    folder.mkdir()
    texts = corpus(documents)
    per_file = -(-documents // 10)
    for part in range(10):
        first = part * per_file
        chunk = [next(texts) for _ in range(first, min(documents, first + per_file))]
        ids = [f"t{first + offset}" for offset in range(len(chunk))]
        pq.write_table(pa.table({"id": ids, "text": chunk}), folder / f"part-{part}.parquet")


def _check_output(folder: Path, documents: int) -> dict[str, Any]:
    import pyarrow.parquet as pq

    from asyncclassify.emulator import DEFAULT_PROJECTS
    from asyncclassify.emulator.model import classify_single

    labels = next(p.labels for p in DEFAULT_PROJECTS if p.name == PROJECT)
    output = pq.read_table(folder)
    texts = list(corpus(documents))
    ids = output.column("id").to_pylist()
    routes = output.column("route").to_pylist()
    errors = output.column("route_error").to_pylist()
    wrong = sum(
        1
        for doc_id, route in zip(ids, routes, strict=True)
        if route != classify_single(texts[int(doc_id[1:])], labels).category
    )
    return {
        "rows": len(ids),
        "distinct_ids": len(set(ids)),
        "error_rows": sum(error is not None for error in errors),
        "wrong_answers": wrong,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    parser.add_argument("--speed", type=float, default=1 / SCALE, help="service time speed-up")
    parser.add_argument("--driver", nargs="+", help="internal: SOURCE TARGET SCALE ENDPOINT...")
    args = parser.parse_args()
    if args.driver:
        emit(_driver(args.driver[0], args.driver[1], float(args.driver[2]), args.driver[3:]))
        return 0
    scale = 1 / args.speed
    scenario = retimed(SCENARIO, scale)
    bound = RESOURCES * REQUESTS / scenario.rate_limit.per_seconds / 2 * DOCUMENTS_PER_JOB
    runs = []
    for size in args.sizes:
        with tempfile.TemporaryDirectory() as folder, ExitStack() as stack:
            source, target = Path(folder, "in"), Path(folder, "out")
            _write_input(source, size)
            emulators = [
                stack.enter_context(EmulatorProcess(*emulator_arguments(scenario), seed=n))
                for n in range(RESOURCES)
            ]
            command = [sys.executable, __file__, "--driver", str(source), str(target), str(scale)]
            command += [emulator.endpoint for emulator in emulators]
            timeline = _Timeline([emulator.endpoint for emulator in emulators])
            timeline.start()
            try:
                done = subprocess.run(command, capture_output=True, text=True, check=True)
            finally:
                timeline.finish()
            figures: dict[str, Any] = {"documents": size}
            figures.update(orjson.loads(done.stdout.strip().splitlines()[-1]))
            started_at = figures.pop("started_at")
            if timeline.first is not None and timeline.last is not None:
                figures["lead_in_s"] = round(timeline.first - started_at, 2)
                figures["service_s"] = round(timeline.last - timeline.first, 2)
                tail = started_at + figures["elapsed_s"] - timeline.last
                figures["tail_s"] = round(max(0.0, tail), 2)  # sampled every 0.25 s
            figures["emulators"] = [
                {
                    "requests": requests_of(stats),
                    "throttled": stats["throttled"],
                    "jobs": stats["jobs_created"],
                    "gets_per_job": round(stats["job_gets"] / max(1, stats["jobs_created"]), 3),
                }
                for stats in timeline.final
            ]
            figures.update(_check_output(target, size))
        figures["documents_per_s"] = round(figures["rows"] / figures["elapsed_s"], 1)
        figures["bound_documents_per_s"] = round(bound, 1)
        figures["fraction_of_bound"] = round(figures["documents_per_s"] / bound, 3)
        runs.append(figures)
        print(figures, flush=True)
    emit({"benchmark": "ray_dataset", "scale": scale, "resources": RESOURCES, "runs": runs})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
