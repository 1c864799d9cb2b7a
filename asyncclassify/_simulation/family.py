"""A randomized family of services, each judged against its own clairvoyant ceiling.

A fixed matrix is something to tune to. The real service picks jobs up after a delay that
varies from job to job and hour to hour, runs tasks of one job apart, may queue our jobs
behind one another (in order or not), shares its key with other processes and changes pace.
`draw(seed)` makes one such service from wide ranges (on the real service's scale, then
time-scaled like every scenario); `judge(scenario)` runs the pacer over it and says what
fraction of a clairvoyant client's throughput it reached there.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, replace
from typing import Any

from ..emulator.config import RateLimit, Regime, Timing
from .ceiling import clairvoyant_elapsed
from .own_code import simulate
from .scenarios import DOCUMENTS_PER_JOB, REQUESTS, SCALE, WINDOW, Scenario, simulate_model

JOBS_PER_WINDOW = REQUESTS // 2
"""Jobs one rate window carries at the bound (one submit and one GET each)."""
BUDGET_BINDS = 0.9
"""A draw where the ceiling reaches this fraction of the budget's bound is bound by the budget
(not by the service's own pace)."""


def _log_uniform(rng: random.Random, low: float, high: float) -> float:
    return math.exp(rng.uniform(math.log(low), math.log(high)))


@dataclass(frozen=True, slots=True)
class Draw:
    """One service of the family, on the real service's scale (seconds, windows)."""

    seed: int
    median: float
    """A typical job's duration (25 documents), seconds."""
    per_document_share: float
    """The part of the median that grows with the documents."""
    sigma: float
    shape: str
    """lognormal, loglogistic, or bimodal (lognormal, one job in ten five times slower)."""
    spell: float
    """The `notStarted` spell's median, seconds."""
    spell_sigma: float
    running: int | None
    """At most this many of the key's jobs run at once (a queue behind them), or no limit."""
    pickup: str
    tasks: int
    regime: tuple[float, float, float] | None
    """(start, end) in windows and a factor: the service works that many times as slowly then."""
    prefill: int
    prefill_tenth: bool
    """The pre-filled requests came in the window's last tenth (a burst), not evenly."""
    clients: int
    windows: float
    """The corpus, in rate windows at the bound."""

    def scenario(self, *, max_windows: float | None = None, realization: int = 0) -> Scenario:
        """The draw as a time-scaled scenario (its corpus cut to `max_windows` if given).
        Realizations other than 0 are the same service with other luck: its jobs take other
        durations and spells (drawn from the same laws), its queue picks up in another order."""
        median = self.median * SCALE
        per_document = median * self.per_document_share / DOCUMENTS_PER_JOB
        regimes: tuple[Regime, ...] = ()
        if self.regime is not None:
            start, end, factor = self.regime
            regimes = (Regime(start * WINDOW, end * WINDOW, factor),)
        timing = Timing(
            queue_delay=self.spell * SCALE,
            queue_jitter=self.spell_sigma,
            base=median - per_document * DOCUMENTS_PER_JOB,
            per_document=per_document,
            jitter=self.sigma,
            spread="loglogistic" if self.shape == "loglogistic" else "lognormal",
            slow_share=0.1 if self.shape == "bimodal" else 0.0,
            max_running_jobs=self.running,
            pickup="random" if self.pickup == "random" else "fifo",
            regimes=regimes,
        )
        rate_limit = RateLimit(
            REQUESTS,
            WINDOW,
            prefill=self.prefill,
            prefill_seconds=WINDOW / 10 if self.prefill and self.prefill_tenth else None,
            retry_after_unit=SCALE,
        )
        windows = self.windows if max_windows is None else min(self.windows, max_windows)
        jobs = max(self.clients, round(windows * JOBS_PER_WINDOW))
        return Scenario(
            self.label(),
            timing,
            jobs=jobs,
            rate_limit=rate_limit,
            clients=self.clients,
            seed=self.seed if not realization else f"{self.seed}/{realization}",
            tasks=self.tasks,
        )

    def label(self) -> str:
        """The draw's parameters in a line (enough to read what kind of service it was)."""
        parts = [
            f"seed {self.seed}",
            f"median {self.median:.1f}s",
            f"{self.shape} {self.sigma:.2f}",
            f"spell {self.spell:.1f}s~{self.spell_sigma:.2f}",
        ]
        if self.running is not None:
            parts.append(f"{self.pickup} queue of {self.running}")
        if self.tasks > 1:
            parts.append(f"{self.tasks} tasks")
        if self.regime is not None:
            start, end, factor = self.regime
            parts.append(f"x{factor:.2f} in windows {start:.1f}-{end:.1f}")
        if self.prefill:
            parts.append(f"prefill {self.prefill}{' burst' if self.prefill_tenth else ''}")
        if self.clients > 1:
            parts.append(f"{self.clients} clients")
        parts.append(f"{self.windows:.1f} windows")
        return ", ".join(parts)


def draw(seed: int) -> Draw:
    """One service of the family, drawn from `seed`."""
    rng = random.Random(f"family:{seed}")
    shape = rng.choices(["lognormal", "loglogistic", "bimodal"], weights=[2, 1, 1])[0]
    queued = rng.random() < 0.35
    windows = _log_uniform(rng, 2.0, 100.0)
    regime = None
    if rng.random() < 0.2:
        start = rng.uniform(0.0, windows / 2)
        regime = (start, start + rng.uniform(1.0, 3.0), _log_uniform(rng, 1 / 3, 3.0))
    prefill = rng.randint(100, 990) if rng.random() < 0.2 else 0
    return Draw(
        seed=seed,
        median=_log_uniform(rng, 2.0, 60.0),
        per_document_share=rng.uniform(0.0, 0.5),
        sigma=rng.uniform(0.0, 1.0),
        shape=shape,
        spell=0.0 if rng.random() < 0.15 else _log_uniform(rng, 0.2, 10.0),
        spell_sigma=rng.uniform(0.0, 1.2),
        running=round(_log_uniform(rng, 5, 500)) if queued else None,
        pickup=rng.choice(["fifo", "random"]),
        tasks=rng.randint(1, 3),
        regime=regime,
        prefill=prefill,
        prefill_tenth=rng.random() < 0.3,
        clients=2 if rng.random() < 0.15 else 1,
        windows=windows,
    )


def judge(scenario: Scenario, *, model: bool = False) -> dict[str, Any]:
    """Run the client's own code over `scenario`; its figures, with the fraction of the
    ceiling reached (the clairvoyant client's elapsed time over ours, for the same jobs),
    the fraction of the ceiling of a clairvoyant client that may also burst (the better of
    its two schedules), and whether the budget binds there. With `model`, the pacer driven
    by the model of the job code runs it instead (`simulate_model`)."""
    figures = simulate_model(scenario) if model else simulate(scenario)
    ceiling = clairvoyant_elapsed(scenario)
    bursting = min(ceiling, clairvoyant_elapsed(scenario, bursts=True))
    figures["fraction_of_bursting_ceiling"] = round(bursting / figures["elapsed_s"], 3)
    unlimited = replace(scenario, timing=replace(scenario.timing, max_running_jobs=None))
    bound = unlimited.bound_documents_per_second(ceiling)
    reached = figures["jobs"] * DOCUMENTS_PER_JOB / ceiling
    figures["fraction_of_ceiling"] = round(ceiling / figures["elapsed_s"], 3)
    figures["budget_binds"] = reached >= BUDGET_BINDS * bound
    return figures
