"""The public names: what `import asyncclassify` offers is exactly what it lists, documented."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from types import ModuleType

import asyncclassify as ac

PUBLIC = {
    "API_VERSIONS", "AsyncClassifyError", "AuthenticationError", "CallStoppedError", "Client",
    "Coalescing", "ConfigurationError", "CustomEntities", "DEFAULT_API_VERSION",
    "DeadlineExceededError", "Document", "DocumentError", "Drainage", "EndpointError", "Entity",
    "Label", "MultiLabel", "OverloadedError", "Pacing", "QuotaExceededError", "RequestBudget",
    "Resource", "ResourceStats", "Result", "ResultStream", "RetryPolicy", "RunStats",
    "ServiceError", "ServiceWarning", "SingleLabel", "Task", "TaskConfigurationError",
    "TaskResult", "TransportError", "UnsafeRedirectError", "UnsupportedApiVersionError",
    "__version__", "parse_task",
}  # fmt: skip


def test_the_public_names_are_exactly_these() -> None:
    assert set(ac.__all__) == PUBLIC
    assert len(ac.__all__) == len(PUBLIC)


def test_every_public_name_exists_and_classes_and_functions_say_what_they_are() -> None:
    for name in ac.__all__:
        value = getattr(ac, name)
        if isinstance(value, type) or callable(value):
            assert value.__doc__, name


PUBLIC_MODULES = {"emulator", "ray", "transport", "web"}
"""Modules of the package one may import: the rest are private (their names start with _)."""


def test_every_module_but_the_public_ones_is_private() -> None:
    names = {module.name for module in pkgutil.iter_modules(ac.__path__)}
    assert names >= PUBLIC_MODULES
    assert {name for name in names - PUBLIC_MODULES if not name.startswith("_")} == set()


def test_each_public_module_lists_what_it_offers_and_documents_it() -> None:
    for name in PUBLIC_MODULES:
        module = importlib.import_module(f"asyncclassify.{name}")
        assert module.__doc__, name
        for exported in module.__all__:
            value = getattr(module, exported)
            if isinstance(value, type) or callable(value):
                assert value.__doc__, f"{name}.{exported}"
        assert set(_defined_publicly(module)) <= set(module.__all__), name


def _defined_publicly(module: ModuleType) -> list[str]:
    """The names `module` defines itself without a leading underscore: its functions and
    classes, and its constants (upper-case names)."""
    names = []
    for name, value in vars(module).items():
        if name.startswith("_"):
            continue
        if isinstance(value, type) or inspect.isfunction(value):
            if value.__module__ == module.__name__:
                names.append(name)
        elif (
            name.isupper() and isinstance(value, int | float | str) and not isinstance(value, bool)
        ):
            names.append(name)
    return names
