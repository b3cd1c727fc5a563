"""discardDraft and restorePersonaVersion over GraphQL, and the status they leave."""

import json

import pytest
from bson import ObjectId

from app.platform.database import MongoDatabase
from tests.release.history import (
    VOICE_FR,
    change_map,
    create,
    discard,
    global_id,
    live,
    locales,
    published,
    read,
    remove_voice,
    restore,
    set_chat,
    set_voice,
    three_versions,
    update,
)
from tests.support.client import (
    DISCARD,
    RESTORE,
    GraphQLClient,
    errors_of,
    mutate,
    publish,
    stored,
    versions_of,
    voice_input,
)

# ---- discardDraft --------------------------------------------------------------


async def test_discard_draft_makes_production_the_draft_again(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    first = await published(api, await create(api), note="one")
    persona = first["persona"]
    persona = await update(api, persona, name="Edited", memory=True)
    persona = await set_voice(api, persona, **voice_input(temperature=1.5, prompt="Changed"))
    persona = await set_voice(api, persona, **VOICE_FR)
    persona = await remove_voice(api, persona, "ar-AE")
    persona = await set_chat(api, persona, None)
    assert persona["status"] == "CHANGED"
    assert persona["revision"] == 6

    payload = await discard(api, persona)

    assert payload["userErrors"] == []
    discarded = payload["persona"]
    assert discarded["draft"] == first["version"]["snapshot"]
    assert discarded["production"] == first["version"]
    assert discarded["status"] == "PUBLISHED"
    assert discarded["changes"] == []
    assert discarded["revision"] == 7
    assert await read(api, persona["id"]) == discarded
    assert await versions_of(database, persona["id"]) == [1]
    assert errors_of(await publish(api, discarded)) == [("NOTHING_TO_PUBLISH", ["personaId"])]


async def test_discard_draft_restores_the_locale_order(api: GraphQLClient) -> None:
    first = await published(api, await create(api))
    persona = await remove_voice(api, first["persona"], "en-US")
    persona = await set_voice(api, persona, **voice_input())
    assert locales(persona["draft"]) == ["ar-AE", "en-US"]
    assert persona["status"] == "CHANGED"

    payload = await discard(api, persona)

    assert payload["userErrors"] == []
    discarded = payload["persona"]
    assert locales(discarded["draft"]) == ["en-US", "ar-AE"]
    assert discarded["draft"] == first["version"]["snapshot"]
    assert discarded["status"] == "PUBLISHED"
    assert discarded["changes"] == []
    assert discarded["revision"] == persona["revision"] + 1
    assert await read(api, persona["id"]) == discarded


async def test_discard_draft_of_a_never_published_persona(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await create(api)
    before = await stored(database)

    payload = await discard(api, persona)

    assert payload["persona"] is None
    assert errors_of(payload) == [("NOTHING_TO_PUBLISH", ["personaId"])]
    assert await stored(database) == before
    current = await read(api, persona["id"])
    assert current == persona
    assert current["status"] == "DRAFT"


@pytest.mark.parametrize("revision", [1, 3])
async def test_discard_draft_with_a_stale_revision(
    api: GraphQLClient, database: MongoDatabase, revision: int
) -> None:
    persona = (await published(api, await create(api)))["persona"]
    edited = await update(api, persona, name="Edited")
    assert edited["revision"] == 2
    before = await stored(database)

    payload = await discard(api, edited, revision=revision)

    assert payload["persona"] is None
    assert errors_of(payload) == [("REVISION_MISMATCH", ["expectedRevision"])]
    assert await stored(database) == before
    current = await read(api, persona["id"])
    assert current == edited
    assert current["status"] == "CHANGED"


@pytest.mark.parametrize(
    "persona_id",
    [
        pytest.param(global_id("Persona", str(ObjectId())), id="unknown"),
        pytest.param("garbage", id="malformed"),
    ],
)
async def test_discard_draft_of_an_unknown_persona(
    api: GraphQLClient, database: MongoDatabase, persona_id: str
) -> None:
    await published(api, await create(api))
    before = await stored(database)

    payload = await mutate(api, DISCARD, personaId=persona_id, expectedRevision=1)

    assert payload["persona"] is None
    assert errors_of(payload) == [("NOT_FOUND", ["personaId"])]
    assert await stored(database) == before


# ---- restorePersonaVersion ------------------------------------------------------


async def test_restore_makes_the_draft_that_version(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona, versions = await three_versions(api)
    persona = await update(api, persona, name="Work in progress")
    production = persona["production"]
    assert production["version"] == 3

    payload = await restore(api, persona, 1)

    assert payload["userErrors"] == []
    restored = payload["persona"]
    assert restored["draft"] == versions[0]["snapshot"]
    assert restored["production"] == production
    assert restored["status"] == "CHANGED"
    assert restored["revision"] == persona["revision"] + 1
    assert change_map(restored) == {
        "name": ('"Sales 3"', '"Sales"'),
        "voiceConfigurations[en-US].prompt": (
            '"Prompt 3"',
            json.dumps(voice_input()["prompt"]),
        ),
        "voiceConfigurations[en-US].temperature": ("1.2", "0.7"),
        "chatConfiguration.maxTokens": ("4096", "1024"),
    }
    assert await read(api, persona["id"]) == restored
    assert await versions_of(database, persona["id"]) == [1, 2, 3]
    served = await live(api, persona["id"], "VOICE", "en-US")
    assert served["version"] == 3
    assert served["name"] == "Sales 3"


async def test_restore_the_production_version_is_published(api: GraphQLClient) -> None:
    persona, versions = await three_versions(api)
    persona = await update(api, persona, name="Work in progress")
    persona = await set_voice(api, persona, **VOICE_FR)
    assert persona["status"] == "CHANGED"

    payload = await restore(api, persona, 3)

    assert payload["userErrors"] == []
    restored = payload["persona"]
    assert restored["draft"] == versions[2]["snapshot"]
    assert restored["production"] == versions[2]
    assert restored["status"] == "PUBLISHED"
    assert restored["changes"] == []
    assert restored["revision"] == persona["revision"] + 1


async def test_restore_then_publish_makes_the_next_version(api: GraphQLClient) -> None:
    persona, versions = await three_versions(api)

    restored = (await restore(api, persona, 2))["persona"]
    assert restored["status"] == "CHANGED"
    payload = await published(api, restored, note="back to two")

    assert payload["version"]["version"] == 4
    assert payload["version"]["rollback"] is False
    assert payload["version"]["snapshot"] == versions[1]["snapshot"]
    assert payload["persona"]["status"] == "PUBLISHED"
    assert payload["persona"]["changes"] == []


async def test_restore_a_version_differing_only_in_locale_order(api: GraphQLClient) -> None:
    first = await published(api, await create(api))
    persona = await remove_voice(api, first["persona"], "en-US")
    persona = await set_voice(api, persona, **voice_input())
    second = await published(api, persona)
    assert locales(second["version"]["snapshot"]) == ["ar-AE", "en-US"]
    persona = second["persona"]

    payload = await restore(api, persona, 1)

    assert payload["userErrors"] == []
    restored = payload["persona"]
    assert locales(restored["draft"]) == ["en-US", "ar-AE"]
    assert restored["draft"] == first["version"]["snapshot"]
    assert restored["status"] == "CHANGED"
    assert restored["revision"] == persona["revision"] + 1
    assert [change["path"] for change in restored["changes"]] == ["voiceConfigurations.order"]


@pytest.mark.parametrize("version", [0, 4, -1, 99])
async def test_restore_an_unknown_version(
    api: GraphQLClient, database: MongoDatabase, version: int
) -> None:
    persona, _ = await three_versions(api)
    before = await stored(database)

    payload = await restore(api, persona, version)

    assert payload["persona"] is None
    assert errors_of(payload) == [("NOT_FOUND", ["version"])]
    assert await stored(database) == before


async def test_restore_on_a_never_published_persona(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await create(api)
    before = await stored(database)

    payload = await restore(api, persona, 1)

    assert errors_of(payload) == [("NOT_FOUND", ["version"])]
    assert await stored(database) == before


async def test_restore_with_a_stale_revision(api: GraphQLClient, database: MongoDatabase) -> None:
    persona, _ = await three_versions(api)
    edited = await update(api, persona, name="Edited")
    before = await stored(database)

    payload = await restore(api, edited, 1, revision=persona["revision"])

    assert payload["persona"] is None
    assert errors_of(payload) == [("REVISION_MISMATCH", ["expectedRevision"])]
    assert await stored(database) == before
    assert await read(api, persona["id"]) == edited


async def test_restore_on_an_unknown_persona(api: GraphQLClient) -> None:
    payload = await mutate(
        api,
        RESTORE,
        personaId=global_id("Persona", str(ObjectId())),
        expectedRevision=1,
        version=1,
    )

    assert payload["persona"] is None
    assert errors_of(payload) == [("NOT_FOUND", ["personaId"])]
