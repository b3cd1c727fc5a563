"""Persona.versions and Persona.changes over GraphQL."""

import json
from datetime import datetime

import pytest
from bson import ObjectId

from tests.release.history import (
    VERSIONS,
    VOICE_AR,
    VOICE_FR,
    assert_version_node,
    change_map,
    create,
    five_versions,
    global_id,
    locales,
    numbers,
    published,
    read,
    remove_voice,
    set_chat,
    set_voice,
    succeed,
    update,
    versions_page,
)
from tests.support.client import (
    CREATE,
    GraphQLClient,
    chat_input,
    errors_of,
    publish,
    voice_input,
)

# ---- Persona.versions ----------------------------------------------------------


async def test_versions_are_newest_first_in_pages(api: GraphQLClient) -> None:
    persona = await five_versions(api)

    first = await versions_page(api, persona["id"], first=2)
    assert numbers(first) == [5, 4]
    assert first["totalCount"] == 5
    assert first["pageInfo"] == {
        "hasNextPage": True,
        "hasPreviousPage": False,
        "startCursor": first["edges"][0]["cursor"],
        "endCursor": first["edges"][1]["cursor"],
    }

    second = await versions_page(api, persona["id"], first=2, after=first["pageInfo"]["endCursor"])
    assert numbers(second) == [3, 2]
    assert second["totalCount"] == 5
    assert second["pageInfo"]["hasNextPage"] is True
    assert second["pageInfo"]["hasPreviousPage"] is True
    assert second["pageInfo"]["startCursor"] == second["edges"][0]["cursor"]
    assert second["pageInfo"]["endCursor"] == second["edges"][-1]["cursor"]

    third = await versions_page(api, persona["id"], first=2, after=second["pageInfo"]["endCursor"])
    assert numbers(third) == [1]
    assert third["totalCount"] == 5
    assert third["pageInfo"]["hasNextPage"] is False
    assert third["pageInfo"]["hasPreviousPage"] is True
    assert third["pageInfo"]["endCursor"] == third["edges"][0]["cursor"]

    edges = first["edges"] + second["edges"] + third["edges"]
    cursors = [edge["cursor"] for edge in edges]
    assert len(set(cursors)) == 5
    for edge in edges:
        node = edge["node"]
        assert_version_node(node)
        n = node["version"]
        assert node["snapshot"]["name"] == f"Sales {n}"
        assert node["note"] == f"note {n}"
        assert node["rollback"] is False
        assert locales(node["snapshot"]) == ["en-US", "ar-AE"]
    published_at = [datetime.fromisoformat(edge["node"]["publishedAt"]) for edge in edges]
    assert published_at == sorted(published_at, reverse=True)
    assert edges[0]["node"] == persona["production"]


async def test_versions_default_page_and_exact_fit(api: GraphQLClient) -> None:
    persona = await five_versions(api)

    everything = await versions_page(api, persona["id"])
    assert numbers(everything) == [5, 4, 3, 2, 1]
    assert everything["pageInfo"]["hasNextPage"] is False
    assert everything["pageInfo"]["hasPreviousPage"] is False

    exact = await versions_page(api, persona["id"], first=5)
    assert numbers(exact) == [5, 4, 3, 2, 1]
    assert exact["pageInfo"]["hasNextPage"] is False

    one_short = await versions_page(api, persona["id"], first=4)
    assert numbers(one_short) == [5, 4, 3, 2]
    assert one_short["pageInfo"]["hasNextPage"] is True

    most = await versions_page(api, persona["id"], first=100)
    assert numbers(most) == [5, 4, 3, 2, 1]

    past_the_end = await versions_page(
        api, persona["id"], first=2, after=everything["pageInfo"]["endCursor"]
    )
    assert past_the_end["edges"] == []
    assert past_the_end["totalCount"] == 5
    assert past_the_end["pageInfo"]["hasNextPage"] is False
    assert past_the_end["pageInfo"]["startCursor"] is None
    assert past_the_end["pageInfo"]["endCursor"] is None


async def test_versions_of_a_never_published_persona(api: GraphQLClient) -> None:
    persona = await create(api)

    page = await versions_page(api, persona["id"])

    assert page == {
        "totalCount": 0,
        "pageInfo": {
            "hasNextPage": False,
            "hasPreviousPage": False,
            "startCursor": None,
            "endCursor": None,
        },
        "edges": [],
    }


