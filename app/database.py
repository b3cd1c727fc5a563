"""Connecting to MongoDB (embedded or external) and binding the Beanie documents."""

from typing import Any

from beanie import init_beanie
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase

from app.backfill import backfill
from app.documents import DOCUMENT_MODELS

MongoDatabase = AsyncDatabase[dict[str, Any]]


def connect(uri: str, **options: Any) -> AsyncMongoClient[dict[str, Any]]:
    return AsyncMongoClient(uri, tz_aware=True, serverSelectionTimeoutMS=5000, **options)


async def bind(database: MongoDatabase) -> None:
    """Bind the documents to `database`, create the indexes they declare, fill new fields."""
    await init_beanie(database=database, document_models=DOCUMENT_MODELS)
    await backfill(database)


async def is_reachable(database: MongoDatabase) -> bool:
    try:
        await database.command("ping")
    except Exception:
        return False
    return True
