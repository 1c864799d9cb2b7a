"""A local emulator of the Azure AI Language asynchronous analyze-text service.

It serves custom single-label and multi-label classification and custom entity
recognition jobs in both API dialects (modern `language/analyze-text/jobs` and
legacy `text/analytics/v3.x/analyze`), with the service's limits, paging, rate
limit and errors, and seeded fault injection.
"""

from .config import DEFAULT_PROJECTS, Faults, Project, RateLimit, Regime, Timing
from .server import Emulator

__all__ = ["DEFAULT_PROJECTS", "Emulator", "Faults", "Project", "RateLimit", "Regime", "Timing"]
