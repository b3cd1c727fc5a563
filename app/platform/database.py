"""Connecting to MongoDB (embedded or external) and binding the Beanie documents."""

from typing import Any

from beanie import Document, init_beanie
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

MongoDatabase = AsyncDatabase[dict[str, Any]]


def connect(uri: str, **options: Any) -> AsyncMongoClient[dict[str, Any]]:
    return AsyncMongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000, **options)


async def bind(database: MongoDatabase, models: list[type[Document]]) -> None:
    """Bind the documents to `database` and create the indexes they declare."""
    await init_beanie(database=database, document_models=models)


async def is_reachable(database: MongoDatabase) -> bool:
    try:
        await database.command("ping")
    except Exception:
        return False
    return True
