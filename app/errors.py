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


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a request, at a field path relative to the mutation's input."""

    path: tuple[str, ...]
    message: str
    code: ErrorCode = ErrorCode.INVALID


@dataclass
class PersonaError(Exception):
    """Base class: a request was refused and nothing was changed."""

    problems: list[Problem] = field(default_factory=list)

    def __str__(self) -> str:
        return "; ".join(problem.message for problem in self.problems)


class InvalidInput(PersonaError):
    """One or more input fields break a rule (range, format, catalog reference)."""


class PersonaNotFound(PersonaError):
    """No persona has this id."""

    def __init__(self, path: tuple[str, ...] = ("id",)) -> None:
        super().__init__([Problem(path, "Persona not found.", ErrorCode.NOT_FOUND)])


class RevisionMismatch(PersonaError):
    """The draft changed since the caller read it."""

    def __init__(self, expected: int, actual: int | None = None) -> None:
        detail = f" (it is now {actual})" if actual is not None else ""
        message = f"The draft is no longer at revision {expected}{detail}: reload it and retry."
        super().__init__([Problem(("expectedRevision",), message, ErrorCode.REVISION_MISMATCH)])


class NothingToPublish(PersonaError):
    """The draft already equals production."""

    def __init__(self, message: str = "The draft equals production: nothing to publish.") -> None:
        super().__init__([Problem(("personaId",), message, ErrorCode.NOTHING_TO_PUBLISH)])


class NotPublishable(PersonaError):
    """The draft is incomplete; each problem names the draft field to fix."""


class VersionNotFound(PersonaError):
    """The persona has no published version with this number."""

    def __init__(self, version: int) -> None:
        message = f"The persona has no version {version}."
        super().__init__([Problem(("version",), message, ErrorCode.NOT_FOUND)])


class Contended(PersonaError):
    """Other publishes kept moving production; nothing was written and a retry may succeed."""

    def __init__(self) -> None:
        message = "Production kept changing under concurrent publishes: retry."
        super().__init__([Problem(("personaId",), message, ErrorCode.REVISION_MISMATCH)])
