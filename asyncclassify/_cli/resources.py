"""Which resources a run sends its jobs to, and their keys: one endpoint, several, or a
resources file. Keys come from the environment or from files, never from the output, and are
never shown in a message."""

from __future__ import annotations

import argparse
import ipaddress
import os
import re
import sys
import tomllib
from pathlib import Path
from typing import Any

from yarl import URL

from .._api.transport import is_loopback
from .._errors import ConfigurationError
from .._resources.links import Resource

EMULATOR_ENDPOINT = "embedded emulator"
KEY_VARIABLE = "AZURE_LANGUAGE_KEY"
ENDPOINT_VARIABLE = "AZURE_LANGUAGE_ENDPOINT"
RESOURCES_EXAMPLE = """\
[[resource]]
endpoint = "https://my-language-westeurope.cognitiveservices.azure.com"
key_env = "KEY_WESTEUROPE"          # or key_file = "/run/secrets/westeurope"
# requests_per_minute = 1000        # the resource's budget (default: --requests-per-minute)

[[resource]]
endpoint = "https://my-language-eastus.cognitiveservices.azure.com"
key_env = "KEY_EASTUS"
"""


def endpoints(arguments: argparse.Namespace) -> list[str]:
    """The endpoints of the run, as given (the emulator's name for an emulator run)."""
    if arguments.emulator:
        return [EMULATOR_ENDPOINT]
    if arguments.resources:
        return [resource.endpoint for resource in _read_file(arguments)]
    given: list[str] = arguments.endpoint or []
    if not given:
        from_environment = os.environ.get(ENDPOINT_VARIABLE)
        if not from_environment:
            raise ConfigurationError(
                f"no endpoint: pass --endpoint (once per resource), --resources FILE, or set "
                f"{ENDPOINT_VARIABLE}"
            )
        given = [from_environment]
    if len(set(given)) != len(given):
        raise ConfigurationError("an endpoint is given twice")
    for endpoint in given:
        _check_scheme(endpoint, "--endpoint")
    return given


def _check_scheme(endpoint: str, where: str) -> None:
    """Refuse plain http to another machine: the key would travel in clear."""
    url = URL(endpoint)
    if url.scheme == "http" and url.host and not is_loopback(url.host):
        raise ConfigurationError(
            f"{where} {endpoint}: plain http would send the key in clear; use https://"
        )


def resources(arguments: argparse.Namespace) -> list[Resource]:
    """The resources of the run with their keys (not for an emulator run)."""
    if arguments.resources:
        if arguments.endpoint or arguments.key or arguments.key_file:
            raise ConfigurationError(
                "--resources names the endpoints and their keys: drop --endpoint, --key and "
                "--key-file"
            )
        return _read_file(arguments)
    given = endpoints(arguments)
    budget = arguments.requests_per_minute
    if len(given) == 1:
        return [Resource(given[0], key(arguments), budget)]
    if arguments.key or arguments.key_file:
        raise ConfigurationError(
            "--key and --key-file give one key, for one endpoint; with several, set "
            + ", ".join(key_variable(endpoint) for endpoint in given)
            + " or use --resources FILE"
        )
    variables = [key_variable(endpoint) for endpoint in given]
    if len(set(variables)) != len(variables):
        raise ConfigurationError(
            "two endpoints would take their keys from one variable ("
            + ", ".join(variables)
            + "): use --resources FILE to say where each key is"
        )
    return [
        Resource(endpoint, _environment_key(variable), budget)
        for endpoint, variable in zip(given, variables, strict=True)
    ]


def key_variable(endpoint: str) -> str:
    """The environment variable holding the key of `endpoint` in a run with several: the
    host's first label in upper case (`AZURE_LANGUAGE_KEY_MY_LANGUAGE_WESTEUROPE`), or a
    whole IP address, and the port when the endpoint names one (`..._127_0_0_1_8001`)."""
    url = URL(endpoint)
    host = url.host or endpoint
    name = host if _is_address(host) else host.split(".")[0]
    if url.explicit_port:
        name = f"{name}_{url.port}"
    label = re.sub(r"[^A-Za-z0-9]+", "_", name).strip("_").upper()
    return f"{KEY_VARIABLE}_{label}"


