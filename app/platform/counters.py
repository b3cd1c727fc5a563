"""Per-workspace sequence numbers, taken inside the transaction that inserts what they number."""

from beanie import PydanticObjectId
from pymongo import ReturnDocument
from pymongo.asynchronous.client_session import AsyncClientSession

from app.platform.database import MongoDatabase

COLLECTION = "counters"


def _key(kind: str, workspace_id: PydanticObjectId) -> str:
    return f"{kind}:{workspace_id}"


async def next_seq(
    database: MongoDatabase,
    kind: str,
    workspace_id: PydanticObjectId,
    session: AsyncClientSession | None = None,
) -> int:
    counter = await database[COLLECTION].find_one_and_update(
        {"_id": _key(kind, workspace_id)},
        {"$inc": {"seq": 1}},
        upsert=True,
        return_document=ReturnDocument.AFTER,
        session=session,
    )
    assert counter is not None
    return int(counter["seq"])


async def last_seq(database: MongoDatabase, kind: str, workspace_id: PydanticObjectId) -> int:
    counter = await database[COLLECTION].find_one({"_id": _key(kind, workspace_id)})
    return int(counter["seq"]) if counter else 0
