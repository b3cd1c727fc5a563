"""deletePersona, ids that name no persona, revisions and races, malformed requests."""

import asyncio
from typing import Any

import pytest

from app.platform.database import MongoDatabase
from tests.personas.drafting import (
    GARBAGE_IDS,
    assert_refused,
    locales,
    read,
    set_chat,
    set_voice,
    update,
)
from tests.support.client import (
    CREATE,
    DELETE,
    PUBLISH,
    REMOVE_VOICE,
    SET_CHAT,
    SET_VOICE,
    UPDATE,
    GraphQLClient,
    chat_input,
    errors_of,
    mutate,
    object_id,
    stored,
    voice_input,
)

# ---- deletePersona -----------------------------------------------------------


async def test_delete_removes_the_persona_and_its_versions(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await api.create_persona(voiceConfigurations=[voice_input()])
    keep = await api.create_persona(name="Keep", chatConfiguration=chat_input())
    first = await mutate(api, PUBLISH, personaId=persona["id"], expectedRevision=1)
    assert first["userErrors"] == []
    assert (await update(api, persona, name="Sales 2"))["persona"]["revision"] == 2
    second = await mutate(api, PUBLISH, personaId=persona["id"], expectedRevision=2)
    assert second["userErrors"] == []
    assert second["version"]["version"] == 2
    assert (await mutate(api, PUBLISH, personaId=keep["id"], expectedRevision=1))[
        "userErrors"
    ] == []
    oid = object_id(persona["id"])
    assert await database["persona_versions"].count_documents({"persona_id": oid}) == 2

    payload = await mutate(api, DELETE, id=persona["id"])

    assert payload == {"deletedId": persona["id"], "userErrors": []}
    assert await read(api, persona["id"]) is None
    assert await database["personas"].count_documents({"_id": oid}) == 0
    assert await database["persona_versions"].count_documents({"persona_id": oid}) == 0
    # The other persona and its history are untouched.
    assert await database["personas"].count_documents({}) == 1
    assert await database["persona_versions"].count_documents({}) == 1
    kept = await read(api, keep["id"])
    assert kept is not None
    assert kept["status"] == "PUBLISHED"


async def test_delete_a_draft_that_was_never_published(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await api.create_persona()

    payload = await mutate(api, DELETE, id=persona["id"])

    assert payload == {"deletedId": persona["id"], "userErrors": []}
    assert await database["personas"].count_documents({}) == 0


async def test_delete_twice_is_not_found(api: GraphQLClient, database: MongoDatabase) -> None:
    persona = await api.create_persona()
    assert (await mutate(api, DELETE, id=persona["id"]))["userErrors"] == []

    payload = await mutate(api, DELETE, id=persona["id"])

    assert payload["deletedId"] is None
    assert errors_of(payload) == [("NOT_FOUND", ["id"])]


# ---- unknown, malformed and garbage persona ids ------------------------------


def id_requests(persona_id: str) -> list[tuple[str, dict[str, Any], str]]:
    """(mutation, input, field of the id) for every mutation that names a persona."""
    return [
        (UPDATE, {"id": persona_id, "expectedRevision": 1, "name": "X"}, "id"),
        (
            SET_VOICE,
            {"personaId": persona_id, "expectedRevision": 1, "configuration": voice_input()},
            "personaId",
        ),
        (
            REMOVE_VOICE,
            {"personaId": persona_id, "expectedRevision": 1, "locale": "en-US"},
            "personaId",
        ),
        (
            SET_CHAT,
            {"personaId": persona_id, "expectedRevision": 1, "configuration": chat_input()},
            "personaId",
        ),
        (
            SET_CHAT,
            {"personaId": persona_id, "expectedRevision": 1, "configuration": None},
            "personaId",
        ),
        (PUBLISH, {"personaId": persona_id, "expectedRevision": 1}, "personaId"),
        (DELETE, {"id": persona_id}, "id"),
    ]


@pytest.mark.parametrize("persona_id", GARBAGE_IDS)
async def test_unknown_or_garbage_ids_are_not_found(
    api: GraphQLClient, database: MongoDatabase, persona_id: str
) -> None:
    existing = await api.create_persona(voiceConfigurations=[voice_input()])
    before = await stored(database)

    for mutation, input, field in id_requests(persona_id):
        payload = await mutate(api, mutation, **input)
        assert errors_of(payload) == [("NOT_FOUND", [field])], (mutation, payload)
        assert payload.get("persona") is None
        assert payload.get("deletedId") is None

    await assert_refused(api, database, existing, before)


# ---- revisions ---------------------------------------------------------------


async def test_stale_expected_revision_is_refused_everywhere(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await api.create_persona(voiceConfigurations=[voice_input()])
    current = (await update(api, persona, name="Renamed"))["persona"]
    assert current["revision"] == 2
    before = await stored(database)

    for revision in (1, 3, 0, -1):
        stale: list[tuple[str, dict[str, Any]]] = [
            (UPDATE, {"id": persona["id"], "expectedRevision": revision, "name": "Other"}),
            (UPDATE, {"id": persona["id"], "expectedRevision": revision, "memory": True}),
            (
                SET_VOICE,
                {
                    "personaId": persona["id"],
                    "expectedRevision": revision,
                    "configuration": voice_input(locale="en-GB"),
                },
            ),
            (
                REMOVE_VOICE,
                {"personaId": persona["id"], "expectedRevision": revision, "locale": "en-US"},
            ),
            (
                SET_CHAT,
                {
                    "personaId": persona["id"],
                    "expectedRevision": revision,
                    "configuration": chat_input(),
                },
            ),
            (PUBLISH, {"personaId": persona["id"], "expectedRevision": revision}),
        ]
        for mutation, input in stale:
            payload = await mutate(api, mutation, **input)
            assert errors_of(payload) == [("REVISION_MISMATCH", ["expectedRevision"])], (
                revision,
                mutation,
                payload,
            )
            assert payload["persona"] is None

    await assert_refused(api, database, current, before)


async def test_concurrent_renames_one_wins(api: GraphQLClient, database: MongoDatabase) -> None:
    for _ in range(5):
        persona = await api.create_persona(voiceConfigurations=[voice_input()])

        first, second = await asyncio.gather(
            update(api, persona, name="Alpha"), update(api, persona, name="Beta")
        )

        winners = [p for p in (first, second) if not p["userErrors"]]
        losers = [p for p in (first, second) if p["userErrors"]]
        assert len(winners) == 1, (first, second)
        assert len(losers) == 1, (first, second)
        assert errors_of(losers[0]) == [("REVISION_MISMATCH", ["expectedRevision"])]
        assert losers[0]["persona"] is None
        winner = winners[0]["persona"]
        assert winner["revision"] == 2
        assert winner["draft"]["name"] in {"Alpha", "Beta"}
        assert await read(api, persona["id"]) == winner
        doc = await database["personas"].find_one({"_id": object_id(persona["id"])})
        assert doc is not None
        assert doc["revision"] == 2


async def test_concurrent_voice_set_and_rename_one_wins(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    for _ in range(5):
        persona = await api.create_persona(voiceConfigurations=[voice_input()])

        voice, rename = await asyncio.gather(
            set_voice(api, persona, locale="en-GB", voiceKey="olivia-en-gb-f"),
            update(api, persona, name="Renamed"),
        )

        assert [bool(voice["userErrors"]), bool(rename["userErrors"])].count(False) == 1, (
            voice,
            rename,
        )
        loser, winner = (voice, rename) if voice["userErrors"] else (rename, voice)
        assert errors_of(loser) == [("REVISION_MISMATCH", ["expectedRevision"])]
        current = await read(api, persona["id"])
        assert current == winner["persona"]
        assert current is not None
        assert current["revision"] == 2
        if winner is rename:
            assert current["draft"] == {**persona["draft"], "name": "Renamed"}
        else:
            assert current["draft"]["name"] == "Sales"
            assert locales(current) == ["en-US", "en-GB"]
        assert await database["personas"].count_documents({}) == 1
        assert (await mutate(api, DELETE, id=persona["id"]))["userErrors"] == []


async def test_many_concurrent_edits_on_one_revision_apply_exactly_one(
    api: GraphQLClient,
) -> None:
    persona = await api.create_persona()

    payloads = await asyncio.gather(
        *(update(api, persona, name=f"Name {n}") for n in range(8)),
        set_voice(api, persona),
        set_chat(api, persona, chat_input()),
        update(api, persona, memory=True),
    )

    winners = [p for p in payloads if not p["userErrors"]]
    assert len(winners) == 1, payloads
    for loser in (p for p in payloads if p["userErrors"]):
        assert errors_of(loser) == [("REVISION_MISMATCH", ["expectedRevision"])]
    current = await read(api, persona["id"])
    assert current == winners[0]["persona"]
    assert current is not None
    assert current["revision"] == 2


# ---- malformed requests ------------------------------------------------------


MALFORMED = [
    pytest.param(
        UPDATE, {"input": {"id": "x", "expectedRevision": "one"}}, id="revision-as-string"
    ),
    pytest.param(UPDATE, {"input": {"id": "x", "expectedRevision": 1.5}}, id="revision-as-float"),
    pytest.param(UPDATE, {"input": {"id": "x", "expectedRevision": 2**31}}, id="revision-overflow"),
    pytest.param(UPDATE, {"input": {"id": "x"}}, id="revision-missing"),
    pytest.param(
        UPDATE, {"input": {"id": "x", "expectedRevision": 1, "memory": "yes"}}, id="memory-string"
    ),
    pytest.param(CREATE, {"input": {}}, id="create-without-name"),
    pytest.param(CREATE, {"input": {"name": None}}, id="create-null-name"),
    pytest.param(CREATE, {"input": {"name": 42}}, id="create-name-number"),
    pytest.param(CREATE, {}, id="create-without-input"),
    pytest.param(CREATE, {"input": {"name": "A", "colour": "red"}}, id="create-unknown-field"),
    pytest.param(
        CREATE,
        {"input": {"name": "A", "voiceConfigurations": [{"locale": "en-US"}]}},
        id="voice-missing-fields",
    ),
    pytest.param(
        CREATE,
        {"input": {"name": "A", "voiceConfigurations": [voice_input(firstSpeaker="ROBOT")]}},
        id="unknown-enum-value",
    ),
    pytest.param(
        CREATE,
        {"input": {"name": "A", "voiceConfigurations": [voice_input(locale=5)]}},
        id="locale-number",
    ),
    pytest.param(
        CREATE,
        {"input": {"name": "A", "voiceConfigurations": [voice_input(temperature="hot")]}},
        id="temperature-string",
    ),
    pytest.param(
        CREATE,
        {"input": {"name": "A", "chatConfiguration": {"prompt": "p"}}},
        id="chat-missing-model",
    ),
    pytest.param(
        SET_VOICE,
        {"input": {"personaId": "x", "expectedRevision": 1}},
        id="set-voice-missing-configuration",
    ),
    pytest.param(
        'mutation { updatePersona(input: {id: 1, expectedRevision: "1"}) { userErrors { code } } }',
        {},
        id="inline-wrong-literal",
    ),
    pytest.param(
        'mutation { createPersona(input: {name: "A"}) { persona { nope } } }',
        {},
        id="unknown-selection",
    ),
    pytest.param("mutation { createPersona(input: {name: ", {}, id="syntax-error"),
]


@pytest.mark.parametrize(("query", "variables"), MALFORMED)
async def test_malformed_requests_are_graphql_errors(
    api: GraphQLClient, database: MongoDatabase, query: str, variables: dict[str, Any]
) -> None:
    response = await api.http.post("/graphql", json={"query": query, "variables": variables})

    assert response.status_code in {200, 400}, response.text
    assert "Traceback" not in response.text
    body = response.json()
    assert body.get("data") is None, body
    assert isinstance(body["errors"], list)
    assert body["errors"]
    assert all(isinstance(error["message"], str) and error["message"] for error in body["errors"])
    assert await database["personas"].count_documents({}) == 0
