"""Asynchronous batch client for Azure AI Language custom text classification and NER."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ._api import API_VERSIONS, DEFAULT_API_VERSION
    from ._call.streaming import ResultStream
    from ._client import Client
    from ._errors import (
        AsyncClassifyError,
        AuthenticationError,
        CallStoppedError,
        ConfigurationError,
        DeadlineExceededError,
        EndpointError,
        OverloadedError,
        QuotaExceededError,
        ServiceError,
        TaskConfigurationError,
        TransportError,
        UnsafeRedirectError,
        UnsupportedApiVersionError,
    )
    from ._job.retrying import RetryPolicy
    from ._models import (
        CustomEntities,
        Document,
        DocumentError,
        Entity,
        Label,
        MultiLabel,
        Result,
        ServiceWarning,
        SingleLabel,
        Task,
        TaskResult,
        parse_task,
    )
    from ._pacing.budget import RequestBudget
    from ._resources.links import Resource
    from ._settings import Coalescing, Drainage, Pacing
    from ._stats import ResourceStats, RunStats

_WHERE = {
    "API_VERSIONS": "._api",
    "DEFAULT_API_VERSION": "._api",
    "Client": "._client",
    "AsyncClassifyError": "._errors",
    "AuthenticationError": "._errors",
    "CallStoppedError": "._errors",
    "ConfigurationError": "._errors",
    "DeadlineExceededError": "._errors",
    "EndpointError": "._errors",
    "OverloadedError": "._errors",
    "QuotaExceededError": "._errors",
    "ServiceError": "._errors",
    "TaskConfigurationError": "._errors",
    "TransportError": "._errors",
    "UnsafeRedirectError": "._errors",
    "UnsupportedApiVersionError": "._errors",
    "CustomEntities": "._models",
    "Document": "._models",
    "DocumentError": "._models",
    "Entity": "._models",
    "Label": "._models",
    "MultiLabel": "._models",
    "Result": "._models",
    "ServiceWarning": "._models",
    "SingleLabel": "._models",
    "Task": "._models",
    "TaskResult": "._models",
    "parse_task": "._models",
    "RequestBudget": "._pacing.budget",
    "Resource": "._resources.links",
    "RetryPolicy": "._job.retrying",
    "Coalescing": "._settings",
    "Drainage": "._settings",
    "Pacing": "._settings",
    "ResourceStats": "._stats",
    "RunStats": "._stats",
    "ResultStream": "._call.streaming",
}
"""Where each public name lives. They are imported when first used (PEP 562), so that
`import asyncclassify` is quick and light: the command line starts at once, and a Ctrl-C
while it starts is an interruption, not a traceback from deep in an import."""


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(module, __name__), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted([*globals(), *_WHERE])


__version__ = "0.1.0"

__all__ = [
    "API_VERSIONS",
    "DEFAULT_API_VERSION",
    "AsyncClassifyError",
    "AuthenticationError",
    "CallStoppedError",
    "Client",
    "Coalescing",
    "ConfigurationError",
    "CustomEntities",
    "DeadlineExceededError",
    "Document",
    "DocumentError",
    "Drainage",
    "EndpointError",
    "Entity",
    "Label",
    "MultiLabel",
    "OverloadedError",
    "Pacing",
    "QuotaExceededError",
    "RequestBudget",
    "Resource",
    "ResourceStats",
    "Result",
    "ResultStream",
    "RetryPolicy",
    "RunStats",
    "ServiceError",
    "ServiceWarning",
    "SingleLabel",
    "Task",
    "TaskConfigurationError",
    "TaskResult",
    "TransportError",
    "UnsafeRedirectError",
    "UnsupportedApiVersionError",
    "__version__",
    "parse_task",
]
