"""Run every benchmark of the client, one after the other, and print one combined JSON object.

Each benchmark runs in its own process (and starts its own emulator processes), so none
disturbs another; each prints its figures as one JSON object on its last line, gathered
here under its name together with the headline figures and their targets.

    python benchmarks/run_all.py [--quick]

`--quick` runs shorter windows and smaller corpora (for a smoke test, not for figures).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import orjson

HERE = Path(__file__).parent
BENCHMARKS: dict[str, tuple[list[str], list[str]]] = {
    "pacing_matrix": ([], ["--seeds", "1"]),
    "throughput": ([], ["--quick", "--sdk", "first"]),
    "cpu": ([], ["--documents", "5000", "--sdk-documents", "2000"]),
    "memory": ([], ["--sizes", "10000", "50000"]),
    "first_result": ([], ["--documents", "5000"]),
    "web_coalescing": ([], ["--warmup", "5", "--window", "10"]),
}
"""Script -> (arguments, arguments with --quick)."""


def _run(name: str, arguments: list[str]) -> dict[str, Any]:
    command = [sys.executable, str(HERE / f"{name}.py"), *arguments]
    started = time.perf_counter()
    completed = subprocess.run(command, capture_output=True, text=True)
    if completed.returncode != 0:
        return {"error": completed.stderr.strip().splitlines()[-5:]}
    figures: dict[str, Any] = orjson.loads(completed.stdout.strip().splitlines()[-1])
    figures["benchmark_s"] = round(time.perf_counter() - started, 1)
    return figures


def _summary(results: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """The headline figures next to their targets."""
    summary: dict[str, Any] = {}
    simulated = results.get("pacing_matrix", {})
    if "worst" in simulated:
        worst = simulated["worst"]
        summary["simulated_worst_scenario"] = worst["scenario"]
        summary["simulated_worst_fraction_of_bound"] = [worst["fraction_of_bound_worst"], ">= 0.95"]
        summary["simulated_least_of_clairvoyant"] = [
            min(row["of_clairvoyant_worst"] for row in simulated["rows"].values()),
            ">= 0.95",
        ]
    throughput = results.get("throughput", {})
    if "worst" in throughput:
        worst = throughput["worst"]
        summary["worst_scenario"] = worst["scenario"]
        summary["worst_fraction_of_bound"] = [worst["fraction_of_bound"], ">= 0.95"]
        summary["most_gets_per_job"] = [throughput["most_gets_per_job"], "<= 1.1 (queue 1.3)"]
        rows = throughput["rows"].values()
        summary["most_throttled_fraction"] = [
            max(row["asyncclassify"]["throttled_fraction"] for row in rows),
            "<= 0.005",
        ]
        ratios = [row["vs_sdk_best"] for row in rows if "vs_sdk_best" in row]
        if ratios:
            summary["least_vs_sdk_best_clean"] = [min(ratios), ">= 2.5"]
    cpu = results.get("cpu", {})
    if "fraction_of_sdk" in cpu:
        summary["cpu_fraction_of_sdk"] = [cpu["fraction_of_sdk"], "<= 0.10"]
    memory = results.get("memory", {})
    if "peak_rss_mb" in memory:
        summary["peak_rss_mb"] = [memory["peak_rss_mb"], "< 100"]
        summary["memory_largest_over_smallest"] = [memory["largest_over_smallest"], "<= 1.10"]
    first = results.get("first_result", {})
    if "first_result_over_one_job" in first:
        summary["first_result_over_one_job"] = [first["first_result_over_one_job"], "<= 1.5"]
    return summary


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--only", nargs="+", choices=sorted(BENCHMARKS), default=None)
    args = parser.parse_args()
    results: dict[str, dict[str, Any]] = {}
    for name, (arguments, quick) in BENCHMARKS.items():
        if args.only and name not in args.only:
            continue
        print(f"running {name} ...", file=sys.stderr, flush=True)
        results[name] = _run(name, quick if args.quick else arguments)
    combined = {"summary": _summary(results), **results}
    print(orjson.dumps(combined).decode(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
