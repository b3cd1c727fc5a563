"""What a call start gets of a contact's memory: facts and the newest conversations, read as
of a moment (nothing past retention) from the contact's one document."""

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from beanie import PydanticObjectId

from app.access.permissions import Operation, require
from app.access.principal import Principal
from app.library.catalog import Channel
from app.memory.documents import Contact
from app.memory.facts import Value, current
from app.memory.spaces import Place, contact_key, space_of
from app.personas.documents import Snapshot
from app.personas.memory_policy import MemoryScope
from app.personas.reads import find_persona
from app.personas.resolution import no_memory
from app.personas.templates import OpenMapping


@dataclass(frozen=True)
class Recalled:
    """A conversation as a call start gets it: read from the contact's document as stored,
    without validating a whole Conversation document on the hottest path."""

    id: PydanticObjectId
    persona_id: PydanticObjectId
    version: int
    channel: Channel
    resolution_id: str | None
    summary: str
    ended_at: datetime
    expires_at: datetime

    @classmethod
    def of(cls, entry: Mapping[str, Any]) -> "Recalled":
        return cls(
            id=entry["_id"],
            persona_id=entry["persona_id"],
            version=entry["version"],
            channel=Channel(entry["channel"]),
            resolution_id=entry.get("resolution_id"),
            summary=entry["summary"],
            ended_at=entry["ended_at"],
            expires_at=entry["expires_at"],
        )


@dataclass(frozen=True)
class ContactMemory:
    contact_id: str
    scope: MemoryScope
    facts: dict[str, Value] = field(default_factory=dict)
    conversations: list[Recalled] = field(default_factory=list)


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


def _recent(stored: Mapping[str, Any], count: int, now: datetime) -> list[Recalled]:
    entries: list[dict[str, Any]] = stored.get("recent") or []
    alive = (entry for entry in entries if entry["expires_at"] > now)
    return [Recalled.of(entry) for entry in islice(alive, count)]


async def recall(
    place: Place, contact_id: str, scope: MemoryScope, count: int, now: datetime
) -> ContactMemory:
    """One read of the contact's document, whatever the length of its history."""
    stored = await Contact.get_pymongo_collection().find_one(place.query, {"facts": 1, "recent": 1})
    if stored is None:
        return ContactMemory(contact_id, scope)
    return ContactMemory(contact_id, scope, current(stored, now), _recent(stored, count, now))


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
