"""Source texts, stored once per content: `_id` is the sha256 (hex) of the text.

A knowledge base and every version that pins it refer to a text by its hash only, so
the same text in two sources or two workspaces is one document, and a text is never
rewritten: what a hash names cannot change. Nothing here deletes a text, which is how
"never lost while any version references them" holds; a later collector may remove the
texts no knowledge base and no version refers to.
"""

import hashlib
from collections.abc import Iterable
from typing import Any

from pymongo import UpdateOne
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError

COLLECTION = "knowledge_texts"
DUPLICATE_KEY = 11000


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


async def store_texts(database: AsyncDatabase[dict[str, Any]], texts: Iterable[str]) -> None:
    """Store each text unless its hash is there already; an existing one is left untouched."""
    by_hash = {content_hash(text): text for text in texts}
    if not by_hash:
        return
    writes = [
        UpdateOne({"_id": key}, {"$setOnInsert": {"text": text}}, upsert=True)
        for key, text in by_hash.items()
    ]
    try:
        await database[COLLECTION].bulk_write(writes, ordered=False)
    except BulkWriteError as error:
        # Two writers upserting the same new text: the loser's insert meets the winner's,
        # which holds the same text.
        details: list[dict[str, Any]] = error.details.get("writeErrors", [])
        if any(detail.get("code") != DUPLICATE_KEY for detail in details):
            raise


async def get_texts(
    database: AsyncDatabase[dict[str, Any]], hashes: Iterable[str]
) -> dict[str, str]:
    """The stored texts among `hashes`, by hash."""
    wanted = list(set(hashes))
    if not wanted:
        return {}
    rows = await database[COLLECTION].find({"_id": {"$in": wanted}}).to_list()
    return {row["_id"]: row["text"] for row in rows}
