"""The workspace's knowledge bases as personas' editors use them: role-checked, kept while
attached.

Deleting a knowledge base a draft attaches is refused, exactly as for tools: the check and
the delete run in one transaction that also writes the base's `guard`, which attaching
writes too, so an attach racing a delete makes one of the two conflict and retry.
"""

from typing import Any

from beanie import PydanticObjectId
from pymongo.asynchronous.client_session import AsyncClientSession

from app.access.permissions import Operation, require
from app.access.principal import Principal
from app.library.errors import NotFound
from app.library.knowledge import pages, store
from app.library.knowledge.definitions import (
    KnowledgeBaseChanges,
    KnowledgeBaseSpec,
    KnowledgeSourceSpec,
)
from app.library.knowledge.documents import KnowledgeBase
from app.library.named import Page
from app.personas.documents import Persona
from app.personas.pages import last_seq
from app.personas.tools import InUse
from app.platform.pages import seq_page
from app.platform.transactions import run_transaction

LABEL = "Knowledge base"


def _users(actor: Principal, knowledge_base_id: PydanticObjectId) -> dict[str, Any]:
    return {"workspace_id": actor.workspace_id, "draft_knowledge_base_ids": knowledge_base_id}


async def get_knowledge_base(
    actor: Principal, knowledge_base_id: PydanticObjectId
) -> KnowledgeBase | None:
    return await store.get_knowledge_base(actor.workspace_id, knowledge_base_id)


async def list_knowledge_bases(
    actor: Principal, first: int, before_seq: int | None, search: str | None
) -> Page[KnowledgeBase]:
    return await pages.list_knowledge_bases(actor.workspace_id, first, before_seq, search)


async def count_knowledge_bases(actor: Principal, search: str | None) -> int:
    return await pages.count_knowledge_bases(actor.workspace_id, search)


async def source_texts(hashes: list[str]) -> list[str | None]:
    """The texts behind hashes of sources already read, in order; None where none is stored.

    Shaped for a DataLoader: one query for every source a response shows.
    """
    found = await store.get_texts(hashes)
    return [found.get(key) for key in hashes]


async def create_knowledge_base(actor: Principal, spec: KnowledgeBaseSpec) -> KnowledgeBase:
    require(actor, Operation.EDIT_KNOWLEDGE_BASES)
    return await store.create_knowledge_base(actor.workspace_id, spec)


async def update_knowledge_base(
    actor: Principal,
    knowledge_base_id: PydanticObjectId,
    expected_revision: int,
    changes: KnowledgeBaseChanges,
) -> KnowledgeBase:
    require(actor, Operation.EDIT_KNOWLEDGE_BASES)
    return await store.update_knowledge_base(
        actor.workspace_id, knowledge_base_id, expected_revision, changes
    )


async def add_knowledge_sources(
    actor: Principal,
    knowledge_base_id: PydanticObjectId,
    expected_revision: int,
    sources: list[KnowledgeSourceSpec],
) -> KnowledgeBase:
    require(actor, Operation.EDIT_KNOWLEDGE_BASES)
    return await store.add_knowledge_sources(
        actor.workspace_id, knowledge_base_id, expected_revision, sources
    )


async def remove_knowledge_source(
    actor: Principal, knowledge_base_id: PydanticObjectId, expected_revision: int, source_id: str
) -> KnowledgeBase:
    require(actor, Operation.EDIT_KNOWLEDGE_BASES)
    return await store.remove_knowledge_source(
        actor.workspace_id, knowledge_base_id, expected_revision, source_id
    )


async def delete_knowledge_base(actor: Principal, knowledge_base_id: PydanticObjectId) -> None:
    require(actor, Operation.EDIT_KNOWLEDGE_BASES)
    personas = Persona.get_pymongo_collection()

    async def remove(session: AsyncClientSession) -> None:
        if not await store.guard_knowledge_bases(actor.workspace_id, [knowledge_base_id], session):
            raise NotFound(LABEL)
        users = await personas.count_documents(_users(actor, knowledge_base_id), session=session)
        if users:
            raise InUse(LABEL, users)
        await store.remove_knowledge_base(actor.workspace_id, knowledge_base_id, session)

    await run_transaction(personas.database.client, remove, path=("id",))


async def knowledge_base_users(
    actor: Principal, knowledge_base_id: PydanticObjectId, first: int, before_seq: int | None
) -> tuple[list[Persona], bool]:
    """The personas whose draft attaches the knowledge base, newest first."""
    upper = before_seq if before_seq is not None else await last_seq(actor) + 1
    rows, has_next = await seq_page(
        Persona.get_pymongo_collection(),
        _users(actor, knowledge_base_id),
        lambda row: True,
        first,
        upper,
    )
    return [Persona.model_validate(row) for row in rows], has_next


async def count_knowledge_base_users(actor: Principal, knowledge_base_id: PydanticObjectId) -> int:
    return await Persona.get_pymongo_collection().count_documents(_users(actor, knowledge_base_id))
