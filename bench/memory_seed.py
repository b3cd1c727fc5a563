"""Seeding contact memory straight through the driver: a persona that remembers, its
contacts' facts and conversations, and the bulk that grows the collection to a million.

Each kind of document is built once as the app's model and dumped by it; the rest of a batch
are copies with the fields that differ changed, so a million conversations stay quick.
"""

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, TypeVar

from beanie import PydanticObjectId

from app.access.keys import issue_key
from app.access.principal import Role
from app.library.catalog import Channel
from app.memory.contacts import recent_entry
from app.memory.documents import Contact, Conversation
from app.memory.spaces import SHARED, Place, contact_key, own_space
from app.personas.documents import Persona, PersonaVersion, VoiceConfiguration
from app.platform.clock import utcnow
from app.platform.database import connect
from app.release.documents import Deployment
from app.server.models import bind_all
from bench.runner import progress
from bench.seed import _persona, _reserve, _version, deployment, template

T = TypeVar("T")
BATCH = 5000
RECALL = 5  # recallConversations of the persona: the default policy's
FACTS = {"first_name": "Sam", "plan": "premium", "language": "en-US"}
SUMMARY = (
    "Asked about a weekend in Lisbon in May for two, compared three hotels near the river and "
    "wants a call back once prices for the second week are known."
)
REMEMBERING = (
    " {% if contact_memory.conversations.size > 0 %}Welcome back. Last time: "
    "{{ contact_memory.conversations.first.summary }}{% endif %}"
    " Name: {{ contact_memory.facts.first_name | default: 'unknown' }}."
)
# Of the bulk, the share that goes to other contacts of the measured persona's own space
# (the index's widest common prefix); the rest is spread over other spaces and a workspace.
SAME_SPACE = 0.2
OTHER_SPACES = 200
BULK_CONTACTS = 50_000
PROGRESS = 100_000


_other_personas = [PydanticObjectId() for _ in range(OTHER_SPACES)]


@dataclass(frozen=True)
class Memory:
    """The remembering persona (hex ids), a RUNTIME key, and the contacts a row rotates over."""

    workspace_id: str
    persona_id: str
    runtime_key: str
    contact_ids: list[str]


def contact_id(n: int) -> str:
    return f"+1555{n:07d}"


def _conversation(place: Place, persona_id: PydanticObjectId) -> dict[str, Any]:
    now = utcnow()
    stored: dict[str, Any] = Conversation(
        workspace_id=place.workspace_id,
        space=place.space,
        contact=place.contact,
        persona_id=persona_id,
        version=1,
        channel=Channel.VOICE,
        summary=SUMMARY,
        ended_at=now,
        expires_at=now + timedelta(days=365),
        recorded_at=now,
    ).model_dump(by_alias=True, exclude={"id"})
    del stored["idempotency_key"]  # as recordConversation stores an unkeyed record
    return stored


def _copy(base: dict[str, Any], contact: str, age: timedelta, **more: Any) -> dict[str, Any]:
    """The base conversation for another contact, ended `age` before it."""
    ended = base["ended_at"] - age
    return {
        **base,
        "_id": PydanticObjectId(),
        "contact": contact,
        "ended_at": ended,
        "expires_at": ended + timedelta(days=365),
        **more,
    }


async def _remembering_persona(workspace_id: PydanticObjectId) -> PydanticObjectId:
    base = template()
    voices = {
        locale: VoiceConfiguration.model_validate(
            {**voice.model_dump(), "prompt": voice.prompt + REMEMBERING}
        )
        for locale, voice in base.voice_configurations.items()
    }
    draft = base.model_copy(
        update={"name": "Remembering", "memory": True, "voice_configurations": voices}
    )
    persona = _persona(workspace_id, draft, published=True, seq=await _reserve(workspace_id, 1))
    await Persona.get_pymongo_collection().insert_one(persona.stored())
    version = _version(persona).model_dump(by_alias=True)
    await PersonaVersion.get_pymongo_collection().insert_one(version)
    await Deployment.get_pymongo_collection().insert_one(deployment(persona))
    assert persona.id is not None
    return persona.id


def _contact(place: Place, history: list[dict[str, Any]]) -> dict[str, Any]:
    """The contact's document as records leave it: facts, and its newest conversations."""
    newest = sorted(history, key=lambda c: (c["ended_at"], c["_id"]), reverse=True)[:RECALL]
    recent = [recent_entry(Conversation.model_validate(c)) for c in newest]
    expires = max(c["expires_at"] for c in newest)
    facts = {key: {"v": value, "e": expires} for key, value in FACTS.items()}
    document = Contact(
        **place.query,
        facts=facts,
        recent=recent,
        expires_at=expires,
        prunes_at=min(c["expires_at"] for c in newest),
    )
    stored: dict[str, Any] = document.model_dump(by_alias=True, exclude={"id"})
    return stored


