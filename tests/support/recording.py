"""recordConversation for the tests: personas whose versions differ in memory, and what the
database holds of contact memory, to show a refused record stored nothing."""

from datetime import UTC, datetime
from typing import Any

from app.platform.database import MongoDatabase
from tests.support.client import UPDATE, GraphQLClient, publish, voice_input

MEMORY_COLLECTIONS = ("conversations", "contacts")


async def memory_stored(database: MongoDatabase) -> dict[str, list[dict[str, Any]]]:
    """Every conversation and facts document, to compare before and after a refusal."""
    return {
        name: await database[name].find({}).sort("_id", 1).to_list() for name in MEMORY_COLLECTIONS
    }


async def nothing_stored(database: MongoDatabase) -> None:
    for name in MEMORY_COLLECTIONS:
        assert await database[name].count_documents({}) == 0, name


async def stored_facts(database: MongoDatabase) -> dict[str, Any]:
    """The one contact's stored facts, key -> value (the expiry of each left out)."""
    (document,) = await database["contacts"].find({}).to_list()
    return {key: entry["v"] for key, entry in document["facts"].items()}


async def published_persona(api: GraphQLClient, memory: bool, **input: Any) -> dict[str, Any]:
    persona = await api.create_persona(memory=memory, voiceConfigurations=[voice_input()], **input)
    published = await publish(api, persona)
    assert published["userErrors"] == [], published["userErrors"]
    found: dict[str, Any] = published["persona"]
    return found


async def republished(api: GraphQLClient, persona: dict[str, Any], memory: bool) -> dict[str, Any]:
    """The persona after its memory switch is flipped and published as the next version."""
    changed = {"id": persona["id"], "expectedRevision": persona["revision"], "memory": memory}
    updated = await api.ok(UPDATE, "updatePersona", input=changed)
    published = await publish(api, updated["persona"])
    assert published["userErrors"] == [], published["userErrors"]
    found: dict[str, Any] = published["persona"]
    return found


def parse(moment: str) -> datetime:
    parsed = datetime.fromisoformat(moment)
    assert parsed.tzinfo is not None, moment
    return parsed.astimezone(UTC)


def iso(moment: datetime) -> str:
    return moment.isoformat()
