"""A web backend under the service's budget: coalesced jobs against one job per request.

The example application (`examples/aiohttp_app.py`, its own process) serves `POST /classify`
with 1 to 3 texts per request. Many concurrent HTTP clients (this process, aiohttp, loopback)
each send one request after another for a fixed time. The emulator runs in its own process
with the service's budget scaled to a 6 s minute (`--rate-limit 100/6`) and jobs at a tenth
of the service's time; the application's client is told the same budget.

Two runs, each with a fresh emulator window and a fresh application process:

* `coalesced`: `client.classify_many(texts, task)` packs the texts of concurrent requests
  into shared jobs of up to 25;
* `per_request`: `client.classify(texts, task)`, one job (1 POST + its GETs) per request.

Figures, over the steady-state window after a warm-up: documents per scaled minute (6 s)
and per real minute, requests answered, p50/p99 latency of those requests (seconds, at this
time scale), non-200 answers, and what the emulator served (jobs, documents per job, GETs
per job, 429s). The last line printed is one JSON object.

    python benchmarks/web_coalescing.py [--clients 200] [--warmup 10] [--window 30]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import orjson
from _harness import KEY, REALISTIC_TIMING, SCALED_BUDGET, EmulatorProcess, corpus, delta, emit

SCALED_MINUTE = 6.0
APP = Path(__file__).resolve().parents[1] / "examples" / "aiohttp_app.py"
MODES = {"coalesced": (), "per_request": ("--per-request",)}


class AppProcess:
    """The example application in a subprocess; `url` is its base URL."""

    def __init__(self, endpoint: str, *arguments: str) -> None:
        self.command = [
            sys.executable, str(APP), "--endpoint", endpoint, "--port", "0",
            "--requests-per-minute", "100", "--rate-window", str(SCALED_MINUTE),
            "--shutdown-timeout", "1", *arguments,
        ]  # fmt: skip
        self.url = ""
        self._process: subprocess.Popen[str] | None = None

    def __enter__(self) -> AppProcess:
        environment = {**os.environ, "AZURE_LANGUAGE_KEY": KEY}
        self._process = subprocess.Popen(
            self.command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
            env=environment,
        )  # fmt: skip
        assert self._process.stdout is not None
        self.url = self._process.stdout.readline().strip()
        if not self.url.startswith("http"):
            self.__exit__()
            raise RuntimeError(f"the application did not start: {self.command}")
        return self

    def __exit__(self, *_: object) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None


@dataclass
class Answers:
    """Requests that ended: (started, ended, documents, HTTP status)."""

    done: list[tuple[float, float, int, int]] = field(default_factory=list)


async def drive(url: str, clients: int, seconds: float, answers: Answers) -> None:
    """`clients` concurrent HTTP clients, each posting 1-3 texts after another, for `seconds`."""
    texts = corpus()
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=0)
    timeout = aiohttp.ClientTimeout(total=None)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:

        async def client(number: int) -> None:
            sent = 0
            while time.perf_counter() < deadline:
                size = 1 + (number + sent) % 3
                body = orjson.dumps({"texts": [next(texts) for _ in range(size)]})
                started = time.perf_counter()
                async with session.post(f"{url}/classify", data=body) as response:
                    await response.read()
                answers.done.append((started, time.perf_counter(), size, response.status))
                sent += 1

        tasks = [asyncio.ensure_future(client(number)) for number in range(clients)]
        try:
            await asyncio.wait(tasks, timeout=max(0.0, deadline - time.perf_counter()))
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


async def run_mode(
    emulator: EmulatorProcess,
    arguments: tuple[str, ...],
    clients: int,
    warmup: float,
    window: float,
) -> dict[str, Any]:
    """One application process under load; figures over [warmup, warmup + window]."""
    await emulator.reset()
    with AppProcess(emulator.endpoint, *arguments) as app:
        answers = Answers()
        driving = asyncio.ensure_future(drive(app.url, clients, warmup + window, answers))
        await asyncio.sleep(warmup)
        opened = time.perf_counter()
        before = await emulator.stats()
        await asyncio.sleep(window)
        closed = time.perf_counter()
        after = await emulator.stats()
        await driving
    inside = [answer for answer in answers.done if opened <= answer[1] < closed]
    ok = [answer for answer in inside if answer[3] == 200]
    documents = sum(answer[2] for answer in ok)
    latencies = sorted(ended - started for started, ended, _, _ in ok)
    served = delta(after, before)
    served["documents"] = after["documents_received"] - before["documents_received"]
    served["documents_per_job"] = (
        round(served["documents"] / served["jobs"], 2) if served["jobs"] else 0.0
    )
    per_second = documents / (closed - opened)
    return {
        "window_s": round(closed - opened, 2),
        "requests_ok": len(ok),
        "requests_not_ok": len(inside) - len(ok),
        "documents": documents,
        "documents_per_scaled_minute": round(per_second * SCALED_MINUTE),
        "documents_per_minute": round(per_second * 60),
        "latency_p50_s": round(_quantile(latencies, 0.50), 3),
        "latency_p99_s": round(_quantile(latencies, 0.99), 3),
        "latency_mean_s": round(statistics.fmean(latencies), 3) if latencies else None,
        "emulator": served,
    }


def _quantile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    return values[min(len(values) - 1, int(q * len(values)))]


async def measure_all(clients: int, warmup: float, window: float) -> dict[str, Any]:
    """Every mode, one after another, against one emulator process (reset between them)."""
    with EmulatorProcess("--rate-limit", SCALED_BUDGET, *REALISTIC_TIMING) as emulator:
        return {
            name: await run_mode(emulator, arguments, clients, warmup, window)
            for name, arguments in MODES.items()
        }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=200, help="concurrent HTTP clients")
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before measuring")
    parser.add_argument("--window", type=float, default=30.0, help="seconds measured")
    args = parser.parse_args()
    runs = asyncio.run(measure_all(args.clients, args.warmup, args.window))
    for name, figures in runs.items():
        print(name, orjson.dumps(figures).decode(), file=sys.stderr)
    coalesced, per_request = runs["coalesced"], runs["per_request"]
    emit(
        {
            "benchmark": "web_coalescing",
            "emulator": f"--rate-limit {SCALED_BUDGET} {' '.join(REALISTIC_TIMING)}",
            "clients": args.clients,
            "texts_per_request": "1-3",
            "documents_per_scaled_minute": {
                "coalesced": coalesced["documents_per_scaled_minute"],
                "per_request": per_request["documents_per_scaled_minute"],
            },
            "speedup": round(coalesced["documents"] / per_request["documents"], 1)
            if per_request["documents"]
            else None,
            "latency_p50_s": {
                "coalesced": coalesced["latency_p50_s"],
                "per_request": per_request["latency_p50_s"],
            },
            "latency_p99_s": {
                "coalesced": coalesced["latency_p99_s"],
                "per_request": per_request["latency_p99_s"],
            },
            "runs": runs,
        }
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
