"""Who is asking: the workspace and role an API key grants."""

from collections.abc import Collection
from dataclasses import dataclass
from enum import StrEnum

from beanie import PydanticObjectId

from app.platform.errors import DomainError, ErrorCode, Problem


class Role(StrEnum):
    VIEWER = "VIEWER"
    EDITOR = "EDITOR"
    PUBLISHER = "PUBLISHER"
    ADMIN = "ADMIN"
    # The key an agent runtime holds: beside the ladder, not on it. What it may do is listed
    # operation by operation in app.access.permissions; no rank implies any of it.
    RUNTIME = "RUNTIME"


# Each role of the ladder may do everything the roles before it may.
LADDER = (Role.VIEWER, Role.EDITOR, Role.PUBLISHER, Role.ADMIN)
_RANK = {role: rank for rank, role in enumerate(LADDER)}


def at_least(role: Role) -> frozenset[Role]:
    """The ladder's roles from `role` up; never RUNTIME."""
    return frozenset(LADDER[_RANK[role] :])


def describe(allowed: Collection[Role]) -> str:
    """The roles that may, as a refusal names them: "the EDITOR role or higher", ...."""
    on_ladder = [role for role in LADDER if role in allowed]
    beside = [role for role in Role if role not in _RANK and role in allowed]
    if not on_ladder and not beside:
        return "a role no key has"
    if on_ladder and frozenset(on_ladder) == at_least(on_ladder[0]):
        ladder = f"the {on_ladder[0]} role or higher"
        if not beside:
            return ladder
        if len(on_ladder) > 1:
            return ladder + ", or " + " or ".join(f"the {role} role" for role in beside)
    return "the " + " or ".join([*beside, *on_ladder]) + " role"


class Forbidden(DomainError):
    """The caller's role does not allow this operation."""

    def __init__(self, allowed: Collection[Role]) -> None:
        message = f"This needs {describe(allowed)}."
        super().__init__([Problem((), message, ErrorCode.FORBIDDEN)])


@dataclass(frozen=True)
class Principal:
    workspace_id: PydanticObjectId
    role: Role
    name: str
    key_id: PydanticObjectId | None = None

    def can(self, role: Role) -> bool:
        """Whether this principal stands at `role` or above on the ladder.

        RUNTIME is on no ladder: it is never "at least" anything, and nobody is at least
        RUNTIME. What RUNTIME may do is asked of app.access.permissions instead.
        """
        if self.role not in _RANK or role not in _RANK:
            return False
        return _RANK[self.role] >= _RANK[role]

    def require(self, role: Role) -> None:
        if not self.can(role):
            raise Forbidden(at_least(role) if role in _RANK else ())
