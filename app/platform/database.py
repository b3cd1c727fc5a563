"""Connecting to MongoDB (embedded or external) and binding the Beanie documents."""

from typing import Any

import pymongo
from beanie import Document, init_beanie
from pymongo import AsyncMongoClient
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import ConnectionFailure, PyMongoError

from app.platform.metrics import CommandCounter

MongoDatabase = AsyncDatabase[dict[str, Any]]

DEFAULT_TIMEOUT_SECONDS = 5.0


def connect(
    uri: str, *, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS, **options: Any
) -> AsyncMongoClient[dict[str, Any]]:
    """A client that waits at most `timeout_seconds` for a server to send an operation to."""
    listeners = [CommandCounter(), *options.pop("event_listeners", ())]
    return AsyncMongoClient(
        uri,
        tz_aware=True,
        serverSelectionTimeoutMS=round(timeout_seconds * 1000),
        event_listeners=listeners,
        **options,
    )


async def bind(database: MongoDatabase, models: list[type[Document]]) -> None:
    """Bind the documents to `database` and create the indexes they declare."""
    await init_beanie(database=database, document_models=models)


def is_unavailable(error: BaseException) -> bool:
    """Whether `error` says the database could not be reached (rather than refused a command)."""
    # Timeouts count: a server that does not answer in time is, to a request, one that is gone.
    return isinstance(error, ConnectionFailure) or (
        isinstance(error, PyMongoError) and error.timeout
    )


async def is_reachable(database: MongoDatabase, timeout_seconds: float = 1.0) -> bool:
    try:
        with pymongo.timeout(timeout_seconds):
            await database.command("ping")
    except Exception:
        return False
    return True
