"""publishPersona over GraphQL: what a publish makes, and publishes that race."""

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.platform.database import MongoDatabase
from tests.release.publishing import (
    create,
    publishable,
    read,
    update,
)
from tests.support.client import (
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
