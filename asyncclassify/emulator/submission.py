"""What a submit asks for, once parsed: documents and tasks, validated as the service does."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from . import errors
from .config import MAX_DOCUMENTS, MAX_TEXT_ELEMENTS, Project, ProjectKind
from .errors import ErrorObject, error_object
from .languages import DetectedLanguage, detect_language, is_supported
from .textunits import grapheme_count, normalize_unit


@dataclass(slots=True)
class InputDocument:
    """One submitted document, with its per-document error if it cannot be analysed."""

    id: str
    text: str
    language: str
    text_elements: int
    error: ErrorObject | None = None
    detected: DetectedLanguage | None = None

    @property
    def transactions(self) -> int:
        """Billing units: one per started 1,000 text elements."""
        return max(1, -(-self.text_elements // 1000))


@dataclass(slots=True)
class TaskSpec:
    """One requested task and the project it resolved to (None when unknown)."""

    kind: ProjectKind
    task_name: str | None
    project_name: str
    deployment_name: str
    project: Project | None
    string_index_type: str
    family_key: str | None = None
    """Legacy only: the `tasks` key the task was sent under."""
    family_index: int = 0
    """Legacy only: the task's index within its family."""


@dataclass(slots=True)
class JobRequest:
    """A validated submit."""

    documents: list[InputDocument]
    tasks: list[TaskSpec]
    display_name: str | None = None
    cancel_after: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def require_object(value: object, what: str) -> dict[str, Any]:
    """`value` as a JSON object, or the service's body-format error."""
    if not isinstance(value, dict):
        raise errors.body_format_error(f"'{what}' must be a JSON object.")
    return value


def require_string(container: dict[str, Any], name: str, where: str) -> str:
    """A required non-empty string field."""
    value = container.get(name)
    if not isinstance(value, str) or not value:
        raise errors.body_format_error(f"The required field '{where}.{name}' is missing or empty.")
    return value


def optional_string(container: dict[str, Any], name: str) -> str | None:
    """An optional string field (a non-string is a body-format error)."""
    value = container.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise errors.body_format_error(f"The field '{name}' must be a string.")
    return value


def string_index_type(parameters: dict[str, Any]) -> str:
    """The task's `stringIndexType`, canonical (both TextElement(s)_v8 spellings accepted)."""
    value = parameters.get("stringIndexType", "TextElements_v8")
    if not isinstance(value, str):
        raise errors.invalid_parameter("'stringIndexType' must be a string.")
    try:
        return normalize_unit(value)
    except ValueError:
        raise errors.invalid_parameter(
            f"Invalid value '{value}' for 'stringIndexType'. Allowed values are "
            "TextElements_v8, UnicodeCodePoint and Utf16CodeUnit."
        ) from None


def parse_documents(
    analysis_input: object,
    *,
    legacy: bool,
    default_language: str,
    language_auto: bool,
    auto_default: str | None = None,
) -> list[InputDocument]:
    """Validate `analysisInput` and build the documents (request-level errors raise)."""
    container = require_object(analysis_input, "analysisInput")
    raw_documents = container.get("documents")
    if raw_documents is None or raw_documents == []:
        inner = "MissingInputRecords" if legacy else "MissingInputDocuments"
        raise errors.invalid_request(
            "Missing input documents.", inner, "No documents in the request."
        )
    if not isinstance(raw_documents, list):
        raise errors.body_format_error("'analysisInput.documents' must be an array.")
    if len(raw_documents) > MAX_DOCUMENTS:
        raise errors.invalid_request(
            "Invalid document in request.",
            "InvalidDocumentBatch",
            f"Batch request contains too many records. Max {MAX_DOCUMENTS} records are permitted.",
        )
    documents: list[InputDocument] = []
    seen: set[str] = set()
    duplicated = False
    for raw in raw_documents:
        doc = require_object(raw, "analysisInput.documents[]")
        doc_id = doc.get("id")
        if not isinstance(doc_id, str) or not doc_id:
            raise errors.body_format_error("Every document needs a non-empty string 'id'.")
        text = doc.get("text")
        if not isinstance(text, str):
            raise errors.body_format_error(f"Document '{doc_id}' needs a string 'text'.")
        language = optional_string(doc, "language") or default_language
        duplicated = duplicated or doc_id in seen
        seen.add(doc_id)
        documents.append(InputDocument(doc_id, text, language, grapheme_count(text)))
    if duplicated:
        message = "Request contains duplicated Ids. Make sure each document has a unique Id."
        if legacy:
            raise errors.ServiceError(400, error_object("InvalidArgument", message))
        raise errors.ServiceError(
            400, error_object("InvalidArgument", message, inner_code="InvalidDocumentBatch")
        )
    if all(not d.text.strip() for d in documents):
        raise errors.invalid_request(
            "Invalid document in request.", "InvalidDocumentBatch", "Document text is empty."
        )
    total = sum(d.text_elements for d in documents)
    if total > MAX_TEXT_ELEMENTS:
        raise errors.invalid_request(
            "Invalid document in request.",
            "InvalidDocumentBatch",
            f"The request has {total} text elements; the limit is {MAX_TEXT_ELEMENTS} "
            "per request, all documents together.",
        )
    for document in documents:
        _check_document(document, language_auto, auto_default)
    return documents


def _check_document(doc: InputDocument, language_auto: bool, auto_default: str | None) -> None:
    if not doc.text.strip():
        doc.error = error_object(
            "InvalidArgument",
            "Invalid document in request.",
            inner_code="InvalidDocument",
            inner_message="Document text is empty.",
        )
    elif doc.language.lower() == "auto" and language_auto:
        doc.detected = detect_language(doc.text, auto_default)
        doc.language = doc.detected.iso6391_name
    elif not is_supported(doc.language):
        doc.error = error_object(
            "InvalidArgument",
            "Invalid Language Code.",
            inner_code="UnsupportedLanguageCode",
            inner_message=f"Invalid language code '{doc.language}'. Supported languages: "
            "https://aka.ms/language-service/custom-text-classification/languages",
        )


def find_project(
    projects: dict[tuple[str, str], Project], name: str, deployment: str
) -> Project | None:
    """The configured project for (project name, deployment name), case-sensitive."""
    return projects.get((name, deployment))
