"""persona, node and personas over GraphQL: lookups, pages, search and status."""

import base64
from typing import Any

import pytest
from bson import ObjectId

from tests.support.client import GraphQLClient
from tests.support.reads import (
    MALFORMED_IDS,
    MODELS,
    NODE,
    PERSONA,
    PERSONAS,
    VOICE_EN_INPUT,
    VOICES,
    global_id,
    names,
    page,
    publish,
    rename,
    voice_ids,
)

# ---- persona(id) and node(id) ---------------------------------------------------------------


async def test_persona_and_node_return_the_persona(api: GraphQLClient) -> None:
    created = await api.create_persona(name="Front Desk")
    await api.create_persona(name="Someone Else")

    found = (await api.data(PERSONA, id=created["id"]))["persona"]
    assert found == {"id": created["id"], "status": "DRAFT", "draft": {"name": "Front Desk"}}

    node = (await api.data(NODE, id=created["id"]))["node"]
    assert node == {"__typename": "Persona", "id": created["id"], "draft": {"name": "Front Desk"}}


async def test_node_returns_voices_and_language_models(api: GraphQLClient) -> None:
    voices = (await api.data(VOICES))["voices"]
    models = (await api.data(MODELS))["languageModels"]
    assert voices
    assert models
    for voice in voices:
        node = (await api.data(NODE, id=voice["id"]))["node"]
        assert node == {
            "__typename": "Voice",
            "id": voice["id"],
            "key": voice["key"],
            "locales": voice["locales"],
        }
    for model in models:
        node = (await api.data(NODE, id=model["id"]))["node"]
        assert node == {
            "__typename": "LanguageModel",
            "id": model["id"],
            "key": model["key"],
            "channels": model["channels"],
        }


@pytest.mark.parametrize("bad_id", MALFORMED_IDS)
async def test_malformed_ids_read_as_null(api: GraphQLClient, bad_id: str) -> None:
    await api.create_persona(name="Present")
    assert await api.data(PERSONA, id=bad_id) == {"persona": None}
    assert await api.data(NODE, id=bad_id) == {"node": None}


async def test_unknown_wellformed_ids_read_as_null(api: GraphQLClient) -> None:
    await api.create_persona(name="Present")
    unknown = global_id(f"Persona:{ObjectId()}")
    assert await api.data(PERSONA, id=unknown) == {"persona": None}
    assert await api.data(NODE, id=unknown) == {"node": None}
    for kind in ("Voice", "LanguageModel", "Spaceship"):
        assert await api.data(NODE, id=global_id(f"{kind}:no-such-key")) == {"node": None}


async def test_persona_with_a_voice_id_is_null(api: GraphQLClient) -> None:
    await api.create_persona(name="Present")
    voice_id = (await voice_ids(api))["sara-en-us-f"]
    assert await api.data(PERSONA, id=voice_id) == {"persona": None}


async def test_persona_id_with_another_kind_is_null(api: GraphQLClient) -> None:
    # The object id of a real persona, labelled as another kind, does not find it.
    created = await api.create_persona(name="Present")
    key = base64.urlsafe_b64decode(created["id"] + "=" * (-len(created["id"]) % 4)).decode()
    kind, _, object_id = key.partition(":")
    assert kind == "Persona"
    relabelled = global_id(f"Voice:{object_id}")
    assert await api.data(PERSONA, id=relabelled) == {"persona": None}
    assert await api.data(NODE, id=relabelled) == {"node": None}


# ---- personas ---------------------------------------------------------------------------------


async def test_personas_are_newest_first(api: GraphQLClient) -> None:
    for name in ("First", "Second", "Third"):
        await api.create_persona(name=name)
    connection = await page(api)
    assert names(connection) == ["Third", "Second", "First"]
    assert connection["totalCount"] == 3
    assert connection["pageInfo"]["hasNextPage"] is False
    assert connection["pageInfo"]["hasPreviousPage"] is False


async def test_personas_page_through_every_persona_once(api: GraphQLClient) -> None:
    created = [await api.create_persona(name=f"Persona {i}") for i in range(7)]
    newest_first = [p["id"] for p in reversed(created)]

    seen: list[str] = []
    after: str | None = None
    pages: list[dict[str, Any]] = []
    for _ in range(3):
        connection = await page(api, first=3, after=after)
        pages.append(connection)
        edges = connection["edges"]
        seen += [edge["node"]["id"] for edge in edges]
        info = connection["pageInfo"]
        assert info["startCursor"] == edges[0]["cursor"]
        assert info["endCursor"] == edges[-1]["cursor"]
        after = info["endCursor"]

    assert [len(p["edges"]) for p in pages] == [3, 3, 1]
    assert seen == newest_first
    assert [p["pageInfo"]["hasNextPage"] for p in pages] == [True, True, False]
    assert [p["pageInfo"]["hasPreviousPage"] for p in pages] == [False, True, True]
    assert [p["totalCount"] for p in pages] == [7, 7, 7]


async def test_personas_first_zero_returns_only_the_count(api: GraphQLClient) -> None:
    for name in ("One", "Two"):
        await api.create_persona(name=name)
    connection = await page(api, first=0)
    assert connection["edges"] == []
    assert connection["totalCount"] == 2
    assert connection["pageInfo"]["startCursor"] is None
    assert connection["pageInfo"]["endCursor"] is None


@pytest.mark.parametrize("first", [101, -1])
async def test_personas_first_out_of_range_is_an_error(api: GraphQLClient, first: int) -> None:
    await api.create_persona(name="Present")
    body = await api.execute(PERSONAS, first=first)
    assert body["data"] is None
    assert [e["message"] for e in body["errors"]] == ["first must be between 0 and 100."]


