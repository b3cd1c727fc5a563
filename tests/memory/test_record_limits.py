"""recordConversation's limits: each refused with a userErrors entry (code and field path),
storing nothing, in messages that never quote the contact id, summary, fact keys or values."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest

from app.access.principal import Role
from app.platform.clock import utcnow
from app.platform.database import MongoDatabase
from tests.conftest import ClientFactory
from tests.personas.drafting import unknown_persona_id
from tests.support.client import GraphQLClient, errors_of
from tests.support.memory import record, recorded, remembering_persona
from tests.support.recording import (
    iso,
    memory_stored,
    nothing_stored,
    parse,
    stored_facts,
)

CONTACT = "contact-4471-private"
SUMMARY = "Summary-private: wants the premium plan"
Fields = Callable[[dict[str, Any]], dict[str, Any]]


def given(**fields: Any) -> Fields:
    return lambda persona: fields


def published_minus(delta: timedelta) -> Fields:
    def fields(persona: dict[str, Any]) -> dict[str, Any]:
        return {"endedAt": iso(parse(persona["production"]["publishedAt"]) - delta)}

    return fields


def many(count: int, prefix: str = "key") -> dict[str, Any]:
    return {f"{prefix}_{i}": i for i in range(count)}


REFUSED: dict[str, tuple[Fields, str, list[str]]] = {
    "empty contactId": (given(contactId=""), "INVALID", ["contactId"]),
    "contactId of 257": (given(contactId="c" * 257), "INVALID", ["contactId"]),
    "blank summary": (given(summary=" \n\t "), "INVALID", ["summary"]),
    "summary of 4001": (given(summary="s" * 4001), "INVALID", ["summary"]),
    "facts a string": (given(facts="favourite_colour=teal"), "INVALID", ["facts"]),
    "facts a list": (given(facts=[{"favourite_colour": "teal"}]), "INVALID", ["facts"]),
    "key with capitals": (given(facts={"Favourite_colour": "teal"}), "INVALID", ["facts"]),
    "key with a hyphen": (given(facts={"favourite-colour": "teal"}), "INVALID", ["facts"]),
    "key from a digit": (given(facts={"9lives": "teal"}), "INVALID", ["facts"]),
    "key of 65": (given(facts={"k" * 65: "teal"}), "INVALID", ["facts"]),
    "key with a dollar": (given(facts={"$set": "teal"}), "INVALID", ["facts"]),
    "101 keys": (given(facts=many(101)), "INVALID", ["facts"]),
    "object value": (
        given(facts={"favourite": {"colour": "teal"}}),
        "INVALID",
        ["facts", "favourite"],
    ),
    "list value": (given(facts={"favourite": ["teal"]}), "INVALID", ["facts", "favourite"]),
    "text of 1001": (given(facts={"favourite": "t" * 1001}), "INVALID", ["facts", "favourite"]),
    "int beyond 64 bits": (given(facts={"favourite": 2**64}), "INVALID", ["facts", "favourite"]),
    "empty idempotencyKey": (given(idempotencyKey=""), "INVALID", ["idempotencyKey"]),
    "idempotencyKey of 129": (given(idempotencyKey="i" * 129), "INVALID", ["idempotencyKey"]),
    "resolutionId of 201": (given(resolutionId="r" * 201), "INVALID", ["resolutionId"]),
    "endedAt in the future": (
        lambda persona: {"endedAt": iso(utcnow() + timedelta(minutes=5))},
        "INVALID",
        ["endedAt"],
    ),
    "endedAt before publishing": (published_minus(timedelta(seconds=1)), "INVALID", ["endedAt"]),
    "unknown version": (given(version=99), "NOT_FOUND", ["version"]),
    "version 0": (given(version=0), "NOT_FOUND", ["version"]),
    "unknown persona": (given(personaId=unknown_persona_id()), "NOT_FOUND", ["personaId"]),
    "garbage persona id": (given(personaId="not-an-id"), "NOT_FOUND", ["personaId"]),
}


def private_texts(fields: dict[str, Any]) -> list[str]:
    """What a message must never quote: the contact id, summary, fact keys and text values
    (long ones by their first 12 characters, which no message spells)."""
    texts = [fields["contactId"], fields["summary"]]
    facts = fields.get("facts")
    if isinstance(facts, dict):
        texts += list(facts)
        texts += [value for value in facts.values() if isinstance(value, str)]
    return [text[:12] for text in texts if len(text) >= 4]


def assert_private(payload: dict[str, Any], fields: dict[str, Any]) -> None:
    for error in payload["userErrors"]:
        for text in private_texts(fields):
            assert text not in error["message"], (text, error["message"])


@pytest.mark.parametrize("case", REFUSED)
async def test_a_record_beyond_a_limit_is_refused_and_stores_nothing(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase, case: str
) -> None:
    runtime = await client_for(Role.RUNTIME)
    persona = await remembering_persona(api)
    make, code, field = REFUSED[case]
    fields = {"contactId": CONTACT, "summary": SUMMARY, **make(persona)}

    payload = await record(runtime, persona, **fields)

    assert payload["conversation"] is None
    assert errors_of(payload) == [(code, field)]
    assert_private(payload, fields)
    await nothing_stored(database)


ACCEPTED: dict[str, Fields] = {
    "contactId of 256": given(contactId="c" * 256),
    "contactId of 1": given(contactId="c"),
    "summary of 4000": given(summary="s" * 4000),
    "100 keys": given(facts=many(100)),
    "key of 64": given(facts={"k" * 64: 1}),
    "text of 1000": given(facts={"favourite": "t" * 1000}),
    "the largest int": given(facts={"favourite": 2**63 - 1}),
    "idempotencyKey of 128": given(idempotencyKey="i" * 128),
    "resolutionId of 200": given(resolutionId="r" * 200),
    "endedAt within the clock skew": lambda p: {"endedAt": iso(utcnow() + timedelta(seconds=20))},
    "endedAt at publishing": published_minus(timedelta(0)),
}


@pytest.mark.parametrize("case", ACCEPTED)
async def test_a_record_at_a_limit_is_stored(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase, case: str
) -> None:
    runtime = await client_for(Role.RUNTIME)
    persona = await remembering_persona(api)

    conversation = await recorded(runtime, persona, **ACCEPTED[case](persona))

    assert conversation["id"]
    assert await database["conversations"].count_documents({}) == 1


async def test_a_persona_of_another_workspace_is_not_found_as_an_unknown_one(
    client_for: ClientFactory, database: MongoDatabase
) -> None:
    theirs = await remembering_persona(await client_for(Role.ADMIN, "globex"))
    runtime = await client_for(Role.RUNTIME)
    unknown = {**theirs, "id": unknown_persona_id()}

    other = await record(runtime, theirs, contactId=CONTACT)
    missing = await record(runtime, unknown, contactId=CONTACT)

    assert errors_of(other) == [("NOT_FOUND", ["personaId"])]
    assert other == missing
    await nothing_stored(database)


# ---- the facts a contact may keep ------------------------------------------------------


async def test_a_merge_beyond_100_keys_changes_nothing(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    runtime = await client_for(Role.RUNTIME)
    persona = await remembering_persona(api)
    await recorded(runtime, persona, contactId=CONTACT, facts=many(60, "old"))
    before = await memory_stored(database)

    facts = many(41, "new")
    payload = await record(runtime, persona, contactId=CONTACT, summary=SUMMARY, facts=facts)

    assert payload["conversation"] is None
    assert errors_of(payload) == [("INVALID", ["facts"])]
    assert_private(payload, {"contactId": CONTACT, "summary": SUMMARY, "facts": facts})
    assert await memory_stored(database) == before


async def test_null_values_make_room_and_known_keys_count_once(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    runtime = await client_for(Role.RUNTIME)
    persona = await remembering_persona(api)
    await recorded(runtime, persona, facts=many(60, "old"))

    # 60 - 1 deleted + 41 new: exactly 100.
    await recorded(runtime, persona, facts={**many(41, "new"), "old_0": None})
    # Changing a key the contact has adds none.
    await recorded(runtime, persona, facts={"old_1": "changed", "new_0": None, "new_x": 1})

    facts = await stored_facts(database)
    expected = {**many(60, "old"), **many(41, "new"), "old_1": "changed", "new_x": 1}
    del expected["old_0"], expected["new_0"]
    assert facts == expected
    assert len(facts) == 100
    full = await record(runtime, persona, facts={"one_more": True})
    assert errors_of(full) == [("INVALID", ["facts"])]
    assert await stored_facts(database) == facts
    assert await database["conversations"].count_documents({}) == 3


async def test_the_key_limit_is_per_contact(
    api: GraphQLClient, client_for: ClientFactory, database: MongoDatabase
) -> None:
    runtime = await client_for(Role.RUNTIME)
    persona = await remembering_persona(api)
    await recorded(runtime, persona, contactId="first", facts=many(100))

    await recorded(runtime, persona, contactId="second", facts=many(100))

    assert await database["contacts"].count_documents({}) == 2
