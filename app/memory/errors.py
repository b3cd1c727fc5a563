"""Why a memory request was refused; messages never quote contact ids, summaries or facts."""

from app.platform.errors import DomainError, ErrorCode, Problem
from app.platform.text import Path


class MemoryDisabled(DomainError):
    """The version the conversation ran on has memory off: nothing is stored."""

    def __init__(self) -> None:
        message = "That version has memory off: nothing was stored."
        super().__init__([Problem(("version",), message, ErrorCode.MEMORY_DISABLED)])


class KeyReused(DomainError):
    """The idempotency key answered a record of another contact or persona."""

    def __init__(self) -> None:
        message = "This idempotencyKey was used for another conversation."
        super().__init__([Problem(("idempotencyKey",), message, ErrorCode.CONFLICT)])


class TooManyFacts(DomainError):
    """The facts merge would leave the contact with more keys than allowed."""

    def __init__(self, limit: int, path: Path = ("facts",)) -> None:
        message = f"A contact may have at most {limit} facts; delete some with null values."
        super().__init__([Problem(path, message)])
