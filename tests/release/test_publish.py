"""publishPersona over GraphQL: versions, status, refusals with field paths, and races."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.platform.database import MongoDatabase
from tests.support.client import (
    CREATE,
    READ,
    REMOVE_VOICE,
    SET_VOICE,
    UPDATE,
    GraphQLClient,
    chat_input,
    errors_of,
    mutate,
    object_id,
    publish,
    stored,
    versions_of,
    voice_input,
)

FIRST_MESSAGE_PATH = ["draft", "voiceConfigurations", "en-US", "firstMessage"]


# ---- helpers -----------------------------------------------------------------


async def create(api: GraphQLClient, **input: Any) -> dict[str, Any]:
    payload = await mutate(api, CREATE, **{"name": "Sales", **input})
    assert payload["userErrors"] == [], payload["userErrors"]
    persona: dict[str, Any] = payload["persona"]
    return persona


async def update(api: GraphQLClient, persona: dict[str, Any], **fields: Any) -> dict[str, Any]:
    payload = await mutate(
        api, UPDATE, id=persona["id"], expectedRevision=persona["revision"], **fields
    )
    assert payload["userErrors"] == [], payload["userErrors"]
    updated: dict[str, Any] = payload["persona"]
    return updated


async def read(api: GraphQLClient, persona_id: str) -> dict[str, Any]:
    persona: dict[str, Any] = (await api.data(READ, id=persona_id))["persona"]
    assert persona is not None
    return persona


def publishable(**input: Any) -> dict[str, Any]:
    return {"voiceConfigurations": [voice_input()], "chatConfiguration": chat_input(), **input}


# ---- success -----------------------------------------------------------------


async def test_first_publish_makes_version_1(api: GraphQLClient, database: MongoDatabase) -> None:
    persona = await create(api, **publishable())
    started = datetime.now(UTC)

    payload = await publish(api, persona, note="First release")

    assert payload["userErrors"] == []
    version = payload["version"]
    assert version["version"] == 1
    assert version["note"] == "First release"
    assert isinstance(version["publishedBy"], str)
    assert version["publishedBy"]
    published_at = datetime.fromisoformat(version["publishedAt"])
    assert published_at.utcoffset() == timedelta(0)
    assert (
        started - timedelta(seconds=1) <= published_at <= datetime.now(UTC) + timedelta(seconds=1)
    )
    assert version["snapshot"] == persona["draft"]

    published = payload["persona"]
    assert published["id"] == persona["id"]
    assert published["status"] == "PUBLISHED"
    assert published["revision"] == persona["revision"]
    assert published["draft"] == persona["draft"]
    assert published["production"] == version
    assert published["production"]["snapshot"] == published["draft"]
    assert await read(api, persona["id"]) == published

    (doc,) = await database["persona_versions"].find({}).to_list()
    assert doc["persona_id"] == object_id(persona["id"])
    assert doc["version"] == 1
    assert doc["note"] == "First release"
    assert doc["published_by"] == version["publishedBy"]
    assert doc["snapshot"]["name"] == "Sales"


async def test_publish_without_note(api: GraphQLClient, database: MongoDatabase) -> None:
    persona = await create(api, **publishable())

    payload = await publish(api, persona)

    assert payload["userErrors"] == []
    assert payload["version"]["version"] == 1
    assert payload["version"]["note"] is None
    assert payload["persona"]["production"]["note"] is None
    assert await versions_of(database, persona["id"]) == [1]


async def test_publish_note_of_1000_characters(api: GraphQLClient) -> None:
    persona = await create(api, **publishable())

    payload = await publish(api, persona, note="n" * 1000)

    assert payload["userErrors"] == []
    assert payload["version"]["note"] == "n" * 1000


async def test_edit_after_publish_is_changed_and_publishes_version_2(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await create(api, **publishable())
    first = await publish(api, persona, note="one")
    assert first["userErrors"] == []

    edited = await update(api, persona, name="Sales v2")

    assert edited["status"] == "CHANGED"
    assert edited["revision"] == 2
    assert edited["production"] == first["version"]
    assert edited["production"]["snapshot"]["name"] == "Sales"
    assert edited["draft"]["name"] == "Sales v2"

    second = await publish(api, edited, note="two")

    assert second["userErrors"] == []
    assert second["version"]["version"] == 2
    assert second["version"]["note"] == "two"
    assert second["version"]["snapshot"] == edited["draft"]
    assert second["persona"]["status"] == "PUBLISHED"
    assert second["persona"]["production"] == second["version"]
    assert second["persona"]["revision"] == 2
    assert await versions_of(database, persona["id"]) == [1, 2]
    first_doc = await database["persona_versions"].find_one({"version": 1})
    assert first_doc is not None
    assert first_doc["snapshot"]["name"] == "Sales"
    assert first_doc["note"] == "one"


async def test_reverting_an_edit_is_published_again(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await create(api, **publishable())
    assert (await publish(api, persona))["userErrors"] == []
    edited = await update(api, persona, name="Other")
    assert edited["status"] == "CHANGED"

    reverted = await update(api, edited, name="Sales")

    assert reverted["status"] == "PUBLISHED"
    assert reverted["revision"] == 3
    before = await stored(database)
    payload = await publish(api, reverted)
    assert errors_of(payload) == [("NOTHING_TO_PUBLISH", ["personaId"])]
    assert await stored(database) == before


async def test_every_persona_gets_its_own_version_history(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    sales = await create(api, **publishable())
    support = await create(api, **publishable(name="Support"))

    first = await publish(api, sales, note="sales 1")
    second = await publish(api, support, note="support 1")

    assert first["userErrors"] == []
    assert second["userErrors"] == []
    assert first["version"]["version"] == 1
    assert second["version"]["version"] == 1
    assert second["persona"]["status"] == "PUBLISHED"
    assert await versions_of(database, sales["id"]) == [1]
    assert await versions_of(database, support["id"]) == [1]
    ids = [doc["_id"] for doc in await database["persona_versions"].find({}).to_list()]
    assert len(set(ids)) == 2
    assert None not in ids


async def test_user_first_speaker_needs_no_first_message(api: GraphQLClient) -> None:
    persona = await create(
        api,
        voiceConfigurations=[
            {
                "locale": "en-US",
                "prompt": "Listen first.",
                "voiceKey": "sara-en-us-f",
                "modelKey": "gpt-4o-mini",
                "firstSpeaker": "USER",
            }
        ],
    )

    payload = await publish(api, persona)

    assert payload["userErrors"] == []
    assert payload["version"]["version"] == 1
    assert payload["version"]["snapshot"]["voiceConfigurations"][0]["firstMessage"] is None


@pytest.mark.parametrize(
    "input",
    [
        pytest.param({"chatConfiguration": chat_input()}, id="chat-only"),
        pytest.param({"voiceConfigurations": [voice_input()]}, id="voice-only"),
        pytest.param(
            publishable(chatConfiguration=chat_input(forwardToVoice=True)),
            id="forward-to-voice-with-voice",
        ),
    ],
)
async def test_publishable_drafts(api: GraphQLClient, input: dict[str, Any]) -> None:
    persona = await create(api, **input)

    payload = await publish(api, persona)

    assert payload["userErrors"] == []
    assert payload["persona"]["status"] == "PUBLISHED"


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


# ---- concurrency -------------------------------------------------------------


async def test_concurrent_publishes_write_exactly_one_version(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await create(api, **publishable())

    for expected_version in (1, 2, 3):
        payloads = await asyncio.gather(
            *(publish(api, persona, note=f"attempt {n}") for n in range(6))
        )

        winners = [p for p in payloads if not p["userErrors"]]
        assert len(winners) == 1, payloads
        version = winners[0]["version"]
        assert version["version"] == expected_version
        for loser in payloads:
            if loser is winners[0]:
                continue
            assert loser["persona"] is None
            assert loser["version"] is None
            assert len(loser["userErrors"]) == 1, loser
            code, field = errors_of(loser)[0]
            assert code in {"NOTHING_TO_PUBLISH", "REVISION_MISMATCH"}, loser
            assert field == (
                ["personaId"] if code == "NOTHING_TO_PUBLISH" else ["expectedRevision"]
            )

        assert await versions_of(database, persona["id"]) == list(range(1, expected_version + 1))
        current = await read(api, persona["id"])
        assert current["status"] == "PUBLISHED"
        assert current["production"] == version
        persona = await update(api, current, name=f"Sales {expected_version + 1}")


async def test_concurrent_publishes_of_two_personas_do_not_interfere(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    first = await create(api, **publishable())
    second = await create(api, **publishable(name="Support"))

    payloads = await asyncio.gather(
        *(publish(api, persona) for persona in (first, second, first, second))
    )

    assert sum(1 for p in payloads if not p["userErrors"]) == 2, payloads
    assert await versions_of(database, first["id"]) == [1]
    assert await versions_of(database, second["id"]) == [1]


async def test_concurrent_publish_and_edit_never_publishes_the_edit(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    for _ in range(5):
        persona = await create(api, **publishable())

        published, edited = await asyncio.gather(
            publish(api, persona),
            mutate(api, UPDATE, id=persona["id"], expectedRevision=1, name="Edited"),
        )

        assert edited["userErrors"] == []
        current = await read(api, persona["id"])
        assert current["revision"] == 2
        assert current["draft"]["name"] == "Edited"
        if published["userErrors"]:
            assert errors_of(published) == [("REVISION_MISMATCH", ["expectedRevision"])]
            assert current["production"] is None
            assert current["status"] == "DRAFT"
            assert await versions_of(database, persona["id"]) == []
        else:
            # The publish took the draft at revision 1, never the concurrent edit.
            assert published["version"]["version"] == 1
            assert published["version"]["snapshot"] == persona["draft"]
            assert current["production"] == published["version"]
            assert current["status"] == "CHANGED"
            doc = await database["persona_versions"].find_one(
                {"persona_id": object_id(persona["id"])}
            )
            assert doc is not None
            assert doc["snapshot"]["name"] == "Sales"


async def test_version_numbers_are_unique_per_persona(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await create(api, **publishable())
    for n in range(3):
        payload = await publish(api, persona)
        assert payload["userErrors"] == [], n
        assert payload["version"]["version"] == n + 1
        persona = await update(api, persona, name=f"Sales {n}")

    docs = await database["persona_versions"].find({}).to_list()
    pairs = [(doc["persona_id"], doc["version"]) for doc in docs]
    assert len(pairs) == len(set(pairs)) == 3
    assert sorted(version for _, version in pairs) == [1, 2, 3]
