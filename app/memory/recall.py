"""What a call start gets of a contact's memory: facts and the newest conversations, read by
two indexed queries at once, as of a moment (nothing past retention)."""

import asyncio
from dataclasses import dataclass, field
from datetime import datetime

from beanie import PydanticObjectId

from app.access.permissions import Operation, require
from app.access.principal import Principal
from app.memory.documents import ContactFacts, Conversation
from app.memory.facts import Value, current
from app.memory.spaces import Place, contact_key, space_of
from app.personas.documents import Snapshot
from app.personas.memory_policy import MemoryScope
from app.personas.reads import find_persona
from app.personas.resolution import no_memory
from app.personas.templates import OpenMapping


@dataclass(frozen=True)
class ContactMemory:
    contact_id: str
    scope: MemoryScope
    facts: dict[str, Value] = field(default_factory=dict)
    conversations: list[Conversation] = field(default_factory=list)


def template_value(memory: ContactMemory | None) -> dict[str, object]:
    """The `contact_memory` built-in: always defined, empty when there is nothing to tell."""
    if memory is None:
        return no_memory()
    return {
        # Facts are whatever the runtime recorded: a key a template names may be missing.
        "facts": OpenMapping(memory.facts),
        "conversations": [
            {
                "summary": conversation.summary,
                "ended_at": conversation.ended_at.isoformat().replace("+00:00", "Z"),
                "channel": conversation.channel.lower(),
            }
            for conversation in memory.conversations
        ],
    }


async def _conversations(place: Place, count: int, now: datetime) -> list[Conversation]:
    if count == 0:
        return []
    cursor = (
        Conversation.get_pymongo_collection()
        .find({**place.query, "expires_at": {"$gt": now}})
        .sort([("ended_at", -1), ("_id", -1)])
        .limit(count)
    )
    return [Conversation.model_validate(row) async for row in cursor]


async def recall(
    place: Place, contact_id: str, scope: MemoryScope, count: int, now: datetime
) -> ContactMemory:
    stored, conversations = await asyncio.gather(
        ContactFacts.get_pymongo_collection().find_one(place.query, {"facts": 1}),
        _conversations(place, count, now),
    )
    return ContactMemory(contact_id, scope, current(stored, now), conversations)


async def recall_for(
    workspace_id: PydanticObjectId,
    persona_id: PydanticObjectId,
    snapshot: Snapshot,
    contact_id: str | None,
    now: datetime,
) -> ContactMemory | None:
    """What a call start of this snapshot gets; None when it has memory off or no contact."""
    if not snapshot.memory or contact_id is None:
        return None
    policy = snapshot.memory_policy
    place = Place(workspace_id, space_of(persona_id, policy), contact_key(contact_id))
    return await recall(place, contact_id, policy.scope, policy.recall_conversations, now)


async def contact_memory(
    actor: Principal, persona_id: PydanticObjectId, contact_id: str, now: datetime
) -> ContactMemory | None:
    """What the persona's next call start with this contact would get (its production's)."""
    require(actor, Operation.READ_CONTACT_MEMORY)
    persona = await find_persona(actor.workspace_id, persona_id)
    if persona is None or persona.production is None:
        return None
    snapshot = persona.production.snapshot
    return await recall_for(actor.workspace_id, persona_id, snapshot, contact_id, now)
