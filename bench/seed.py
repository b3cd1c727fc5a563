"""Seeding the benchmark database straight through the driver, in batches.

Documents are built as the app's own models and dumped by them, so whatever the models
derive or default stays right; only the insert skips the API, to keep 200k personas quick.
"""

import asyncio
from dataclasses import dataclass, field

from beanie import PydanticObjectId
from pymongo import ReturnDocument

from app.access.documents import Workspace
from app.access.keys import issue_key, workspace_named
from app.access.principal import Role
from app.personas.documents import (
    ChatConfiguration,
    Persona,
    PersonaVersion,
    Production,
    Snapshot,
    VoiceConfiguration,
)
from app.platform.clock import utcnow
from app.platform.database import connect
from app.release.documents import PRODUCTION, Deployment
from app.server.models import bind_all

BATCH = 1000
BENCH_WORKSPACE = "bench"
OTHER_WORKSPACE = "bench-other"
PROMPT = (
    "You are a friendly assistant for a travel agency. Greet the caller, ask where and when "
    "they would like to travel, and offer at most three options. Keep every answer short, "
    "confirm names and dates by repeating them, never invent prices, and hand over to a "
    "human agent when the caller asks for one or is unhappy. Speak the caller's language "
    "and keep a calm, warm tone throughout the whole conversation, even when interrupted."
)


@dataclass(frozen=True)
class Seeded:
    """A seeded workspace, the bearer key of an ADMIN in it, and its personas' ids."""

    database: str
    workspace_id: str
    key: str
    persona_ids: list[str] = field(default_factory=list)  # hex ObjectIds, oldest first
    published_ids: list[str] = field(default_factory=list)


def template() -> Snapshot:
    """The draft every seeded persona starts from; only the name differs between them."""
    voices = {
        locale: VoiceConfiguration(
            locale=locale,
            prompt=PROMPT,
            voice_key=voice,
            model_key="gpt-4o-mini",
            first_message="Hello",
        )
        for locale, voice in (("en-US", "sara-en-us-f"), ("ar-AE", "layla-ar-ae-f"))
    }
    chat = ChatConfiguration(prompt=PROMPT, model_key="gpt-4.1")
    return Snapshot(name="Persona", voice_configurations=voices, chat_configuration=chat)


def _persona(workspace_id: PydanticObjectId, draft: Snapshot, published: bool, seq: int) -> Persona:
    digest = draft.digest()
    production = None
    if published:
        production = Production(
            version=1, snapshot=draft, digest=digest, published_at=utcnow(), published_by="bench"
        )
    return Persona(
        id=PydanticObjectId(),
        workspace_id=workspace_id,
        seq=seq,
        draft=draft,
        draft_digest=digest,
        production=production,
    )


def _version(persona: Persona) -> PersonaVersion:
    production = persona.production
    assert production is not None
    assert persona.id is not None
    same = {name: getattr(production, name) for name in Production.model_fields}
    return PersonaVersion(id=PydanticObjectId(), persona_id=persona.id, **same)


def deployment(persona: Persona) -> dict[str, object]:
    """Production's deployment of a published persona, as publishing stores it."""
    production = persona.production
    assert production is not None
    assert persona.id is not None
    deployed = Deployment(
        workspace_id=persona.workspace_id,
        persona_id=persona.id,
        environment=PRODUCTION,
        version=production.version,
        deployed_at=production.published_at,
        deployed_by=production.published_by,
    )
    stored: dict[str, object] = deployed.model_dump(by_alias=True, exclude={"id"})
    return stored


async def _reserve(workspace_id: PydanticObjectId, count: int) -> int:
    """Count `count` new personas on the workspace, as create_persona does one by one;
    returns the first of their `seq` numbers."""
    stored = await Workspace.get_pymongo_collection().find_one_and_update(
        {"_id": workspace_id},
        {"$inc": {"persona_seq": count, "persona_count": count}},
        return_document=ReturnDocument.AFTER,
    )
    assert stored is not None, "the workspace was just made"
    return int(stored["persona_seq"]) - count + 1


async def insert_personas(
    workspace_id: PydanticObjectId, first_index: int, count: int
) -> tuple[list[str], list[str]]:
    """`count` personas named "Persona {i}" from `first_index`, every even one published."""
    base = template()
    personas = Persona.get_pymongo_collection()
    versions = PersonaVersion.get_pymongo_collection()
    first_seq = await _reserve(workspace_id, count)
    ids: list[str] = []
    published: list[str] = []
    for start in range(first_index, first_index + count, BATCH):
        stop = min(start + BATCH, first_index + count)
        batch = [
            _persona(
                workspace_id,
                base.model_copy(update={"name": f"Persona {i}"}),
                published=i % 2 == 0,
                seq=first_seq + i - first_index,
            )
            for i in range(start, stop)
        ]
        released = [_version(persona) for persona in batch if persona.production is not None]
        await personas.insert_many([p.stored() for p in batch], ordered=False)
        if released:
            await versions.insert_many(
                [v.model_dump(by_alias=True) for v in released], ordered=False
            )
            await Deployment.get_pymongo_collection().insert_many(
                [deployment(p) for p in batch if p.production is not None], ordered=False
            )
        ids += [str(p.id) for p in batch]
        published += [str(p.id) for p in batch if p.production is not None]
    return ids, published


async def _seed(uri: str, database: str, workspace: str, first_index: int, count: int) -> Seeded:
    client = connect(uri)
    try:
        await bind_all(client[database])
        found = await workspace_named(workspace)
        assert found.id is not None
        issued = await issue_key(found.id, "bench", Role.ADMIN)
        ids, published = await insert_personas(found.id, first_index, count)
    finally:
        await client.close()
    return Seeded(database, str(found.id), issued.secret, ids, published)


def seed(uri: str, database: str, workspace: str, first_index: int, count: int) -> Seeded:
    """Add `count` personas to `workspace` (made if new); returns it with a fresh ADMIN key."""
    return asyncio.run(_seed(uri, database, workspace, first_index, count))
