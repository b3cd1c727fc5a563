"""publishPersona refusals over GraphQL: codes, field paths, nothing stored."""

from typing import Any

import pytest

from app.platform.database import MongoDatabase
from tests.release.publishing import (
    FIRST_MESSAGE_PATH,
    create,
    publishable,
    read,
    update,
)
from tests.support.client import (
    REMOVE_VOICE,
    SET_VOICE,
    GraphQLClient,
    chat_input,
    errors_of,
    mutate,
    publish,
    stored,
    versions_of,
    voice_input,
)

# ---- refusals ----------------------------------------------------------------


async def test_nothing_to_publish_right_after_publishing(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await create(api, **publishable())
    published = await publish(api, persona)
    assert published["userErrors"] == []
    before = await stored(database)

    payload = await publish(api, persona, note="again")

    assert payload["persona"] is None
    assert payload["version"] is None
    assert errors_of(payload) == [("NOTHING_TO_PUBLISH", ["personaId"])]
    assert await stored(database) == before
    assert await read(api, persona["id"]) == published["persona"]


async def test_stale_revision_is_refused(api: GraphQLClient, database: MongoDatabase) -> None:
    persona = await create(api, **publishable())
    edited = await update(api, persona, name="Edited")
    before = await stored(database)

    payload = await publish(api, persona, revision=1)

    assert payload["persona"] is None
    assert payload["version"] is None
    assert errors_of(payload) == [("REVISION_MISMATCH", ["expectedRevision"])]
    assert await stored(database) == before
    assert await read(api, persona["id"]) == edited
    assert await database["persona_versions"].count_documents({}) == 0


async def test_future_revision_is_refused(api: GraphQLClient, database: MongoDatabase) -> None:
    persona = await create(api, **publishable())

    payload = await publish(api, persona, revision=2)

    assert errors_of(payload) == [("REVISION_MISMATCH", ["expectedRevision"])]
    assert await database["persona_versions"].count_documents({}) == 0


async def test_stale_revision_after_a_publish_is_refused(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await create(api, **publishable())
    assert (await publish(api, persona))["userErrors"] == []
    edited = await update(api, persona, name="Edited")
    before = await stored(database)

    payload = await publish(api, persona, revision=1)

    assert errors_of(payload) == [("REVISION_MISMATCH", ["expectedRevision"])]
    assert await stored(database) == before
    assert (await read(api, persona["id"]))["status"] == "CHANGED"
    republished = await publish(api, edited)
    assert republished["userErrors"] == []
    assert republished["version"]["version"] == 2


NOT_PUBLISHABLE = [
    pytest.param({}, [["draft"]], id="no-voice-no-chat"),
    pytest.param({"memory": True}, [["draft"]], id="name-and-memory-only"),
    pytest.param(
        {"voiceConfigurations": [{**voice_input(), "firstMessage": None}]},
        [FIRST_MESSAGE_PATH],
        id="agent-first-message-null",
    ),
    pytest.param(
        {"voiceConfigurations": [{k: v for k, v in voice_input().items() if k != "firstMessage"}]},
        [FIRST_MESSAGE_PATH],
        id="agent-first-message-missing",
    ),
    pytest.param(
        {"voiceConfigurations": [voice_input(firstMessage="")]},
        [FIRST_MESSAGE_PATH],
        id="agent-first-message-empty",
    ),
    pytest.param(
        {"voiceConfigurations": [voice_input(firstMessage="   \n")]},
        [FIRST_MESSAGE_PATH],
        id="agent-first-message-blank",
    ),
    pytest.param(
        {
            "voiceConfigurations": [voice_input(firstMessage=None, firstSpeaker="AGENT")],
            "chatConfiguration": chat_input(),
        },
        [FIRST_MESSAGE_PATH],
        id="agent-first-message-with-chat",
    ),
    pytest.param(
        {"chatConfiguration": chat_input(forwardToVoice=True)},
        [["draft", "chatConfiguration", "forwardToVoice"]],
        id="forward-to-voice-without-voice",
    ),
    pytest.param(
        {
            "voiceConfigurations": [
                voice_input(firstMessage=None),
                voice_input(locale="en-GB", voiceKey="olivia-en-gb-f", firstMessage=""),
                voice_input(locale="ar-AE", voiceKey="omar-ar-ae-m", firstSpeaker="USER"),
                voice_input(locale="es-ES", voiceKey="lucia-es-es-f", firstMessage=" "),
            ]
        },
        [
            FIRST_MESSAGE_PATH,
            ["draft", "voiceConfigurations", "en-GB", "firstMessage"],
            ["draft", "voiceConfigurations", "es-ES", "firstMessage"],
        ],
        id="several-locales-without-first-message",
    ),
]


@pytest.mark.parametrize(("input", "paths"), NOT_PUBLISHABLE)
async def test_not_publishable(
    api: GraphQLClient, database: MongoDatabase, input: dict[str, Any], paths: list[list[str]]
) -> None:
    persona = await create(api, **input)
    before = await stored(database)

    payload = await publish(api, persona, note="try")

    assert payload["persona"] is None
    assert payload["version"] is None
    assert sorted(errors_of(payload)) == sorted(("NOT_PUBLISHABLE", path) for path in paths)
    assert all(error["message"] for error in payload["userErrors"])
    assert await stored(database) == before
    assert await database["persona_versions"].count_documents({}) == 0
    current = await read(api, persona["id"])
    assert current == persona
    assert current["status"] == "DRAFT"
    assert current["production"] is None


async def test_not_publishable_after_a_publish_keeps_production(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await create(api, voiceConfigurations=[voice_input()])
    first = await publish(api, persona)
    assert first["userErrors"] == []
    emptied = await mutate(
        api, REMOVE_VOICE, personaId=persona["id"], expectedRevision=1, locale="en-US"
    )
    assert emptied["userErrors"] == []
    before = await stored(database)

    payload = await publish(api, emptied["persona"])

    assert errors_of(payload) == [("NOT_PUBLISHABLE", ["draft"])]
    assert await stored(database) == before
    current = await read(api, persona["id"])
    assert current["status"] == "CHANGED"
    assert current["production"] == first["version"]
    assert await versions_of(database, persona["id"]) == [1]


async def test_fixing_the_draft_makes_it_publishable(api: GraphQLClient) -> None:
    persona = await create(api, voiceConfigurations=[voice_input(firstMessage=None)])
    assert errors_of(await publish(api, persona)) == [("NOT_PUBLISHABLE", FIRST_MESSAGE_PATH)]

    fixed = await mutate(
        api,
        SET_VOICE,
        personaId=persona["id"],
        expectedRevision=1,
        configuration=voice_input(firstMessage="Hi there"),
    )
    assert fixed["userErrors"] == []

    payload = await publish(api, fixed["persona"])
    assert payload["userErrors"] == []
    assert payload["version"]["version"] == 1
    assert payload["version"]["snapshot"]["voiceConfigurations"][0]["firstMessage"] == "Hi there"


@pytest.mark.parametrize("length", [1001, 5000])
async def test_note_too_long_is_invalid(
    api: GraphQLClient, database: MongoDatabase, length: int
) -> None:
    persona = await create(api, **publishable())
    before = await stored(database)

    payload = await publish(api, persona, note="n" * length)

    assert payload["persona"] is None
    assert payload["version"] is None
    assert errors_of(payload) == [("INVALID", ["note"])]
    assert await stored(database) == before
    assert (await read(api, persona["id"]))["status"] == "DRAFT"
