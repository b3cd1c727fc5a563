"""rollbackPersona over GraphQL, and publish/rollback races."""

import asyncio
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from bson import ObjectId

from app.platform.database import MongoDatabase
from tests.release.history import (
    VOICE_FR,
    assert_version_node,
    change_map,
    create,
    five_versions,
    global_id,
    live,
    numbers,
    published,
    read,
    restore,
    rollback,
    set_voice,
    three_versions,
    update,
    versions_page,
)
from tests.support.client import (
    GraphQLClient,
    errors_of,
    publish,
    stored,
    versions_of,
    voice_input,
)

# ---- rollbackPersona -------------------------------------------------------------


async def test_rollback_publishes_an_old_version_as_the_next(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona, versions = await three_versions(api)
    persona = await update(api, persona, name="Work in progress")
    persona = await set_voice(api, persona, **VOICE_FR)
    draft, revision = persona["draft"], persona["revision"]
    started = datetime.now(UTC)

    payload = await rollback(api, persona["id"], 1, note="Revert the bad prompt")

    assert payload["userErrors"] == []
    version = payload["version"]
    assert_version_node(version)
    assert version["version"] == 4
    assert version["rollback"] is True
    assert version["note"] == "Revert the bad prompt"
    assert version["snapshot"] == versions[0]["snapshot"]
    assert datetime.fromisoformat(version["publishedAt"]) >= started - timedelta(seconds=1)

    after = payload["persona"]
    assert after["production"] == version
    assert after["draft"] == draft
    assert after["revision"] == revision
    assert after["status"] == "CHANGED"
    changes = change_map(after)
    assert changes["name"] == ('"Sales"', '"Work in progress"')
    assert changes["voiceConfigurations[en-US].temperature"] == ("0.7", "1.2")
    assert changes["voiceConfigurations[fr-FR]"][0] is None
    assert await read(api, persona["id"]) == after

    assert await versions_of(database, persona["id"]) == [1, 2, 3, 4]
    page = await versions_page(api, persona["id"])
    assert numbers(page) == [4, 3, 2, 1]
    assert [edge["node"]["rollback"] for edge in page["edges"]] == [True, False, False, False]
    assert page["edges"][0]["node"] == version
    # The earlier versions are untouched.
    assert [edge["node"] for edge in page["edges"][1:]] == versions[::-1]

    served = await live(api, persona["id"], "VOICE", "en-US")
    assert served["version"] == 4
    assert served["name"] == "Sales"
    assert served["voice"]["prompt"] == voice_input()["prompt"]
    assert served["voice"]["temperature"] == 0.7
    chat = await live(api, persona["id"], "CHAT")
    assert chat["version"] == 4
    assert chat["chat"]["maxTokens"] == 1024
    # The draft-only fr-FR configuration is not live.
    french = await live(api, persona["id"], "VOICE", "fr-FR")
    assert french["voice"]["locale"] == "en-US"


async def test_rollback_of_a_published_draft_leaves_it_changed(api: GraphQLClient) -> None:
    persona, versions = await three_versions(api)
    assert persona["status"] == "PUBLISHED"

    payload = await rollback(api, persona["id"], 2)

    assert payload["userErrors"] == []
    assert payload["version"]["version"] == 4
    assert payload["version"]["note"] is None
    assert payload["version"]["snapshot"] == versions[1]["snapshot"]
    after = payload["persona"]
    assert after["draft"] == persona["draft"]
    assert after["revision"] == persona["revision"]
    assert after["status"] == "CHANGED"
    assert change_map(after)["name"] == ('"Sales 2"', '"Sales 3"')

    # Publishing the draft again moves production forward past the rollback.
    republished = await published(api, after)
    assert republished["version"]["version"] == 5
    assert republished["version"]["rollback"] is False
    assert republished["persona"]["status"] == "PUBLISHED"


async def test_rollback_to_what_the_draft_holds_is_published(api: GraphQLClient) -> None:
    persona, versions = await three_versions(api)
    persona = (await restore(api, persona, 1))["persona"]
    assert persona["status"] == "CHANGED"

    payload = await rollback(api, persona["id"], 1)

    assert payload["userErrors"] == []
    after = payload["persona"]
    assert after["production"]["version"] == 4
    assert after["draft"] == versions[0]["snapshot"]
    assert after["revision"] == persona["revision"]
    assert after["status"] == "PUBLISHED"
    assert after["changes"] == []


async def test_rollback_to_what_production_runs_is_nothing_to_publish(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona, _ = await three_versions(api)
    before = await stored(database)

    payload = await rollback(api, persona["id"], 3, note="no-op")

    assert payload["persona"] is None
    assert payload["version"] is None
    assert errors_of(payload) == [("NOTHING_TO_PUBLISH", ["personaId"])]
    assert await stored(database) == before

    # Version 4 republishes version 1; version 1 and version 4 are then what production runs.
    assert (await rollback(api, persona["id"], 1))["userErrors"] == []
    before = await stored(database)
    for version in (1, 4):
        payload = await rollback(api, persona["id"], version)
        assert errors_of(payload) == [("NOTHING_TO_PUBLISH", ["personaId"])], version
    assert await stored(database) == before
    assert await versions_of(database, persona["id"]) == [1, 2, 3, 4]
    assert (await read(api, persona["id"]))["status"] == "CHANGED"


async def test_rollback_to_an_equal_content_version_is_nothing_to_publish(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = (await published(api, await create(api)))["persona"]
    persona = (await published(api, await update(api, persona, name="Other")))["persona"]
    persona = (await published(api, await update(api, persona, name="Sales")))["persona"]
    before = await stored(database)

    payload = await rollback(api, persona["id"], 1)

    assert errors_of(payload) == [("NOTHING_TO_PUBLISH", ["personaId"])]
    assert await stored(database) == before


@pytest.mark.parametrize("version", [0, 4, -1, 99])
async def test_rollback_to_an_unknown_version(
    api: GraphQLClient, database: MongoDatabase, version: int
) -> None:
    persona, _ = await three_versions(api)
    before = await stored(database)

    payload = await rollback(api, persona["id"], version)

    assert payload["persona"] is None
    assert payload["version"] is None
    assert errors_of(payload) == [("NOT_FOUND", ["version"])]
    assert await stored(database) == before


async def test_rollback_of_a_never_published_persona(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await create(api)
    before = await stored(database)

    payload = await rollback(api, persona["id"], 1)

    assert errors_of(payload) == [("NOT_FOUND", ["version"])]
    assert await stored(database) == before
    assert (await read(api, persona["id"]))["status"] == "DRAFT"


@pytest.mark.parametrize(
    "persona_id",
    [
        pytest.param(global_id("Persona", str(ObjectId())), id="unknown"),
        pytest.param("garbage", id="malformed"),
        pytest.param(global_id("Voice", "sara-en-us-f"), id="other-kind"),
    ],
)
async def test_rollback_of_an_unknown_persona(
    api: GraphQLClient, database: MongoDatabase, persona_id: str
) -> None:
    await three_versions(api)
    before = await stored(database)

    payload = await rollback(api, persona_id, 1)

    assert payload["persona"] is None
    assert payload["version"] is None
    assert errors_of(payload) == [("NOT_FOUND", ["personaId"])]
    assert await stored(database) == before


@pytest.mark.parametrize("length", [1001, 5000])
async def test_rollback_note_too_long_is_invalid(
    api: GraphQLClient, database: MongoDatabase, length: int
) -> None:
    persona, _ = await three_versions(api)
    before = await stored(database)

    payload = await rollback(api, persona["id"], 1, note="n" * length)

    assert payload["persona"] is None
    assert payload["version"] is None
    assert errors_of(payload) == [("INVALID", ["note"])]
    assert await stored(database) == before


async def test_rollback_note_of_1000_characters(api: GraphQLClient) -> None:
    persona, _ = await three_versions(api)

    payload = await rollback(api, persona["id"], 1, note="n" * 1000)

    assert payload["userErrors"] == []
    assert payload["version"]["note"] == "n" * 1000
    assert payload["persona"]["production"]["note"] == "n" * 1000


async def test_rollback_of_a_rollback(api: GraphQLClient, database: MongoDatabase) -> None:
    persona, versions = await three_versions(api)
    assert (await rollback(api, persona["id"], 1))["userErrors"] == []

    payload = await rollback(api, persona["id"], 3, note="forward again")

    assert payload["userErrors"] == []
    assert payload["version"]["version"] == 5
    assert payload["version"]["rollback"] is True
    assert payload["version"]["snapshot"] == versions[2]["snapshot"]
    after = payload["persona"]
    assert after["status"] == "PUBLISHED"
    assert after["changes"] == []
    assert await versions_of(database, persona["id"]) == [1, 2, 3, 4, 5]


# ---- concurrency -----------------------------------------------------------------


async def assert_contiguous_history(
    api: GraphQLClient, database: MongoDatabase, persona_id: str, winners: Sequence[dict[str, Any]]
) -> int:
    """Distinct winning versions, 1..N stored once each, production at N; returns N."""
    won = [payload["version"]["version"] for payload in winners]
    assert len(won) == len(set(won)), won
    stored_versions = await versions_of(database, persona_id)
    top = len(stored_versions)
    assert stored_versions == list(range(1, top + 1))
    current = await read(api, persona_id)
    assert current["production"]["version"] == top
    page = await versions_page(api, persona_id, first=100)
    by_number = {edge["node"]["version"]: edge["node"] for edge in page["edges"]}
    assert page["totalCount"] == top
    for payload in winners:
        assert by_number[payload["version"]["version"]] == payload["version"]
    assert by_number[top] == current["production"]
    expected = "PUBLISHED" if current["production"]["snapshot"] == current["draft"] else "CHANGED"
    assert current["status"] == expected
    assert (current["changes"] == []) == (expected == "PUBLISHED")
    return top


async def test_concurrent_rollback_and_publish_get_distinct_versions(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = (await published(api, await create(api)))["persona"]
    persona = (await published(api, await update(api, persona, name="Sales 2")))["persona"]
    top = 2

    for round_ in range(5):
        persona = await update(api, persona, name=f"Round {round_}")
        revision = persona["revision"]
        target = 1 if round_ % 2 == 0 else 2

        payloads = await asyncio.gather(
            rollback(api, persona["id"], target, note=f"rollback {round_}"),
            publish(api, persona, note=f"publish {round_}"),
        )

        rolled, pub = payloads
        assert rolled["userErrors"] == [], rolled
        assert pub["userErrors"] == [], pub
        assert rolled["version"]["rollback"] is True
        assert pub["version"]["rollback"] is False
        assert pub["version"]["snapshot"]["name"] == f"Round {round_}"
        assert rolled["version"]["snapshot"]["name"] == ("Sales" if target == 1 else "Sales 2")
        assert {rolled["version"]["version"], pub["version"]["version"]} == {top + 1, top + 2}
        top = await assert_contiguous_history(api, database, persona["id"], payloads)
        assert top == 2 + 2 * (round_ + 1)
        persona = await read(api, persona["id"])
        assert persona["revision"] == revision
        assert persona["draft"]["name"] == f"Round {round_}"


async def test_concurrent_rollbacks_get_distinct_versions(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona, _ = await three_versions(api)

    for round_ in range(4):
        before = (await read(api, persona["id"]))["production"]["version"]
        targets = ([1, 2, 1, 2], [2, 3, 2, 3], [1, 3, 1, 3], [1, 2, 3, 1])[round_]

        payloads = await asyncio.gather(
            *(rollback(api, persona["id"], target, note=f"r{round_}") for target in targets)
        )

        winners = [p for p in payloads if not p["userErrors"]]
        assert winners, payloads
        for payload, target in zip(payloads, targets, strict=True):
            if payload["userErrors"]:
                assert payload["persona"] is None
                assert payload["version"] is None
                assert errors_of(payload) == [("NOTHING_TO_PUBLISH", ["personaId"])], payload
            else:
                assert payload["version"]["rollback"] is True
                assert payload["version"]["note"] == f"r{round_}"
                edges = (await versions_page(api, persona["id"], first=100))["edges"]
                by_number = {e["node"]["version"]: e["node"]["snapshot"] for e in edges}
                assert payload["version"]["snapshot"] == by_number[target]
        top = await assert_contiguous_history(api, database, persona["id"], winners)
        assert top == before + len(winners)
        # No two consecutive versions publish the same thing.
        page = await versions_page(api, persona["id"], first=100)
        snapshots = [edge["node"]["snapshot"] for edge in page["edges"]]
        for newer, older in pairwise(snapshots):
            assert newer != older


async def test_many_concurrent_rollbacks_to_distinct_versions_all_succeed(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await five_versions(api)
    for n in range(6, 11):
        persona = (await published(api, await update(api, persona, name=f"Sales {n}")))["persona"]
    targets = list(range(1, 10))

    # Every target differs from production and from every other target, so each rollback
    # has something to publish whatever order they land in: none may be refused.
    payloads = await asyncio.gather(*(rollback(api, persona["id"], t) for t in targets))

    assert [p["userErrors"] for p in payloads] == [[] for _ in targets], [
        p["userErrors"] for p in payloads if p["userErrors"]
    ]
    for payload, target in zip(payloads, targets, strict=True):
        assert payload["version"]["snapshot"]["name"] == f"Sales {target}"
        assert payload["version"]["rollback"] is True
    top = await assert_contiguous_history(api, database, persona["id"], payloads)
    assert top == 10 + len(targets)
