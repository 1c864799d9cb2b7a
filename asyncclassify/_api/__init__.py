"""The service's API dialects: one module each; the rest of the package asks `dialect_for`."""

from __future__ import annotations

from .._errors import UnsupportedApiVersionError
from .base import Dialect, JobError, JobPage, Limits, TaskPage
from .legacy import LEGACY_VERSIONS, LegacyDialect
from .modern import MODERN_VERSIONS, ModernDialect

API_VERSIONS = MODERN_VERSIONS + LEGACY_VERSIONS
DEFAULT_API_VERSION = "2023-04-01"


def dialect_for(api_version: str) -> Dialect:
    """The dialect that speaks `api_version`; raises for a version the client does not know."""
    if api_version in MODERN_VERSIONS:
        return ModernDialect(api_version)
    if api_version in LEGACY_VERSIONS:
        return LegacyDialect(api_version)
    known = ", ".join(API_VERSIONS)
    raise UnsupportedApiVersionError(
        f"unknown api_version {api_version!r}; the client speaks: {known}"
    )


__all__ = [
    "API_VERSIONS",
    "DEFAULT_API_VERSION",
    "Dialect",
    "JobError",
    "JobPage",
    "Limits",
    "TaskPage",
    "dialect_for",
]
