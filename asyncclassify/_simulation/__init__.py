"""The pacer driven by a simulated service in virtual time: discrete events, no sockets.

`simulate(Scenario(...))` runs one situation to its end in a fraction of a second; `matrix()`
lists the situations the pacing is judged on (see `benchmarks/pacing_matrix.py`).
"""

from .scenarios import Scenario, matrix, realistic_timing, simulate, wider

__all__ = ["Scenario", "matrix", "realistic_timing", "simulate", "wider"]
