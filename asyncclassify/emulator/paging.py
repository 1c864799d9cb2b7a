"""Query parameters of a job GET: the result window and `showStats`."""

from __future__ import annotations

from . import errors
from .rendering import PageRequest

MAX_TOP = 50


def _integer(raw: str | None, name: str, default: int) -> int:
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise errors.invalid_parameter(f"'{name}' must be an integer, got '{raw}'.") from None


def page_request(
    *,
    top: str | None,
    skip: str | None,
    show_stats: str | None,
    page_size: int,
    names: tuple[str, str],
    top_limit: int = MAX_TOP,
) -> PageRequest:
    """Validate the window parameters.

    Without `top` a page holds `page_size` documents (the service's 20); an explicit `top` is
    honoured up to 50 (reference determination 10), whatever the default page size, or up to
    `top_limit` for a service that pages more finely than it is asked.
    """
    top_value = max(1, min(_integer(top, names[0], page_size), MAX_TOP, top_limit))
    skip_value = _integer(skip, names[1], 0)
    if skip_value < 0:
        raise errors.invalid_parameter(f"'{names[1]}' must not be negative.")
    if show_stats is None:
        stats = False
    elif show_stats.lower() in ("true", "false"):
        stats = show_stats.lower() == "true"
    else:
        raise errors.invalid_parameter(f"'showStats' must be true or false, got '{show_stats}'.")
    return PageRequest(skip_value, top_value, stats, show_stats)