async def _seed_contacts(workspace_id: PydanticObjectId, contacts: int) -> Memory:
    persona_id = await _remembering_persona(workspace_id)
    issued = await issue_key(workspace_id, "bench-runtime", Role.RUNTIME)
    space = own_space(persona_id)
    base = _conversation(Place(workspace_id, space, ""), persona_id)
    ids = [contact_id(n) for n in range(contacts)]
    documents, conversations = [], []
    for cid in ids:
        place = Place(workspace_id, space, contact_key(cid))
        history = [_copy(base, place.contact, timedelta(days=n + 1)) for n in range(RECALL)]
        documents.append(_contact(place, history))
        conversations += history
    await Contact.get_pymongo_collection().insert_many(documents, ordered=False)
    for start in range(0, len(conversations), BATCH):
        await Conversation.get_pymongo_collection().insert_many(
            conversations[start : start + BATCH], ordered=False
        )
    return Memory(str(workspace_id), str(persona_id), issued.secret, ids)


def _bulk_place(
    n: int, workspace_id: PydanticObjectId, own: str, other: PydanticObjectId
) -> tuple[PydanticObjectId, str]:
    """Where the n-th bulk conversation goes: the measured space, another persona's, the
    workspace's shared space, or another workspace."""
    share = n % 10
    if share < SAME_SPACE * 10:
        return workspace_id, own
    if share < 8:
        return workspace_id, f"persona:{_other_personas[n % OTHER_SPACES]}"
    if share == 8:
        return workspace_id, SHARED
    return other, own


async def _seed_bulk(workspace_id: PydanticObjectId, memory: Memory, n: int) -> None:
    persona_id = PydanticObjectId(memory.persona_id)
    own = own_space(persona_id)
    other = PydanticObjectId()
    base = _conversation(Place(workspace_id, own, ""), persona_id)
    collection = Conversation.get_pymongo_collection()
    contacts = [contact_key(f"bulk-{n}") for n in range(BULK_CONTACTS)]
    # Each bulk contact lands in one place (BULK_CONTACTS is a multiple of the shares), whose
    # document keeps its newest RECALL conversations, as records would leave it.
    newest: dict[tuple[Any, str, str], list[dict[str, Any]]] = {}
    for start in range(0, n, BATCH):
        batch = []
        for i in range(start, min(start + BATCH, n)):
            ws, space = _bulk_place(i, workspace_id, own, other)
            # Older than the measured contacts' conversations, days apart.
            age = timedelta(days=RECALL + 1 + i % 300, seconds=i)
            conversation = _copy(
                base, contacts[i % BULK_CONTACTS], age, workspace_id=ws, space=space
            )
            batch.append(conversation)
            kept = newest.setdefault((ws, space, conversation["contact"]), [])
            kept.append(conversation)
            if len(kept) > RECALL:
                kept.remove(min(kept, key=lambda c: c["ended_at"]))
        await collection.insert_many(batch, ordered=False)
        if (start + BATCH) % PROGRESS == 0 and start + BATCH < n:
            progress(f"  {start + BATCH:,} of {n:,} conversations")
    documents = [_contact(Place(*place), history) for place, history in newest.items()]
    for start in range(0, len(documents), BATCH):
        await Contact.get_pymongo_collection().insert_many(
            documents[start : start + BATCH], ordered=False
        )


async def _run(uri: str, database: str, work: Callable[[], Awaitable[T]]) -> T:
    client = connect(uri)
    try:
        await bind_all(client[database])
        return await work()
    finally:
        await client.close()


def seed_contacts(uri: str, database: str, workspace_id: str, contacts: int) -> Memory:
    """A remembering persona with `contacts` contacts, each with facts and RECALL conversations."""
    ws = PydanticObjectId(workspace_id)
    return asyncio.run(_run(uri, database, lambda: _seed_contacts(ws, contacts)))


def seed_bulk(uri: str, database: str, workspace_id: str, memory: Memory, n: int) -> float:
    """`n` more conversations, none of the measured contacts' (whose history stays RECALL
    long, so the two rows differ only in what else the collection holds); returns seconds."""
    ws = PydanticObjectId(workspace_id)
    started = time.perf_counter()
    asyncio.run(_run(uri, database, lambda: _seed_bulk(ws, memory, n)))
    return time.perf_counter() - started
