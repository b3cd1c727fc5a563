"""Retention, with the clock given: past it nothing is served, and the sweep deletes it."""

from datetime import UTC, datetime, timedelta
from typing import Any

from beanie import PydanticObjectId

from app.memory.recall import recall_for
from app.memory.retention import sweep, take_turn
from app.personas.documents import Persona
from app.platform.database import MongoDatabase
from tests.support.client import GraphQLClient, object_id
from tests.support.memory import recorded, remembering_persona

CONTACT = "+15550100"


def _moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


async def _recall_at(persona: dict[str, Any], now: datetime) -> Any:
    stored = await Persona.get(object_id(persona["id"]))
    assert stored is not None
    assert stored.production is not None
    persona_id = PydanticObjectId(object_id(persona["id"]))
    snapshot = stored.production.snapshot
    return await recall_for(stored.workspace_id, persona_id, snapshot, CONTACT, now)


async def test_a_conversation_is_not_served_after_it_expires(api: GraphQLClient) -> None:
    persona = await remembering_persona(api, policy={"retentionDays": 2})
    conversation = await recorded(api, persona, facts={"first_name": "Dana"})
    ended, expires = _moment(conversation["endedAt"]), _moment(conversation["expiresAt"])
    assert expires - ended == timedelta(days=2)

    before = await _recall_at(persona, expires - timedelta(milliseconds=1))
    after = await _recall_at(persona, expires)

    assert [c.summary for c in before.conversations] == ["Asked about the premium plan."]
    assert after.conversations == []


async def test_each_fact_expires_retention_days_after_its_last_change(
    api: GraphQLClient,
) -> None:
    persona = await remembering_persona(api, policy={"retentionDays": 1})
    first = await recorded(api, persona, facts={"first_name": "Dana", "plan": "basic"})
    changed_at = _moment(first["endedAt"]) + timedelta(hours=12)
    # What a record half a day later would have written: only the plan changes.
    database = Persona.get_pymongo_collection().database
    await database["contacts"].update_one(
        {}, {"$set": {"facts.plan.e": changed_at + timedelta(days=1)}}
    )
    day_later = _moment(first["endedAt"]) + timedelta(days=1, minutes=1)

    memory = await _recall_at(persona, day_later)

    assert memory.facts == {"plan": "basic"}


async def test_the_sweep_deletes_what_is_past_retention(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    short = await remembering_persona(api, policy={"retentionDays": 1}, name="Short")
    long = await remembering_persona(api, policy={"retentionDays": 30}, name="Long")
    await recorded(api, short, facts={"first_name": "Dana"})
    await recorded(api, long, facts={"first_name": "Dana"})
    soon = datetime.now(UTC) + timedelta(days=2)

    swept = await sweep(soon)

    assert (swept.conversations, swept.contacts) == (1, 1)
    left = await database["conversations"].find().to_list()
    assert [row["persona_id"] for row in left] == [object_id(long["id"])]
    facts = await database["contacts"].find().to_list()
    assert [row["space"] for row in facts] == [f"persona:{object_id(long['id'])}"]
    assert (await sweep(soon)) == swept.__class__(0, 0)


async def test_the_sweep_prunes_expired_keys_and_keeps_fresh_ones(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await remembering_persona(api, policy={"retentionDays": 1})
    await recorded(api, persona, facts={"first_name": "Dana", "plan": "basic"})
    later = datetime.now(UTC) + timedelta(days=5)
    # As a later record changing only the plan leaves the document.
    changed = {"facts.plan.e": later, "expires_at": later}
    await database["contacts"].update_one({}, {"$set": changed})

    await sweep(datetime.now(UTC) + timedelta(days=2))

    (row,) = await database["contacts"].find().to_list()
    assert list(row["facts"]) == ["plan"]
    assert (
        row["prunes_at"]
        == row["expires_at"]
        == later.replace(microsecond=later.microsecond // 1000 * 1000)
    )


async def test_one_process_sweeps_each_interval(database: MongoDatabase) -> None:
    interval = timedelta(hours=1)
    start = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)

    first = [await take_turn(start + timedelta(minutes=m), interval) for m in (1, 1, 59)]
    second = [await take_turn(start + timedelta(minutes=m), interval) for m in (61, 90)]

    assert first == [True, False, False]
    assert second == [True, False]
    assert await database["sweeps"].count_documents({}) == 1  # the turn before is dropped


async def test_retention_is_also_left_to_the_databases_ttl_indexes(
    database: MongoDatabase,
) -> None:
    for collection in ("conversations", "contacts"):
        indexes = await database[collection].index_information()
        assert indexes["retention"]["key"] == [("expires_at", 1)]
        assert indexes["retention"]["expireAfterSeconds"] == 0
