"""The public names: what `import asyncclassify` offers is exactly what it lists, documented."""

from __future__ import annotations

import asyncclassify as ac

PUBLIC = {
    "API_VERSIONS", "AsyncClassifyError", "AuthenticationError", "CallStoppedError", "Client",
    "Coalescing", "ConfigurationError", "CustomEntities", "DEFAULT_API_VERSION",
    "DeadlineExceededError", "Document", "DocumentError", "Drainage", "EndpointError", "Entity",
    "Label", "MultiLabel", "OverloadedError", "Pacing", "QuotaExceededError", "RequestBudget",
    "Resource", "ResourceStats", "Result", "ResultStream", "RetryPolicy", "RunStats",
    "ServiceError", "ServiceWarning", "SingleLabel", "Task", "TaskConfigurationError",
    "TaskResult", "TransportError", "UnsafeRedirectError", "UnsupportedApiVersionError",
    "__version__",
}  # fmt: skip


def test_the_public_names_are_exactly_these() -> None:
    assert set(ac.__all__) == PUBLIC
    assert len(ac.__all__) == len(PUBLIC)


def test_every_public_name_exists_and_classes_and_functions_say_what_they_are() -> None:
    for name in ac.__all__:
        value = getattr(ac, name)
        if isinstance(value, type) or callable(value):
            assert value.__doc__, name
