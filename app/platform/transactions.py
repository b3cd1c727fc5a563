"""Transactions that retry what the server says is worth retrying."""

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from pymongo import AsyncMongoClient
from pymongo.asynchronous.client_session import AsyncClientSession

T = TypeVar("T")


async def in_transaction(
    client: AsyncMongoClient[dict[str, Any]],
    work: Callable[[AsyncClientSession], Awaitable[T]],
) -> T:
    """Run `work` in one transaction; the driver retries transient errors and commits."""
    async with client.start_session() as session:
        result: T = await session.with_transaction(work)
        return result
