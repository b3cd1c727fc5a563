"""Domain errors: every business rule that refuses a request raises one of these."""

from dataclasses import dataclass, field
from enum import StrEnum


class ErrorCode(StrEnum):
    NOT_FOUND = "NOT_FOUND"
    INVALID = "INVALID"
    VOICE_LOCALE_MISMATCH = "VOICE_LOCALE_MISMATCH"
    DUPLICATE_LOCALE = "DUPLICATE_LOCALE"
    REVISION_MISMATCH = "REVISION_MISMATCH"
    NOTHING_TO_PUBLISH = "NOTHING_TO_PUBLISH"
    NOT_PUBLISHABLE = "NOT_PUBLISHABLE"
    FORBIDDEN = "FORBIDDEN"
    CONFLICT = "CONFLICT"
    DUPLICATE_NAME = "DUPLICATE_NAME"
    INVALID_TEMPLATE = "INVALID_TEMPLATE"
    IN_USE = "IN_USE"
    # recordConversation for a version with memory off: nothing stored.
    MEMORY_DISABLED = "MEMORY_DISABLED"
    # A knowledge source's URL could not be fetched; the message says why.
    FETCH_FAILED = "FETCH_FAILED"
    # Readiness warnings: allowed, probably a mistake.
    UNUSED_VARIABLE = "UNUSED_VARIABLE"
    CHANNEL_NOT_CONFIGURED = "CHANNEL_NOT_CONFIGURED"
    EMPTY_KNOWLEDGE_BASE = "EMPTY_KNOWLEDGE_BASE"
    URL_SOURCE_NOT_FETCHED = "URL_SOURCE_NOT_FETCHED"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request, at a field path relative to the mutation's input."""

    path: tuple[str, ...]
    message: str
    code: ErrorCode = ErrorCode.INVALID


@dataclass
class DomainError(Exception):
    """Base class: a request was refused and nothing was changed."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(problem.message for problem in self.problems)


class InvalidInput(DomainError):
    """One or more input fields break a rule (range, format, catalog reference)."""
