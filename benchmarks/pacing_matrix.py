"""The pacing matrix in virtual time: the client's own code against a simulated service.

The same scenarios `benchmarks/throughput.py` runs against emulator processes
(`asyncclassify._simulation.matrix()`), each over several seeds, in seconds instead of half
an hour, so that a change to the pacing can be judged on the whole matrix before the
end-to-end run. Per scenario: the worst and mean fraction of the bound over the seeds, the
most GETs per job, 429s and their share of requests, the most jobs in flight, the requests
granted by purpose (probes, start probes, first polls, follow-ups), and the ceiling: what a
clairvoyant client reaches on the same draws (`asyncclassify._simulation.ceiling`), since a
run cannot end before its slowest last jobs do. The last line is one JSON object; `worst`
names the worst row.

`--model` drives the pacer with the model of the job code instead (five times faster).

    python benchmarks/pacing_matrix.py [--seeds 3] [--model]
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace
from typing import Any

from _harness import emit

from asyncclassify._simulation import matrix, simulate, simulate_model
from asyncclassify._simulation.ceiling import clairvoyant_fraction


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--model", action="store_true", help="the model of the job code")
    args = parser.parse_args()
    run = simulate_model if args.model else simulate
    started = time.perf_counter()
    rows: dict[str, Any] = {}
    for scenario in matrix():
        seeded = [replace(scenario, seed=seed) for seed in range(1, args.seeds + 1)]
        runs = [run(one) for one in seeded]
        fractions = [run["fraction_of_bound"] for run in runs]
        ceilings = [clairvoyant_fraction(one) for one in seeded]
        of_ceiling = [ours / ceiling for ours, ceiling in zip(fractions, ceilings, strict=True)]
        rows[scenario.name] = {
            "fraction_of_bound_worst": min(fractions),
            "fraction_of_bound_mean": round(sum(fractions) / len(fractions), 3),
            "clairvoyant_fraction_worst": min(ceilings),
            "of_clairvoyant_worst": round(min(of_ceiling), 3),
            "gets_per_job_most": max(run["gets_per_job"] for run in runs),
            "throttled_most": max(run["throttled"] for run in runs),
            "throttled_fraction_most": max(run["throttled_fraction"] for run in runs),
            "first_result_s_most": max(run["first_result_s"] for run in runs),
            "peak_in_flight": max(run["peak_in_flight"] for run in runs),
            "granted": runs[0]["granted"],
        }
        row = rows[scenario.name]
        print(
            f"{scenario.name}: {row['fraction_of_bound_worst']} of the bound at worst"
            f" ({row['of_clairvoyant_worst']} of the clairvoyant's)",
            flush=True,
        )
    worst = min(rows, key=lambda name: rows[name]["fraction_of_bound_worst"])
    emit(
        {
            "benchmark": "pacing_matrix",
            "seeds": args.seeds,
            "model": args.model,
            "seconds": round(time.perf_counter() - started, 1),
            "worst": {"scenario": worst, **rows[worst]},
            "rows": rows,
        }
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