def _is_address(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True


def key(arguments: argparse.Namespace) -> str:
    """The one key of a one-resource run: --key-file, --key, or the environment."""
    if arguments.key_file:
        if arguments.key_file == "-":
            return checked_key(sys.stdin.readline(), "the key read from stdin")
        return _file_key(arguments.key_file)
    if arguments.key:
        return checked_key(arguments.key, "--key")
    raw = os.environ.get(KEY_VARIABLE)
    if not raw:
        raise ConfigurationError(
            f"no key: set {KEY_VARIABLE}, or pass --key-file (or, visible to others, --key)"
        )
    return checked_key(raw, KEY_VARIABLE)


def checked_key(raw: str, where: str) -> str:
    """The key without surrounding blanks (and a byte order mark); refused, without showing
    it, when it holds what no key holds."""
    cleaned = raw.strip().removeprefix("\ufeff").strip()
    if not cleaned:
        raise ConfigurationError(f"{where} is empty")
    if not cleaned.isascii() or not cleaned.isprintable():
        raise ConfigurationError(
            f"{where} holds characters no key has (a line break, a tab, a non-ASCII "
            "character?); the key is not shown"
        )
    return cleaned


def _environment_key(variable: str) -> str:
    raw = os.environ.get(variable)
    if not raw:
        raise ConfigurationError(f"no key: set {variable}")
    return checked_key(raw, variable)


def _file_key(path: str) -> str:
    try:
        with open(path, encoding="utf-8-sig") as handle:
            line = handle.readline()
    except (OSError, UnicodeDecodeError) as exc:
        problem = exc.strerror if isinstance(exc, OSError) else "it is not text"
        raise ConfigurationError(f"cannot read the key file {path!r}: {problem}") from None
    return checked_key(line, f"the key file {path!r}")


def _read_file(arguments: argparse.Namespace) -> list[Resource]:
    """The resources of a TOML file of `[[resource]]` tables (see `RESOURCES_EXAMPLE`)."""
    path = Path(arguments.resources)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except OSError as exc:
        raise ConfigurationError(f"cannot read {path}: {exc.strerror}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"{path} is not TOML: {exc}") from None
    tables = data.get("resource")
    if not isinstance(tables, list) or not tables:
        raise ConfigurationError(
            f"{path} names no resource; it should hold [[resource]] tables such as:\n"
            + RESOURCES_EXAMPLE
        )
    found = [
        _resource(table, f"{path}, resource {n}", arguments) for n, table in enumerate(tables, 1)
    ]
    endpoints_seen = [resource.endpoint for resource in found]
    if len(set(endpoints_seen)) != len(endpoints_seen):
        raise ConfigurationError(f"{path} names an endpoint twice")
    return found


def _resource(table: Any, where: str, arguments: argparse.Namespace) -> Resource:
    if not isinstance(table, dict):
        raise ConfigurationError(f"{where} is not a table")
    unknown = set(table) - {"endpoint", "key_env", "key_file", "requests_per_minute", "name"}
    if "key" in unknown:
        raise ConfigurationError(
            f"{where} holds a key itself: keep keys out of files others may read; name an "
            "environment variable (key_env) or a key file (key_file) instead"
        )
    if unknown:
        raise ConfigurationError(f"{where} has unknown fields: {', '.join(sorted(unknown))}")
    endpoint = table.get("endpoint")
    if not isinstance(endpoint, str) or not endpoint:
        raise ConfigurationError(f"{where} needs an endpoint")
    _check_scheme(endpoint, f"{where}: endpoint")
    if ("key_env" in table) == ("key_file" in table):
        raise ConfigurationError(f"{where} needs one of key_env or key_file")
    if "key_env" in table:
        variable = table["key_env"]
        if not isinstance(variable, str) or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", variable):
            # Not shown: a key written where the variable's name belongs must not be echoed.
            raise ConfigurationError(f"{where}: key_env must name an environment variable")
        secret = _environment_key(variable)
    else:
        secret = _file_key(str(table["key_file"]))
    budget = table.get("requests_per_minute", arguments.requests_per_minute)
    if not isinstance(budget, int) or isinstance(budget, bool) or budget < 1:
        raise ConfigurationError(f"{where}: requests_per_minute must be a whole number >= 1")
    name = table.get("name")
    if name is not None and (not isinstance(name, str) or not name):
        raise ConfigurationError(f"{where}: name must be a non-empty string")
    return Resource(endpoint, secret, budget, name=name)
