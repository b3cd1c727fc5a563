"""Retention: nothing past it is ever served (reads filter by the moment they are made),
and it is deleted soon after, by the database's TTL indexes where it honours them and by a
sweep that one process at a time runs under a lease.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo.errors import DuplicateKeyError, PyMongoError

from app.memory.documents import ContactFacts, Conversation
from app.memory.facts import prune_pipeline
from app.platform.clock import utcnow

logger = logging.getLogger(__name__)

LEASES = "leases"
LEASE = "memory-retention"


@dataclass(frozen=True)
class Swept:
    conversations: int
    contacts: int  # fact documents pruned or deleted


async def sweep(now: datetime) -> Swept:
    """Delete what is past retention as of `now`."""
    past = {"expires_at": {"$lte": now}}
    conversations = await Conversation.get_pymongo_collection().delete_many(past)
    facts = ContactFacts.get_pymongo_collection()
    emptied = await facts.delete_many(past)
    pruned = await facts.update_many({"prunes_at": {"$lte": now}}, prune_pipeline(now))
    return Swept(conversations.deleted_count, emptied.deleted_count + pruned.modified_count)


async def take_lease(holder: str, now: datetime, term: timedelta) -> bool:
    """Whether `holder` may sweep now: the lease is free, expired or its own."""
    leases = Conversation.get_pymongo_collection().database[LEASES]
    free = {"_id": LEASE, "$or": [{"until": {"$lte": now}}, {"holder": holder}]}
    try:
        await leases.update_one(
            free, {"$set": {"holder": holder, "until": now + term}}, upsert=True
        )
    except DuplicateKeyError:
        return False  # held by another process
    return True


async def keep_swept(holder: str, interval: timedelta) -> None:
    """Sweep every `interval` while this process holds the lease; runs until cancelled."""
    while True:
        now = utcnow()
        with contextlib.suppress(PyMongoError):
            if await take_lease(holder, now, interval):
                swept = await sweep(now)
                logger.info(
                    "memory retention swept",
                    extra={"conversations": swept.conversations, "contacts": swept.contacts},
                )
        await asyncio.sleep(interval.total_seconds())