async def test_versions_are_per_persona(api: GraphQLClient) -> None:
    sales = await five_versions(api)
    support = await create(api, name="Support")
    await published(api, support)

    page = await versions_page(api, support["id"])

    assert numbers(page) == [1]
    assert page["totalCount"] == 1
    assert page["edges"][0]["node"]["snapshot"]["name"] == "Support"
    assert (await versions_page(api, sales["id"]))["totalCount"] == 5


@pytest.mark.parametrize(
    "after",
    [
        pytest.param("not a cursor", id="garbage"),
        pytest.param("", id="empty"),
        pytest.param(global_id("version", "two"), id="version-not-a-number"),
        pytest.param(global_id("version", "-1"), id="version-negative"),
        pytest.param(global_id("cursor", str(ObjectId())), id="persona-cursor"),
        pytest.param(global_id("Persona", str(ObjectId())), id="persona-id"),
    ],
)
async def test_malformed_versions_cursor_is_a_graphql_error(api: GraphQLClient, after: str) -> None:
    persona = await five_versions(api)

    body = await api.execute(VERSIONS, id=persona["id"], first=2, after=after)

    assert body.get("errors"), body
    assert any("after" in error["message"] for error in body["errors"]), body["errors"]
    assert body["data"] is None or body["data"]["persona"] is None


@pytest.mark.parametrize("first", [101, 1000, -1])
async def test_versions_page_size_out_of_range_is_a_graphql_error(
    api: GraphQLClient, first: int
) -> None:
    persona = await five_versions(api)

    body = await api.execute(VERSIONS, id=persona["id"], first=first)

    assert body.get("errors"), body
    assert any("first" in error["message"] for error in body["errors"]), body["errors"]
    assert body["data"] is None or body["data"]["persona"] is None


# ---- Persona.changes -----------------------------------------------------------


async def test_everything_is_a_change_before_the_first_publish(api: GraphQLClient) -> None:
    persona = await create(api)

    assert persona["status"] == "DRAFT"
    changes = change_map(persona)
    assert set(changes) == {
        "name",
        "memory",
        "voiceConfigurations[en-US]",
        "voiceConfigurations[ar-AE]",
        "chatConfiguration",
        "memoryPolicy",
    }
    assert changes["name"] == (None, '"Sales"')
    assert changes["memory"] == (None, "false")
    for locale, source in (("en-US", voice_input()), ("ar-AE", VOICE_AR)):
        before, after = changes[f"voiceConfigurations[{locale}]"]
        assert before is None
        assert after is not None
        value = json.loads(after)
        assert isinstance(value, dict)
        assert value["locale"] == locale
        assert value["prompt"] == source["prompt"]
        assert value["firstMessage"] == source["firstMessage"]
        assert value["temperature"] == 0.7
    before, after = changes["chatConfiguration"]
    assert before is None
    assert after is not None
    chat = json.loads(after)
    assert isinstance(chat, dict)
    assert chat["prompt"] == "Answer briefly."
    assert chat["maxTokens"] == 1024
    assert await read(api, persona["id"]) == persona


async def test_minimal_draft_changes_before_the_first_publish(api: GraphQLClient) -> None:
    persona = await succeed(api, CREATE, name="Bare", memory=True)

    assert change_map(persona) == {
        "name": (None, '"Bare"'),
        "memory": (None, "true"),
        "memoryPolicy": (
            None,
            '{"recallConversations": 5, "retentionDays": 365, "scope": "PERSONA"}',
        ),
    }


async def test_no_changes_right_after_publishing(api: GraphQLClient) -> None:
    persona = await create(api)

    payload = await published(api, persona)

    assert payload["persona"]["changes"] == []
    assert payload["persona"]["status"] == "PUBLISHED"
    current = await read(api, persona["id"])
    assert current["changes"] == []
    assert current["status"] == "PUBLISHED"


