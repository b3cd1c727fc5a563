"""Who attaches a tool or knowledge base, and deleting one only while no draft does.

Deleting is refused while a draft attaches the document. The check and the delete run in
one transaction that also writes the document's `guard`, and attaching writes that guard
too (references.guard), so an attach racing a delete makes one of the two conflict and
retry: never a draft attaching a deleted tool or knowledge base.
"""

from dataclasses import dataclass
from typing import Any

from beanie import PydanticObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from app.access.principal import Principal
from app.library.errors import NotFound
from app.library.knowledge.documents import KnowledgeBase
from app.library.named import Named, guard_named, remove_named
from app.library.tools.documents import Tool
from app.personas.documents import Persona
from app.personas.pages import last_seq
from app.platform.errors import DomainError, ErrorCode, Problem
from app.platform.pages import seq_page
from app.platform.transactions import run_transaction


class InUse(DomainError):
    """A draft still attaches what the caller asked to delete."""

    def __init__(self, label: str, users: int) -> None:
        many = "persona's draft attaches" if users == 1 else "personas' drafts attach"
        message = f"{users} {many} this {label.lower()}: detach it first (see usedBy)."
        super().__init__([Problem(("id",), message, ErrorCode.IN_USE)])


@dataclass(frozen=True)
class Attachable:
    label: str
    model: type[Named]
    users_field: str  # the persona field listing the drafts' attachments of this kind


TOOLS = Attachable("Tool", Tool, "draft_tool_ids")
KNOWLEDGE_BASES = Attachable("Knowledge base", KnowledgeBase, "draft_knowledge_base_ids")


def _users(actor: Principal, kind: Attachable, object_id: PydanticObjectId) -> dict[str, Any]:
    return {"workspace_id": actor.workspace_id, kind.users_field: object_id}


async def users_page(
    actor: Principal,
    kind: Attachable,
    object_id: PydanticObjectId,
    first: int,
    before_seq: int | None,
) -> tuple[list[Persona], bool]:
    """The personas whose draft attaches the document, newest first."""
    upper = before_seq if before_seq is not None else await last_seq(actor) + 1
    query = _users(actor, kind, object_id)
    personas = Persona.get_pymongo_collection()
    rows, has_next = await seq_page(personas, query, lambda row: True, first, upper)
    return [Persona.model_validate(row) for row in rows], has_next


async def count_users(actor: Principal, kind: Attachable, object_id: PydanticObjectId) -> int:
    return await Persona.get_pymongo_collection().count_documents(_users(actor, kind, object_id))


async def delete_unattached(
    actor: Principal, kind: Attachable, object_id: PydanticObjectId
) -> None:
    """Delete the document, or refuse with IN_USE while a draft attaches it."""
    personas = Persona.get_pymongo_collection()

    async def remove(session: AsyncClientSession) -> None:
        if not await guard_named(kind.model, actor.workspace_id, [object_id], session):
            raise NotFound(kind.label)
        users = await personas.count_documents(_users(actor, kind, object_id), session=session)
        if users:
            raise InUse(kind.label, users)
        await remove_named(kind.model, actor.workspace_id, object_id, session)

    await run_transaction(personas.database.client, remove, path=("id",))
