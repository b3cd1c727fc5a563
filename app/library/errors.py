"""The refusals of library operations, for tools and knowledge bases alike."""

from app.platform.errors import DomainError, ErrorCode, Problem
from app.platform.text import Path


class NotFound(DomainError):
    """No document of this kind has this id in the caller's workspace."""

    def __init__(self, label: str, path: Path = ("id",)) -> None:
        super().__init__([Problem(path, f"{label} not found.", ErrorCode.NOT_FOUND)])


class RevisionMismatch(DomainError):
    """The document changed since the caller read it."""

    def __init__(self, label: str, expected: int, actual: int) -> None:
        message = (
            f"The {label.lower()} is no longer at revision {expected} (it is now {actual}): "
            "reload it and retry."
        )
        super().__init__([Problem(("expectedRevision",), message, ErrorCode.REVISION_MISMATCH)])


class DuplicateName(DomainError):
    """Another document of this kind in the workspace has the name (ignoring case)."""

    def __init__(self, label: str, path: Path) -> None:
        message = f"Another {label.lower()} in this workspace has this name."
        super().__init__([Problem(path, message, ErrorCode.DUPLICATE_NAME)])


class FetchFailed(DomainError):
    """A URL source's page could not be fetched; `reason` says why, readably."""

    def __init__(self, reason: str) -> None:
        super().__init__([Problem(("sourceId",), reason, ErrorCode.FETCH_FAILED)])
