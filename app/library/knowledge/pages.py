"""Pages of a workspace's knowledge bases, newest first, and name search."""

from dataclasses import dataclass
from typing import Any

from beanie import PydanticObjectId
from pymongo.asynchronous.collection import AsyncCollection

from app.library.knowledge.documents import KnowledgeBase
from app.library.knowledge.store import SEQ
from app.platform.counters import last_seq
from app.platform.pages import seq_page
from app.platform.search import first_gram, folded


def _collection() -> AsyncCollection[dict[str, Any]]:
    return KnowledgeBase.get_pymongo_collection()


@dataclass(frozen=True)
class KnowledgeBasePage:
    items: list[KnowledgeBase]
    has_next: bool


def _search(workspace_id: PydanticObjectId, search: str | None) -> tuple[dict[str, Any], Any]:
    query: dict[str, Any] = {"workspace_id": workspace_id}
    if not search:
        return query, lambda row: True
    needle = folded(search)
    query["search_grams"] = first_gram(search)
    return query, lambda row: needle in row["name_key"]


async def list_knowledge_bases(
    workspace_id: PydanticObjectId, first: int, before_seq: int | None, search: str | None
) -> KnowledgeBasePage:
    """Newest first; `search` is a substring of the name, ignoring case and accents."""
    collection = _collection()
    if before_seq is None:
        before_seq = await last_seq(collection.database, SEQ, workspace_id) + 1
    query, keep = _search(workspace_id, search)
    rows, has_next = await seq_page(collection, query, keep, first, before_seq)
    return KnowledgeBasePage([KnowledgeBase.model_validate(row) for row in rows], has_next)


async def count_knowledge_bases(workspace_id: PydanticObjectId, search: str | None) -> int:
    query, keep = _search(workspace_id, search)
    if not search:
        return await _collection().count_documents(query)
    rows = await _collection().find(query, {"name_key": 1}).to_list()
    return sum(1 for row in rows if keep(row))
