"""Version history over GraphQL: versions, changes, discardDraft, restorePersonaVersion and
rollbackPersona, with the status they leave behind, refusals, and publish/rollback races."""

import asyncio
import base64
import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from typing import Any

import pytest
from bson import ObjectId

from app.platform.database import MongoDatabase
from tests.graphql import (
    CREATE,
    DISCARD,
    READ,
    REMOVE_VOICE,
    RESTORE,
    ROLLBACK,
    SET_CHAT,
    SET_VOICE,
    UPDATE,
    VERSION_FIELDS,
    GraphQLClient,
    chat_input,
    errors_of,
    mutate,
    publish,
    stored,
    versions_of,
    voice_input,
)

VERSIONS = f"""
query($id: ID!, $first: Int, $after: String) {{
  persona(id: $id) {{
    versions(first: $first, after: $after) {{
      totalCount
      pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
      edges {{ cursor node {{ {VERSION_FIELDS} }} }}
    }}
  }}
}}
"""

LIVE = """
query($personaId: ID!, $channel: Channel!, $locale: Locale) {
  liveConfiguration(personaId: $personaId, channel: $channel, locale: $locale) {
    version name memory
    voice { locale prompt temperature firstMessage voice { key } }
    chat { prompt maxTokens temperature }
  }
}
"""

VOICE_AR = voice_input(
    locale="ar-AE",
    prompt="أنت وكيل مبيعات ودود.",
    voiceKey="omar-ar-ae-m",
    firstMessage="مرحبا! كيف أساعدك؟",
)
VOICE_FR = voice_input(
    locale="fr-FR",
    prompt="Vous êtes un agent commercial.",
    voiceKey="camille-fr-fr-f",
    firstMessage="Bonjour !",
)


# ---- helpers -----------------------------------------------------------------