async def test_personas_first_100_is_allowed(api: GraphQLClient) -> None:
    await api.create_persona(name="Present")
    assert names(await page(api, first=100)) == ["Present"]


@pytest.mark.parametrize(
    "after",
    [
        pytest.param("garbage", id="garbage"),
        pytest.param("", id="empty"),
        pytest.param(global_id("cursor:notanobjectid"), id="cursor-not-an-objectid"),
    ],
)
async def test_personas_malformed_after_is_an_error(api: GraphQLClient, after: str) -> None:
    await api.create_persona(name="Present")
    body = await api.execute(PERSONAS, first=3, after=after)
    assert body["data"] is None
    assert len(body["errors"]) == 1
    assert "after" in body["errors"][0]["message"]


async def test_personas_after_a_persona_id_is_an_error(api: GraphQLClient) -> None:
    # A persona id is not a cursor, though both are opaque base64 strings.
    created = await api.create_persona(name="Present")
    body = await api.execute(PERSONAS, first=3, after=created["id"])
    assert body["data"] is None
    assert "after" in body["errors"][0]["message"]


async def test_personas_search_is_a_case_insensitive_substring(api: GraphQLClient) -> None:
    for name in ("Sales Bot", "Support Desk", "Fairy Tales", "Wholesale Agent"):
        await api.create_persona(name=name)
    connection = await page(api, search="ALES")
    assert names(connection) == ["Fairy Tales", "Sales Bot"]
    assert connection["totalCount"] == 2
    assert names(await page(api, search="support desk")) == ["Support Desk"]
    nothing = await page(api, search="Zebra")
    assert nothing["edges"] == []
    assert nothing["totalCount"] == 0


async def test_personas_search_treats_regex_metacharacters_literally(api: GraphQLClient) -> None:
    for name in ("axb helper", "a.b helper", "Sales (EU)", "Star*Agent"):
        await api.create_persona(name=name)
    dotted = await page(api, search="a.b")
    assert names(dotted) == ["a.b helper"]
    assert dotted["totalCount"] == 1
    assert names(await page(api, search="(EU")) == ["Sales (EU)"]
    assert names(await page(api, search="r*A")) == ["Star*Agent"]
    assert (await page(api, search=".*"))["totalCount"] == 0


async def test_personas_filter_by_status(api: GraphQLClient) -> None:
    await publish(api, await api.create_persona(name="Live", voiceConfigurations=[VOICE_EN_INPUT]))
    changed = await publish(
        api, await api.create_persona(name="Edited", voiceConfigurations=[VOICE_EN_INPUT])
    )
    changed = await rename(api, changed, "Edited again")
    assert changed["status"] == "CHANGED"
    await api.create_persona(name="Fresh", voiceConfigurations=[VOICE_EN_INPUT])

    expected = {"DRAFT": ["Fresh"], "PUBLISHED": ["Live"], "CHANGED": ["Edited again"]}
    for status, expected_names in expected.items():
        connection = await page(api, status=status)
        assert names(connection) == expected_names, status
        assert connection["totalCount"] == len(expected_names), status
        assert {edge["node"]["status"] for edge in connection["edges"]} == {status}
    assert (await page(api))["totalCount"] == 3


async def test_personas_status_filter_follows_one_persona(api: GraphQLClient) -> None:
    persona = await api.create_persona(name="Mover", voiceConfigurations=[VOICE_EN_INPUT])
    await api.create_persona(name="Bystander", voiceConfigurations=[VOICE_EN_INPUT])

    async def by_status() -> dict[str, tuple[list[str], int]]:
        found: dict[str, tuple[list[str], int]] = {}
        for status in ("DRAFT", "PUBLISHED", "CHANGED"):
            connection = await page(api, status=status)
            found[status] = (names(connection), connection["totalCount"])
        return found

    assert await by_status() == {
        "DRAFT": (["Bystander", "Mover"], 2),
        "PUBLISHED": ([], 0),
        "CHANGED": ([], 0),
    }
    persona = await publish(api, persona)
    assert await by_status() == {
        "DRAFT": (["Bystander"], 1),
        "PUBLISHED": (["Mover"], 1),
        "CHANGED": ([], 0),
    }
    persona = await rename(api, persona, "Moved")
    assert await by_status() == {
        "DRAFT": (["Bystander"], 1),
        "PUBLISHED": ([], 0),
        "CHANGED": (["Moved"], 1),
    }
    # Editing the draft back to what production holds makes it PUBLISHED again.
    await rename(api, persona, "Mover")
    assert await by_status() == {
        "DRAFT": (["Bystander"], 1),
        "PUBLISHED": (["Mover"], 1),
        "CHANGED": ([], 0),
    }


async def test_personas_status_and_search_combine(api: GraphQLClient) -> None:
    await publish(
        api, await api.create_persona(name="Sales Live", voiceConfigurations=[VOICE_EN_INPUT])
    )
    await api.create_persona(name="Sales Draft", voiceConfigurations=[VOICE_EN_INPUT])
    await api.create_persona(name="Support Draft", voiceConfigurations=[VOICE_EN_INPUT])
    published = await page(api, search="sales", status="PUBLISHED")
    assert names(published) == ["Sales Live"]
    assert published["totalCount"] == 1
    drafts = await page(api, search="draft", status="DRAFT")
    assert names(drafts) == ["Support Draft", "Sales Draft"]
    assert drafts["totalCount"] == 2
