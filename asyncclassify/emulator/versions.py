"""Per-version spellings of the two API dialects (reference §1)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Spelling:
    """How one API version names things on the wire."""

    version: str
    legacy: bool
    job_timestamp: str
    """Job-level last-update field: `lastUpdatedDateTime` or `lastUpdateDateTime`."""
    task_state: str
    """Task item status field: `status` (modern) or `state` (legacy)."""
    single_field: str
    single_as_object: bool
    multi_field: str
    language_auto: bool
    """Whether `language: "auto"` is understood (answered with `detectedLanguage`)."""
    language_defaulted_flag: bool
    """Whether documents also carry `isLanguageDefaulted` next to `detectedLanguage`."""
    request_options: bool
    """Whether the request body may carry `defaultLanguage` and `cancelAfter`."""
    next_link: str
    cancel: bool


def _modern(
    version: str,
    *,
    updated: bool = True,
    object_class: bool = False,
    auto: bool = False,
    defaulted_flag: bool = False,
    options: bool = False,
) -> Spelling:
    return Spelling(
        version=version,
        legacy=False,
        job_timestamp="lastUpdatedDateTime" if updated else "lastUpdateDateTime",
        task_state="status",
        single_field="class",
        single_as_object=object_class,
        multi_field="class",
        language_auto=auto,
        language_defaulted_flag=defaulted_flag,
        request_options=options,
        next_link="nextLink",
        cancel=True,
    )


MODERN_VERSIONS: dict[str, Spelling] = {
    s.version: s
    for s in (
        _modern("2022-04-01-preview", updated=False, object_class=True),
        _modern("2022-05-01"),
        _modern("2022-10-01-preview", updated=False, auto=True, defaulted_flag=True),
        _modern("2023-04-01"),
        _modern("2023-04-15-preview", auto=True),
        _modern("2023-11-15-preview", auto=True),
        _modern("2024-05-15-preview", auto=True),
        _modern("2024-11-01"),
        _modern("2024-11-15-preview", auto=True),
        _modern("2025-05-15-preview", auto=True),
        _modern("2025-11-01", auto=True, options=True),
        _modern("2025-11-15-preview", auto=True, options=True),
    )
}
"""Every `api-version` of `language/analyze-text/jobs`."""

LEGACY_CT1 = "v3.1-preview.ct.1"
LEGACY_V32 = "v3.2-preview.2"

LEGACY_VERSIONS: dict[str, Spelling] = {
    LEGACY_CT1: Spelling(
        version=LEGACY_CT1,
        legacy=True,
        job_timestamp="lastUpdateDateTime",
        task_state="state",
        single_field="classes",
        single_as_object=False,
        multi_field="classes",
        language_auto=False,
        language_defaulted_flag=False,
        request_options=False,
        next_link="@nextLink",
        cancel=False,
    ),
    LEGACY_V32: Spelling(
        version=LEGACY_V32,
        legacy=True,
        job_timestamp="lastUpdateDateTime",
        task_state="state",
        single_field="classification",
        single_as_object=True,
        multi_field="classifications",
        language_auto=False,
        language_defaulted_flag=False,
        request_options=False,
        next_link="@nextLink",
        cancel=False,
    ),
}
"""The `text/analytics/{version}/analyze` versions."""
