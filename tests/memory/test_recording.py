"""recordConversation: the version given decides, what it answers, retries, the facts merge,
the cap of conversations per contact, and who may record."""

import asyncio
from datetime import timedelta, timezone
from typing import Any

import pytest
from bson import ObjectId

from app.access.principal import Role
from app.memory.recording import PENDING
from app.platform.clock import utcnow
from app.platform.database import MongoDatabase
from tests.conftest import ClientFactory
from tests.support.client import GraphQLClient, errors_of, publish
from tests.support.memory import memory_of, record, recorded, remembering_persona
from tests.support.memory_policy import set_policy
from tests.support.recording import (
    memory_stored,
    nothing_stored,
    parse,
    published_persona,
    republished,
    stored_facts,
)

# ---- the version given decides ---------------------------------------------------------


async def test_a_version_with_memory_off_stores_nothing(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    runtime = await client_for(Role.RUNTIME)
    persona = await published_persona(api, memory=False)

    payload = await record(runtime, persona, facts={"first_name": "Dana"})

    assert payload["conversation"] is None
    assert errors_of(payload) == [("MEMORY_DISABLED", ["version"])]
    await nothing_stored(database)


async def test_an_older_version_with_memory_off_is_refused_while_production_remembers(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    runtime = await client_for(Role.RUNTIME)
    persona = await republished(api, await published_persona(api, memory=False), memory=True)
    assert persona["production"]["version"] == 2

    refused = await record(runtime, persona, version=1, facts={"first_name": "Dana"})

    assert errors_of(refused) == [("MEMORY_DISABLED", ["version"])]
    await nothing_stored(database)
    stored = await recorded(runtime, persona, version=2)
    assert stored["version"] == 2


async def test_an_older_version_with_memory_on_records_while_production_forgets(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    runtime = await client_for(Role.RUNTIME)
    persona = await republished(api, await published_persona(api, memory=True), memory=False)

    refused = await record(runtime, persona, version=2)
    assert errors_of(refused) == [("MEMORY_DISABLED", ["version"])]
    await nothing_stored(database)

    stored = await recorded(runtime, persona, version=1, facts={"first_name": "Dana"})

    assert stored["version"] == 1
    assert await database["conversations"].count_documents({"version": 1}) == 1
    assert await stored_facts(database) == {"first_name": "Dana"}


# ---- what it answers -------------------------------------------------------------------


async def test_answers_the_conversation_as_given_in_utc_expiring_by_its_versions_policy(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    runtime = await client_for(Role.RUNTIME)
    first = await remembering_persona(api, policy={"retentionDays": 30})
    changed = (await set_policy(api, first, {"retentionDays": 90}))["persona"]
    assert (await publish(api, changed))["userErrors"] == []
    ended = utcnow().astimezone(timezone(timedelta(hours=2)))

    old = await recorded(
        runtime,
        first,
        version=1,
        channel="CHAT",
        resolutionId="res-17",
        endedAt=ended.isoformat(),
    )

    assert old == {
        "id": old["id"],
        "personaId": first["id"],
        "version": 1,
        "channel": "CHAT",
        "resolutionId": "res-17",
        "summary": "Asked about the premium plan.",
        "endedAt": old["endedAt"],
        "expiresAt": old["expiresAt"],
    }
    assert old["endedAt"].endswith("+00:00")
    assert parse(old["endedAt"]) == ended
    assert parse(old["expiresAt"]) == ended + timedelta(days=30)
    (document,) = await database["conversations"].find({}).to_list()
    assert document["ended_at"] == ended
    assert document["resolution_id"] == "res-17"

    before = utcnow()
    new = await recorded(runtime, first, version=2)
    after = utcnow()

    assert new["version"] == 2
    assert new["resolutionId"] is None
    assert new["channel"] == "VOICE"
    assert before <= parse(new["endedAt"]) <= after
    assert parse(new["expiresAt"]) == parse(new["endedAt"]) + timedelta(days=90)


# ---- retries ---------------------------------------------------------------------------


async def test_a_retry_answers_the_first_record_and_stores_nothing_twice(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    runtime = await client_for(Role.RUNTIME)
    persona = await remembering_persona(api)
    first = await recorded(runtime, persona, idempotencyKey="call-1", facts={"first": 1})

    retry = await recorded(
        runtime, persona, idempotencyKey="call-1", summary="Said otherwise.", facts={"second": 2}
    )

    assert retry == first
    assert await database["conversations"].count_documents({}) == 1
    assert await stored_facts(database) == {"first": 1}


async def test_concurrent_retries_store_one_conversation_and_its_facts_only(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    runtime = await client_for(Role.RUNTIME)
    persona = await remembering_persona(api)

    answers = await asyncio.gather(
        *(
            recorded(
                runtime, persona, idempotencyKey="call-1", summary=f"Try {i}.", facts={f"k{i}": i}
            )
            for i in range(10)
        )
    )

    assert all(answer == answers[0] for answer in answers)
    winner = int(answers[0]["summary"].removeprefix("Try ").removesuffix("."))
    assert await database["conversations"].count_documents({}) == 1
    assert await stored_facts(database) == {f"k{winner}": winner}


async def test_a_key_used_for_another_contact_is_a_conflict_storing_nothing(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    runtime = await client_for(Role.RUNTIME)
    persona = await remembering_persona(api)
    await recorded(runtime, persona, idempotencyKey="call-1", facts={"first": 1})
    before = await memory_stored(database)

    reused = await record(
        runtime, persona, idempotencyKey="call-1", contactId="+15550199", facts={"other": 2}
    )

    assert reused["conversation"] is None
    assert errors_of(reused) == [("CONFLICT", ["idempotencyKey"])]
    assert "+15550199" not in reused["userErrors"][0]["message"]
    assert await memory_stored(database) == before


async def test_a_key_raced_for_two_contacts_stores_the_facts_of_one(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    runtime = await client_for(Role.RUNTIME)
    persona = await remembering_persona(api)

    answers = await asyncio.gather(
        *(
            record(runtime, persona, idempotencyKey="call-1", contactId=contact, facts={"n": 1})
            for contact in ("+15550100", "+15550199")
        )
    )

    assert sorted(len(answer["userErrors"]) for answer in answers) == [0, 1]
    assert [errors_of(a) for a in answers if a["userErrors"]] == [
        [("CONFLICT", ["idempotencyKey"])]
    ]
    assert await database["conversations"].count_documents({}) == 1
    assert await database["contacts"].count_documents({}) == 1


async def test_a_retry_merges_the_facts_a_first_record_cut_short_left_pending(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    runtime = await client_for(Role.RUNTIME)
    persona = await remembering_persona(api)
    first = await recorded(runtime, persona, idempotencyKey="call-1")
    # As the first record leaves it when its process stops before merging its facts.
    pending = {"first_name": "Dana", "plan": None}
    await database["conversations"].update_one({}, {"$set": {PENDING: pending}})

    retry = await recorded(runtime, persona, idempotencyKey="call-1", facts={"other": 1})

    assert retry == first
    assert await stored_facts(database) == {"first_name": "Dana"}
    assert await database["conversations"].count_documents({PENDING: {"$exists": True}}) == 0


async def test_idempotency_keys_are_per_persona(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    runtime = await client_for(Role.RUNTIME)
    sales = await remembering_persona(api, name="Sales")
    support = await remembering_persona(api, name="Support")

    one = await recorded(runtime, sales, idempotencyKey="call-1")
    two = await recorded(runtime, support, idempotencyKey="call-1")

    assert one["id"] != two["id"]
    assert await database["conversations"].count_documents({}) == 2


# ---- facts -----------------------------------------------------------------------------


async def test_facts_merge_key_by_key_and_null_deletes(
    api: GraphQLClient, client_for: ClientFactory
) -> None:
    runtime = await client_for(Role.RUNTIME)
    persona = await remembering_persona(api)
    await recorded(runtime, persona, facts={"first_name": "Dana", "plan": "basic"})

    await recorded(runtime, persona, facts={"plan": "premium", "calls": 2})
    assert (await memory_of(api, persona, "+15550100"))["facts"] == {
        "first_name": "Dana",
        "plan": "premium",
        "calls": 2,
    }
    await recorded(runtime, persona, facts={"first_name": None, "never_set": None})
    assert (await memory_of(api, persona, "+15550100"))["facts"] == {
        "plan": "premium",
        "calls": 2,
    }


async def test_fact_values_keep_their_json_types(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    runtime = await client_for(Role.RUNTIME)
    persona = await remembering_persona(api)
    facts: dict[str, Any] = {
        "text": "42",
        "count": 42,
        "zero": 0,
        "ratio": 2.5,
        "whole_float": 3.0,
        "yes": True,
        "no": False,
        "literal": "$facts",
    }

    await recorded(runtime, persona, facts=facts)

    for read in (
        (await memory_of(api, persona, "+15550100"))["facts"],
        await stored_facts(database),
    ):
        assert read == facts
        assert {key: type(value) for key, value in read.items()} == {
            key: type(value) for key, value in facts.items()
        }


async def test_concurrent_records_on_one_contact_keep_every_key(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    runtime = await client_for(Role.RUNTIME)
    persona = await remembering_persona(api)

    await asyncio.gather(
        *(
            recorded(runtime, persona, idempotencyKey=f"call-{i}", facts={f"key_{i}": i})
            for i in range(50)
        )
    )

    expected = {f"key_{i}": i for i in range(50)}
    assert (await memory_of(api, persona, "+15550100"))["facts"] == expected
    assert await stored_facts(database) == expected
    assert await database["conversations"].count_documents({}) == 50


# ---- at most 1,000 conversations per contact and memory space -------------------------


async def test_the_oldest_conversation_goes_beyond_1000(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    runtime = await client_for(Role.RUNTIME)
    persona = await remembering_persona(api)
    other_space = await remembering_persona(api, name="Support")
    await recorded(runtime, persona, contactId="+15550100")
    conversations = database["conversations"]
    (shape,) = await conversations.find({}).to_list()
    ended = shape["ended_at"]
    # 999 older copies: 1,000 for the contact, the oldest ended 999 minutes before the first.
    copies = [
        {**shape, "_id": ObjectId(), "ended_at": ended - timedelta(minutes=i)}
        for i in range(1, 1000)
    ]
    await conversations.insert_many(copies)
    oldest = copies[-1]["_id"]
    await recorded(runtime, persona, contactId="+15550111")
    await recorded(runtime, other_space, contactId="+15550100")
    kept = {row["_id"] for row in await conversations.find({}, {"_id": 1}).to_list()}

    newest = await recorded(runtime, persona, contactId="+15550100")

    after = {row["_id"] for row in await conversations.find({}, {"_id": 1}).to_list()}
    assert await conversations.count_documents({"contact": shape["contact"]}) == 1001
    assert await conversations.count_documents({"space": shape["space"]}) == 1001
    assert (
        await conversations.count_documents({"space": shape["space"], "contact": shape["contact"]})
        == 1000
    )
    assert len(after) == len(kept) == 1002
    assert kept - after == {oldest}
    assert len(after - kept) == 1
    assert newest["id"]


# ---- who may record --------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.RUNTIME, Role.ADMIN])
async def test_runtime_and_admin_keys_record(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase, role: Role
) -> None:
    persona = await remembering_persona(api)

    await recorded(await client_for(role), persona, facts={"first_name": "Dana"})

    assert await database["conversations"].count_documents({}) == 1
    assert await stored_facts(database) == {"first_name": "Dana"}


@pytest.mark.parametrize("role", [Role.VIEWER, Role.EDITOR, Role.PUBLISHER])
async def test_other_roles_are_forbidden_and_store_nothing(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase, role: Role
) -> None:
    persona = await remembering_persona(api)

    payload = await record(await client_for(role), persona, facts={"first_name": "Dana"})

    assert payload["conversation"] is None
    assert errors_of(payload) == [("FORBIDDEN", None)]
    await nothing_stored(database)
