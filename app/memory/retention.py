"""Retention: nothing past it is ever served (reads filter by the moment they are made),
and it is deleted soon after, by the database's TTL indexes where it honours them and by a
sweep that one process runs per interval.
"""

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from pymongo.errors import DuplicateKeyError, PyMongoError

from app.memory.contacts import prune_pipeline
from app.memory.documents import Contact, Conversation
from app.platform.clock import utcnow

logger = logging.getLogger(__name__)

TURNS = "sweeps"
TURN = "memory-retention"


@dataclass(frozen=True)
class Swept:
    conversations: int
    contacts: int  # contact documents pruned or deleted


async def sweep(now: datetime) -> Swept:
    """Delete what is past retention as of `now`."""
    past = {"expires_at": {"$lte": now}}
    conversations = await Conversation.get_pymongo_collection().delete_many(past)
    contacts = Contact.get_pymongo_collection()
    emptied = await contacts.delete_many(past)
    pruned = await contacts.update_many({"prunes_at": {"$lte": now}}, prune_pipeline(now))
    return Swept(conversations.deleted_count, emptied.deleted_count + pruned.modified_count)


async def take_turn(now: datetime, interval: timedelta) -> bool:
    """Whether this process sweeps the interval `now` falls in: the first to ask does.

    Each interval is one document, keyed by its number; inserting it is the claim, so the
    unique _id decides between processes and no clock needs to agree on more than that.
    """
    turns = Conversation.get_pymongo_collection().database[TURNS]
    slot = int(now.timestamp() // interval.total_seconds())
    try:
        await turns.insert_one({"_id": f"{TURN}:{slot}", "at": now})
    except DuplicateKeyError:
        return False
    # By _id alone, which is what the embedded database serves from an index.
    await turns.delete_one({"_id": f"{TURN}:{slot - 1}"})
    return True


async def keep_swept(interval: timedelta) -> None:
    """Sweep once per `interval` across processes; runs until cancelled."""
    while True:
        now = utcnow()
        with contextlib.suppress(PyMongoError):
            if await take_turn(now, interval):
                swept = await sweep(now)
                logger.info(
                    "memory retention swept",
                    extra={"conversations": swept.conversations, "contacts": swept.contacts},
                )
        await asyncio.sleep(interval.total_seconds())