async def test_edits_after_publishing_are_leaf_changes(api: GraphQLClient) -> None:
    persona = (await published(api, await create(api)))["persona"]

    persona = await update(api, persona, name="New name", memory=True)
    persona = await set_voice(api, persona, **{**VOICE_AR, "prompt": "موجه جديد"})
    persona = await set_voice(api, persona, **voice_input(temperature=0.9))
    persona = await set_chat(api, persona, chat_input(maxTokens=2048))

    assert persona["status"] == "CHANGED"
    assert change_map(persona) == {
        "name": ('"Sales"', '"New name"'),
        "memory": ("false", "true"),
        "voiceConfigurations[ar-AE].prompt": (
            json.dumps(VOICE_AR["prompt"], ensure_ascii=False),
            json.dumps("موجه جديد", ensure_ascii=False),
        ),
        "voiceConfigurations[en-US].temperature": ("0.7", "0.9"),
        "chatConfiguration.maxTokens": ("1024", "2048"),
    }
    # The values are JSON text.
    for before, after in change_map(persona).values():
        assert before is not None
        assert after is not None
        json.loads(before)
        json.loads(after)
    assert await read(api, persona["id"]) == persona


async def test_change_paths_use_the_locale_not_the_position(api: GraphQLClient) -> None:
    persona = (await published(api, await create(api)))["persona"]

    persona = await set_voice(api, persona, **{**VOICE_AR, "recording": True})

    assert change_map(persona) == {"voiceConfigurations[ar-AE].recording": ("false", "true")}
    assert persona["status"] == "CHANGED"


async def test_added_voice_configuration_is_one_change(api: GraphQLClient) -> None:
    persona = (await published(api, await create(api)))["persona"]

    persona = await set_voice(api, persona, **VOICE_FR)

    assert persona["status"] == "CHANGED"
    (change,) = persona["changes"]
    assert change["path"] == "voiceConfigurations[fr-FR]"
    assert change["before"] is None
    added = json.loads(change["after"])
    assert isinstance(added, dict)
    assert added["locale"] == "fr-FR"
    assert added["prompt"] == VOICE_FR["prompt"]
    assert added["firstMessage"] == "Bonjour !"


async def test_removed_voice_configuration_is_one_change(api: GraphQLClient) -> None:
    persona = (await published(api, await create(api)))["persona"]

    persona = await remove_voice(api, persona, "ar-AE")

    assert persona["status"] == "CHANGED"
    (change,) = persona["changes"]
    assert change["path"] == "voiceConfigurations[ar-AE]"
    assert change["after"] is None
    removed = json.loads(change["before"])
    assert isinstance(removed, dict)
    assert removed["locale"] == "ar-AE"
    assert removed["prompt"] == VOICE_AR["prompt"]


async def test_removed_chat_configuration_is_one_change(api: GraphQLClient) -> None:
    persona = (await published(api, await create(api)))["persona"]

    persona = await set_chat(api, persona, None)

    assert persona["status"] == "CHANGED"
    (change,) = persona["changes"]
    assert change["path"] == "chatConfiguration"
    assert change["after"] is None
    removed = json.loads(change["before"])
    assert isinstance(removed, dict)
    assert removed["maxTokens"] == 1024


async def test_reordered_locales_are_an_order_change(api: GraphQLClient) -> None:
    persona = (await published(api, await create(api)))["persona"]

    persona = await remove_voice(api, persona, "en-US")
    persona = await set_voice(api, persona, **voice_input())

    assert locales(persona["draft"]) == ["ar-AE", "en-US"]
    assert persona["status"] == "CHANGED"
    (change,) = persona["changes"]
    assert change["path"] == "voiceConfigurations.order"
    assert json.loads(change["before"]) == ["en-US", "ar-AE"]
    assert json.loads(change["after"]) == ["ar-AE", "en-US"]
    assert await read(api, persona["id"]) == persona


async def test_editing_back_to_production_leaves_no_changes(api: GraphQLClient) -> None:
    persona = (await published(api, await create(api)))["persona"]

    persona = await set_voice(api, persona, **voice_input(temperature=0.9))
    persona = await update(api, persona, name="Other")
    assert persona["status"] == "CHANGED"
    assert len(persona["changes"]) == 2

    persona = await set_voice(api, persona, **voice_input(temperature=0.7))
    persona = await update(api, persona, name="Sales")

    assert persona["changes"] == []
    assert persona["status"] == "PUBLISHED"
    assert persona["revision"] == 5
    assert errors_of(await publish(api, persona)) == [("NOTHING_TO_PUBLISH", ["personaId"])]
