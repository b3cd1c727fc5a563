"""Who is asking: the workspace and role an API key grants."""

from dataclasses import dataclass
from enum import StrEnum

from beanie import PydanticObjectId

from app.platform.errors import DomainError, ErrorCode, Problem


class Role(StrEnum):
    VIEWER = "VIEWER"
    EDITOR = "EDITOR"
    PUBLISHER = "PUBLISHER"
    ADMIN = "ADMIN"


# Each role may do everything the roles before it may.
_RANK = {role: rank for rank, role in enumerate(Role)}


class Forbidden(DomainError):
    """The caller's role does not allow this operation."""

    def __init__(self, needed: Role) -> None:
        message = f"This needs the {needed} role or higher."
        super().__init__([Problem((), message, ErrorCode.FORBIDDEN)])


@dataclass(frozen=True)
class Principal:
    workspace_id: PydanticObjectId
    role: Role
    name: str
    key_id: PydanticObjectId | None = None

    def can(self, role: Role) -> bool:
        return _RANK[self.role] >= _RANK[role]

    def require(self, role: Role) -> None:
        if not self.can(role):
            raise Forbidden(role)
