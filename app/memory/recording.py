"""recordConversation: what the runtime learned in a call or chat, kept for the next one.

The record is checked whole first, then the conversation is inserted into the history with
its facts still pending, then the contact's document takes the facts and the conversation in
one update (the one step that can still be refused, for the key limit: the conversation is
deleted again then) and the pending copy is dropped. Inserting first makes the unique index
on the idempotency key decide which of several racing retries is the first: only that
record is remembered, and a key reused for another contact stores nothing. A retry that
finds the first record still pending (cut short, or still under way) remembers it itself;
remembering twice changes nothing more than remembering once, so no crash loses a record.
"""

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from beanie import PydanticObjectId
from pymongo.errors import DuplicateKeyError

from app.access.permissions import Operation, require
from app.access.principal import Principal
from app.library.catalog import Channel
from app.library.errors import NotFound
from app.memory.contacts import FactsFull, remember
from app.memory.documents import Conversation
from app.memory.errors import KeyReused, MemoryDisabled, TooManyFacts
from app.memory.facts import MAX_FACTS, check_facts
from app.memory.spaces import Place, check_contact_id, contact_key, space_of
from app.personas.documents import Production
from app.personas.reads import find_persona, get_version
from app.platform.errors import InvalidInput, Problem
from app.platform.text import check_text

MAX_SUMMARY = 4_000
MAX_IDEMPOTENCY_KEY = 128
MAX_RESOLUTION_ID = 200
# Conversations kept per contact and memory space; the oldest go first.
MAX_CONVERSATIONS = 1_000
# How far ahead of this clock a runtime's clock may be.
CLOCK_SKEW = timedelta(seconds=60)
# What a record brings for the contact's document, kept on its conversation until remembered.
PENDING = "pending_facts"


@dataclass(frozen=True)
class Record:
    persona_id: PydanticObjectId | None  # None: an id that names no persona
    version: int
    channel: Channel
    contact_id: str
    summary: str
    facts: object = None
    ended_at: datetime | None = None
    resolution_id: str | None = None
    idempotency_key: str | None = None


def as_utc(moment: datetime) -> datetime:
    """A given time in UTC at the database's precision; one without a zone is taken as UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def _length(value: str | None, field: str, label: str, limit: int) -> list[Problem]:
    if value is None or 1 <= len(value) <= limit:
        return []
    return [Problem((field,), f"{label} must be 1 to {limit} characters.")]


def check_record(record: Record, now: datetime) -> list[Problem]:
    """Everything about a record that needs no database."""
    problems = [
        *check_contact_id(record.contact_id),
        *check_text(record.summary, ("summary",), "The summary", MAX_SUMMARY),
        *check_facts(record.facts, ("facts",)),
        *_length(record.idempotency_key, "idempotencyKey", "idempotencyKey", MAX_IDEMPOTENCY_KEY),
        *_length(record.resolution_id, "resolutionId", "resolutionId", MAX_RESOLUTION_ID),
    ]
    if record.ended_at is not None and as_utc(record.ended_at) > now + CLOCK_SKEW:
        problems.append(Problem(("endedAt",), "endedAt must not be in the future."))
    return problems


async def _version(
    workspace_id: PydanticObjectId, persona_id: PydanticObjectId | None, version: int
) -> tuple[PydanticObjectId, Production]:
    persona = await find_persona(workspace_id, persona_id) if persona_id else None
    if persona is None or persona.id is None:
        raise NotFound("Persona", ("personaId",))
    if persona.production is not None and persona.production.version == version:
        return persona.id, persona.production
    found = await get_version(persona.id, version)
    if found is None:
        raise NotFound("Version", ("version",))
    return persona.id, found


async def _replayed(
    workspace_id: PydanticObjectId, persona_id: PydanticObjectId, record: Record, now: datetime
) -> Conversation | None:
    if record.idempotency_key is None:
        return None
    found = await Conversation.get_pymongo_collection().find_one(
        {
            "workspace_id": workspace_id,
            "persona_id": persona_id,
            "idempotency_key": record.idempotency_key,
        }
    )
    if found is None:
        return None
    if found["contact"] != contact_key(record.contact_id):
        raise KeyReused()
    return await _settled(found, now)


async def _settled(stored: dict[str, Any], now: datetime) -> Conversation:
    """The stored conversation once remembered; raises TooManyFacts, deleting it, when its
    facts find no room."""
    collection = Conversation.get_pymongo_collection()
    pending = stored.pop(PENDING, None)
    conversation: Conversation = Conversation.model_validate(stored)
    if pending is not None:
        place = Place(conversation.workspace_id, conversation.space, conversation.contact)
        retention = conversation.expires_at - conversation.ended_at
        try:
            await remember(place, conversation, pending, now + retention, now)
        except FactsFull:
            # Call starts read the contact's document only: they never saw the conversation.
            await collection.delete_one({"_id": conversation.id})
            raise TooManyFacts(MAX_FACTS) from None
        await collection.update_one({"_id": conversation.id}, {"$unset": {PENDING: ""}})
    return conversation


async def _cap(place: Place) -> None:
    collection = Conversation.get_pymongo_collection()
    beyond = (
        collection.find(place.query, {"_id": 1})
        .sort([("ended_at", -1), ("_id", -1)])
        .skip(MAX_CONVERSATIONS)
    )
    oldest = [row["_id"] async for row in beyond]
    if oldest:
        await collection.delete_many({"_id": {"$in": oldest}})


async def _insert(stored: dict[str, Any], record: Record, now: datetime) -> Conversation:
    """Insert and remember the conversation; or the first record, when a retry raced this."""
    try:
        await Conversation.get_pymongo_collection().insert_one(stored)
    except DuplicateKeyError:
        first = await _replayed(stored["workspace_id"], stored["persona_id"], record, now)
        if first is None:
            raise
        return first
    return await _settled(stored, now)


async def record_conversation(actor: Principal, record: Record, now: datetime) -> Conversation:
    """Store the conversation and merge its facts; raises DomainError, storing nothing."""
    require(actor, Operation.RECORD_CONVERSATION)
    problems = check_record(record, now)
    if problems:
        raise InvalidInput(problems)
    persona_id, version = await _version(actor.workspace_id, record.persona_id, record.version)
    if not version.snapshot.memory:
        raise MemoryDisabled()
    ended_at = as_utc(record.ended_at) if record.ended_at is not None else now
    if ended_at < version.published_at:
        raise InvalidInput([Problem(("endedAt",), "endedAt is before the version was published.")])
    replayed = await _replayed(actor.workspace_id, persona_id, record, now)
    if replayed is not None:
        return replayed
    policy = version.snapshot.memory_policy
    place = Place(
        actor.workspace_id,
        space_of(persona_id, policy),
        contact_key(record.contact_id),
    )
    retention = timedelta(days=policy.retention_days)
    conversation = Conversation(
        workspace_id=place.workspace_id,
        space=place.space,
        contact=place.contact,
        persona_id=persona_id,
        version=record.version,
        channel=record.channel,
        resolution_id=record.resolution_id,
        summary=record.summary,
        ended_at=ended_at,
        expires_at=ended_at + retention,
        idempotency_key=record.idempotency_key,
        recorded_at=now,
    )
    conversation.id = PydanticObjectId()  # known before the insert: the pending copy names it
    stored = conversation.model_dump(by_alias=True)
    if record.idempotency_key is None:
        del stored["idempotency_key"]  # the unique index covers keyed records only
    stored[PENDING] = record.facts or {}  # checked above
    remembered = await _insert(stored, record, now)
    await _cap(place)
    return remembered