def global_id(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode().rstrip("=")


def change_map(persona: dict[str, Any]) -> dict[str, tuple[str | None, str | None]]:
    """The persona's changes keyed by path; asserts no path appears twice."""
    changes = persona["changes"]
    paths = [change["path"] for change in changes]
    assert len(paths) == len(set(paths)), changes
    return {change["path"]: (change["before"], change["after"]) for change in changes}


def locales(snapshot: dict[str, Any]) -> list[str]:
    return [config["locale"] for config in snapshot["voiceConfigurations"]]


def voice(snapshot: dict[str, Any], locale: str) -> dict[str, Any]:
    (config,) = [c for c in snapshot["voiceConfigurations"] if c["locale"] == locale]
    assert isinstance(config, dict)
    return config


async def succeed(api: GraphQLClient, mutation: str, **input: Any) -> dict[str, Any]:
    """A draft mutation that must succeed; returns the persona."""
    payload = await mutate(api, mutation, **input)
    assert payload["userErrors"] == [], payload["userErrors"]
    persona: dict[str, Any] = payload["persona"]
    return persona


def full_input(**input: Any) -> dict[str, Any]:
    return {
        "name": "Sales",
        "voiceConfigurations": [voice_input(), VOICE_AR],
        "chatConfiguration": chat_input(),
        **input,
    }


async def create(api: GraphQLClient, **input: Any) -> dict[str, Any]:
    return await succeed(api, CREATE, **full_input(**input))


async def published(api: GraphQLClient, persona: dict[str, Any], **input: Any) -> dict[str, Any]:
    """Publish, which must succeed; returns the payload."""
    payload = await publish(api, persona, **input)
    assert payload["userErrors"] == [], payload["userErrors"]
    return payload


async def update(api: GraphQLClient, persona: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return await succeed(
        api, UPDATE, id=persona["id"], expectedRevision=persona["revision"], **fields
    )


async def set_voice(api: GraphQLClient, persona: dict[str, Any], **config: Any) -> dict[str, Any]:
    return await succeed(
        api,
        SET_VOICE,
        personaId=persona["id"],
        expectedRevision=persona["revision"],
        configuration=config,
    )


async def remove_voice(api: GraphQLClient, persona: dict[str, Any], locale: str) -> dict[str, Any]:
    return await succeed(
        api,
        REMOVE_VOICE,
        personaId=persona["id"],
        expectedRevision=persona["revision"],
        locale=locale,
    )


async def set_chat(
    api: GraphQLClient, persona: dict[str, Any], config: dict[str, Any] | None
) -> dict[str, Any]:
    return await succeed(
        api,
        SET_CHAT,
        personaId=persona["id"],
        expectedRevision=persona["revision"],
        configuration=config,
    )


async def discard(
    api: GraphQLClient, persona: dict[str, Any], revision: int | None = None
) -> dict[str, Any]:
    return await mutate(
        api,
        DISCARD,
        personaId=persona["id"],
        expectedRevision=persona["revision"] if revision is None else revision,
    )


async def restore(
    api: GraphQLClient, persona: dict[str, Any], version: int, revision: int | None = None
) -> dict[str, Any]:
    return await mutate(
        api,
        RESTORE,
        personaId=persona["id"],
        expectedRevision=persona["revision"] if revision is None else revision,
        version=version,
    )


async def rollback(
    api: GraphQLClient, persona_id: str, version: int, **input: Any
) -> dict[str, Any]:
    return await mutate(api, ROLLBACK, personaId=persona_id, version=version, **input)


async def read(api: GraphQLClient, persona_id: str) -> dict[str, Any]:
    persona: dict[str, Any] = (await api.data(READ, id=persona_id))["persona"]
    assert persona is not None
    return persona


async def versions_page(
    api: GraphQLClient, persona_id: str, first: int | None = None, after: str | None = None
) -> dict[str, Any]:
    variables: dict[str, Any] = {"id": persona_id}
    if first is not None:
        variables["first"] = first
    if after is not None:
        variables["after"] = after
    persona = (await api.data(VERSIONS, **variables))["persona"]
    assert persona is not None
    page: dict[str, Any] = persona["versions"]
    return page


def numbers(page: dict[str, Any]) -> list[int]:
    return [edge["node"]["version"] for edge in page["edges"]]


async def live(
    api: GraphQLClient, persona_id: str, channel: str, locale: str | None = None
) -> dict[str, Any]:
    variables: dict[str, Any] = {"personaId": persona_id, "channel": channel}
    if locale is not None:
        variables["locale"] = locale
    result: dict[str, Any] = (await api.data(LIVE, **variables))["liveConfiguration"]
    assert result is not None
    return result


async def five_versions(api: GraphQLClient) -> dict[str, Any]:
    """A persona published five times: version n is named "Sales n" with note "note n"."""
    persona = await create(api, name="Sales 1")
    for n in range(1, 6):
        if n > 1:
            persona = await update(api, persona, name=f"Sales {n}")
        payload = await published(api, persona, note=f"note {n}")
        assert payload["version"]["version"] == n
        persona = payload["persona"]
    return persona


async def three_versions(api: GraphQLClient) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Versions 1..3 that differ in name, en-US prompt and temperature, and chat maxTokens."""
    persona = await create(api)
    versions = [(await published(api, persona, note="one"))["version"]]
    for n, temperature, max_tokens in ((2, 0.9, 2048), (3, 1.2, 4096)):
        persona = await update(api, persona, name=f"Sales {n}")
        persona = await set_voice(
            api, persona, **voice_input(prompt=f"Prompt {n}", temperature=temperature)
        )
        persona = await set_chat(api, persona, chat_input(maxTokens=max_tokens))
        versions.append((await published(api, persona, note=f"v{n}"))["version"])
    return await read(api, persona["id"]), versions


def assert_version_node(node: dict[str, Any]) -> None:
    assert isinstance(node["version"], int)
    assert isinstance(node["snapshot"], dict)
    assert node["snapshot"]["name"]
    published_at = datetime.fromisoformat(node["publishedAt"])
    assert published_at.utcoffset() == timedelta(0)
    assert published_at <= datetime.now(UTC) + timedelta(seconds=1)
    assert isinstance(node["publishedBy"], str)
    assert node["publishedBy"]
    assert node["note"] is None or isinstance(node["note"], str)
    assert isinstance(node["rollback"], bool)


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

    assert change_map(persona) == {"name": (None, '"Bare"'), "memory": (None, "true")}


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
