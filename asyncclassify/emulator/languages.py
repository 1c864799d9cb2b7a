"""Languages the emulated models accept, and a small script-based detector for "auto"."""

from __future__ import annotations

from dataclasses import dataclass

SUPPORTED_LANGUAGES: frozenset[str] = frozenset(
    {
        "en", "es", "fr", "de", "it", "pt", "pt-br", "pt-pt", "nl", "sv", "da", "no", "nb",
        "fi", "pl", "cs", "ru", "uk", "tr", "el", "ja", "ko", "zh", "zh-hans", "zh-hant",
    }
)  # fmt: skip
"""Language codes accepted by the custom models (compared case-insensitively)."""

_NAMES = {
    "en": "English",
    "es": "Spanish",
    "fr": "French",
    "de": "German",
    "ja": "Japanese",
    "ko": "Korean",
    "zh_chs": "Chinese_Simplified",
    "ru": "Russian",
}


@dataclass(frozen=True, slots=True)
class DetectedLanguage:
    """The answer to `language: "auto"`."""

    iso6391_name: str
    confidence: float
    defaulted: bool

    def as_json(self) -> dict[str, object]:
        """The service's `detectedLanguage` object."""
        return {
            "name": _NAMES.get(self.iso6391_name, self.iso6391_name),
            "iso6391Name": self.iso6391_name,
            "confidenceScore": self.confidence,
        }


def is_supported(language: str) -> bool:
    """Whether a document in `language` can be analysed."""
    return language.lower() in SUPPORTED_LANGUAGES


def detect_language(text: str, default: str | None = None) -> DetectedLanguage:
    """Guess the language of `text` from its scripts and a few telltale letters.

    Text without letters falls back to `default` (or English), flagged as defaulted.
    """
    if not any(ch.isalpha() for ch in text):
        return DetectedLanguage(default or "en", 0.0, True)
    if any("\u3040" <= ch <= "\u30ff" for ch in text):
        return DetectedLanguage("ja", 0.99, False)
    if any("\uac00" <= ch <= "\ud7af" for ch in text):
        return DetectedLanguage("ko", 0.99, False)
    if any("\u4e00" <= ch <= "\u9fff" for ch in text):
        return DetectedLanguage("zh_chs", 0.98, False)
    if any("\u0400" <= ch <= "\u04ff" for ch in text):
        return DetectedLanguage("ru", 0.97, False)
    lowered = text.lower()
    for letters, code in (("ñ¿¡", "es"), ("çèêœ", "fr"), ("ßäöü", "de")):
        if any(ch in lowered for ch in letters):
            return DetectedLanguage(code, 0.9, False)
    return DetectedLanguage("en", 0.95, False)
