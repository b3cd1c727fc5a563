"""The refusals of persona operations."""

from app.platform.errors import DomainError, ErrorCode, Problem


class PersonaNotFound(DomainError):
    """No persona has this id."""

    def __init__(self, path: tuple[str, ...] = ("id",)) -> None:
        super().__init__([Problem(path, "Persona not found.", ErrorCode.NOT_FOUND)])


class RevisionMismatch(DomainError):
    """The draft changed since the caller read it."""

    def __init__(self, expected: int, actual: int | None = None) -> None:
        detail = f" (it is now {actual})" if actual is not None else ""
        message = f"The draft is no longer at revision {expected}{detail}: reload it and retry."
        super().__init__([Problem(("expectedRevision",), message, ErrorCode.REVISION_MISMATCH)])


class NothingToPublish(DomainError):
    """The draft already equals production."""

    def __init__(self, message: str = "The draft equals production: nothing to publish.") -> None:
        super().__init__([Problem(("personaId",), message, ErrorCode.NOTHING_TO_PUBLISH)])


class NotPublishable(DomainError):
    """The draft is incomplete; each problem names the draft field to fix."""


class VersionNotFound(DomainError):
    """The persona has no published version with this number."""

    def __init__(self, version: int) -> None:
        message = f"The persona has no version {version}."
        super().__init__([Problem(("version",), message, ErrorCode.NOT_FOUND)])


class Contended(DomainError):
    """Other publishes kept moving production; nothing was written and a retry may succeed."""

    def __init__(self) -> None:
        message = "Production kept changing under concurrent publishes: retry."
        super().__init__([Problem(("personaId",), message, ErrorCode.REVISION_MISMATCH)])
