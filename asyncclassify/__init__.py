"""Asynchronous batch client for Azure AI Language custom text classification and NER."""

from .api import API_VERSIONS, DEFAULT_API_VERSION
from .client import Client
from .errors import (
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
from .models import (
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
)
from .pacing.budget import RequestBudget
from .resources import Resource
from .retrying import RetryPolicy
from .settings import Coalescing, Drainage, Pacing
from .stats import ResourceStats, RunStats
from .streaming import ResultStream

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
]
