"""The workspace's knowledge bases as personas' editors use them: role-checked, and kept
while attached (see users)."""

from beanie import PydanticObjectId

from app.access.permissions import Operation, require
from app.access.principal import Principal
from app.library.knowledge import pages, refreshing, store
from app.library.knowledge.definitions import (
    KnowledgeBaseChanges,
    KnowledgeBaseSpec,
    KnowledgeSourceSpec,
)
from app.library.knowledge.documents import KnowledgeBase
from app.library.named import Page
from app.personas.users import KNOWLEDGE_BASES, delete_unattached


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


async def refresh_knowledge_source(
    actor: Principal,
    knowledge_base_id: PydanticObjectId,
    expected_revision: int,
    source_id: str,
    fetch: refreshing.Fetch,
) -> KnowledgeBase:
    require(actor, Operation.EDIT_KNOWLEDGE_BASES)
    return await refreshing.refresh_knowledge_source(
        actor.workspace_id, knowledge_base_id, expected_revision, source_id, fetch
    )


async def delete_knowledge_base(actor: Principal, knowledge_base_id: PydanticObjectId) -> None:
    require(actor, Operation.EDIT_KNOWLEDGE_BASES)
    await delete_unattached(actor, KNOWLEDGE_BASES, knowledge_base_id)
