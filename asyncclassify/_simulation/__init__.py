"""Services simulated in virtual time, and the client's own code run against them: discrete
events, no sockets.

`simulate(Scenario(...))` runs one situation to its end through `Client.stream` on an event
loop whose clock jumps (`own_code`); `matrix()` lists the situations the pacing is judged on
(see `benchmarks/pacing_matrix.py`), `family` draws services at random. `simulate_model`
drives the pacer with a model of the job code instead: five times faster, for the pacer's
own tests.
"""

from .own_code import simulate
from .scenarios import Scenario, matrix, realistic_timing, simulate_model, wider

__all__ = ["Scenario", "matrix", "realistic_timing", "simulate", "simulate_model", "wider"]
