"""What tools and knowledge bases share: a workspace document with a name unique in it
(ignoring case and accents), a revision, newest-first pages and name search."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from beanie import Document, PydanticObjectId
from pydantic import Field, computed_field
from pymongo import ASCENDING, DESCENDING, IndexModel
from pymongo.asynchronous.client_session import AsyncClientSession

from app.platform.clock import utcnow
from app.platform.counters import last_seq
from app.platform.pages import Row, seq_page
from app.platform.search import first_gram, folded, search_grams


class Named(Document):
    workspace_id: PydanticObjectId
    seq: int  # creation order in the workspace: pages are ranges of it
    name: str
    revision: int = 1
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def name_key(self) -> str:
        return folded(self.name)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def search_grams(self) -> list[str]:
        return search_grams(self.name)

    def stored(self) -> dict[str, Any]:
        """The document as written, derived fields included."""
        stored: dict[str, Any] = self.model_dump(by_alias=True)
        return stored


def named_indexes() -> list[IndexModel]:
    return [
        IndexModel(
            [("workspace_id", ASCENDING), ("_id", ASCENDING), ("revision", ASCENDING)],
            name="identity",
        ),
        # Names differing only in case would confuse a model and the people reading its calls.
        IndexModel(
            [("workspace_id", ASCENDING), ("name_key", ASCENDING)], name="unique_name", unique=True
        ),
        IndexModel([("workspace_id", ASCENDING), ("seq", DESCENDING)], name="page"),
        IndexModel(
            [("workspace_id", ASCENDING), ("search_grams", ASCENDING), ("seq", DESCENDING)],
            name="search_page",
        ),
    ]


N = TypeVar("N", bound=Named)


@dataclass(frozen=True)
class Page(Generic[N]):
    items: list[N]
    has_next: bool


def _search(workspace_id: PydanticObjectId, search: str | None) -> tuple[Row, Any]:
    query: Row = {"workspace_id": workspace_id}
    if not search:
        return query, lambda row: True
    needle = folded(search)
    query["search_grams"] = first_gram(search)
    return query, lambda row: needle in row["name_key"]


async def list_named(
    model: type[N],
    seq_kind: str,
    workspace_id: PydanticObjectId,
    first: int,
    before_seq: int | None,
    search: str | None,
) -> Page[N]:
    """Newest first; `search` is a substring of the name, ignoring case and accents."""
    collection = model.get_pymongo_collection()
    if before_seq is None:
        before_seq = await last_seq(collection.database, seq_kind, workspace_id) + 1
    query, keep = _search(workspace_id, search)
    rows, has_next = await seq_page(collection, query, keep, first, before_seq)
    return Page([model.model_validate(row) for row in rows], has_next)


async def count_named(
    model: type[Named], workspace_id: PydanticObjectId, search: str | None
) -> int:
    collection = model.get_pymongo_collection()
    query, keep = _search(workspace_id, search)
    if not search:
        return await collection.count_documents(query)
    rows = await collection.find(query, {"name_key": 1}).to_list()
    return sum(1 for row in rows if keep(row))


async def get_named(
    model: type[N], workspace_id: PydanticObjectId, object_ids: list[PydanticObjectId]
) -> dict[PydanticObjectId, N]:
    """The workspace's documents among `object_ids`; others' and deleted ones are left out."""
    if not object_ids:
        return {}
    # _id alone is what the index serves; the workspace is checked on the few rows found.
    query = {"_id": {"$in": list(set(object_ids))}}
    rows = await model.get_pymongo_collection().find(query).to_list()
    found = (model.model_validate(row) for row in rows)
    return {doc.id: doc for doc in found if doc.workspace_id == workspace_id and doc.id}


async def guard_named(
    model: type[Named],
    workspace_id: PydanticObjectId,
    object_ids: list[PydanticObjectId],
    session: AsyncClientSession,
) -> bool:
    """Write each document's guard inside `session`'s transaction; False if one is not there.

    Attaching and deleting both write it, so the two never both commit on a stale read.
    """
    collection = model.get_pymongo_collection()
    for object_id in object_ids:
        result = await collection.update_one(
            {"workspace_id": workspace_id, "_id": object_id},
            {"$inc": {"guard": 1}},
            session=session,
        )
        if not result.matched_count:
            return False
    return True


async def remove_named(
    model: type[Named],
    workspace_id: PydanticObjectId,
    object_id: PydanticObjectId,
    session: AsyncClientSession | None = None,
) -> bool:
    deleted = await model.get_pymongo_collection().delete_one(
        {"workspace_id": workspace_id, "_id": object_id}, session=session
    )
    return deleted.deleted_count == 1
