"""Pages of a workspace's knowledge bases, newest first, and name search."""

from beanie import PydanticObjectId

from app.library.knowledge.documents import KnowledgeBase
from app.library.knowledge.store import SEQ
from app.library.named import Page, count_named, list_named


async def list_knowledge_bases(
    workspace_id: PydanticObjectId, first: int, before_seq: int | None, search: str | None
) -> Page[KnowledgeBase]:
    return await list_named(KnowledgeBase, SEQ, workspace_id, first, before_seq, search)


async def count_knowledge_bases(workspace_id: PydanticObjectId, search: str | None) -> int:
    return await count_named(KnowledgeBase, workspace_id, search)
