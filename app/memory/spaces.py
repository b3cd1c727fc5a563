"""Where memory lives: a memory space per persona, or one shared by the workspace."""

import hashlib
from dataclasses import dataclass

from beanie import PydanticObjectId

from app.personas.memory_policy import MemoryPolicy, MemoryScope
from app.platform.errors import Problem

SHARED = "workspace"
MAX_CONTACT_ID = 256


def check_contact_id(contact_id: str) -> list[Problem]:
    if 1 <= len(contact_id) <= MAX_CONTACT_ID:
        return []
    return [Problem(("contactId",), f"contactId must be 1 to {MAX_CONTACT_ID} characters.")]


def contact_key(contact_id: str) -> str:
    """How a contact is stored and named in receipts: the sha256 of its id, in hex."""
    return hashlib.sha256(contact_id.encode()).hexdigest()


def own_space(persona_id: PydanticObjectId) -> str:
    return f"persona:{persona_id}"


def space_of(persona_id: PydanticObjectId, policy: MemoryPolicy) -> str:
    """The memory space a version with this policy records into and recalls from."""
    return SHARED if policy.scope is MemoryScope.WORKSPACE else own_space(persona_id)


@dataclass(frozen=True)
class Place:
    """One contact in one memory space of one workspace: what every memory query selects."""

    workspace_id: PydanticObjectId
    space: str
    contact: str

    @property
    def query(self) -> dict[str, object]:
        return {"workspace_id": self.workspace_id, "space": self.space, "contact": self.contact}
