"""Asynchronous batch client for Azure AI Language custom text classification and NER."""

from ._api import API_VERSIONS, DEFAULT_API_VERSION
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
from ._resources import Resource
from ._retrying import RetryPolicy
from ._settings import Coalescing, Drainage, Pacing
from ._stats import ResourceStats, RunStats
from ._streaming import ResultStream

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
