"""Queries through GraphQL: lookups by id, the persona list, the catalog and live configuration."""

import base64
from typing import Any

import pytest
from bson import ObjectId

from tests.support.client import GraphQLClient, chat_input, voice_input

VOICE_EN_INPUT = voice_input()
VOICE_AR = voice_input(
    locale="ar-AE",
    prompt="أنت وكيل مبيعات ودود.",
    voiceKey="omar-ar-ae-m",
    firstMessage="مرحبا!",
)

PERSONA = """
query($id: ID!) { persona(id: $id) { id status draft { name } } }
"""

NODE = """
query($id: ID!) {
  node(id: $id) {
    __typename id
    ... on Persona { draft { name } }
    ... on Voice { key locales }
    ... on LanguageModel { key channels }
  }
}
"""

PERSONAS = """
query($first: Int, $after: String, $search: String, $status: PersonaStatus) {
  personas(first: $first, after: $after, search: $search, status: $status) {
    edges { cursor node { id status draft { name } } }
    pageInfo { hasNextPage hasPreviousPage startCursor endCursor }
    totalCount
  }
}
"""

VOICES = "query($locale: Locale) { voices(locale: $locale) { id key name provider locales } }"

MODELS = """
query($channel: Channel) {
  languageModels(channel: $channel) { id key name provider channels maxOutputTokens }
}
"""

LIVE = """
query($personaId: ID!, $channel: Channel!, $locale: Locale) {
  liveConfiguration(personaId: $personaId, channel: $channel, locale: $locale) {
    personaId version name memory channel requestedLocale
    voice { locale prompt voice { key } model { key } firstMessage }
    chat { prompt maxTokens model { key } }
  }
}
"""

PUBLISH = """
mutation($input: PublishPersonaInput!) {
  publishPersona(input: $input) {
    persona { id revision status }
    version { version }
    userErrors { field message code }
  }
}
"""

UPDATE = """
mutation($input: UpdatePersonaInput!) {
  updatePersona(input: $input) {
    persona { id revision status draft { name } }
    userErrors { field message code }
  }
}
"""

SET_VOICE = """
mutation($input: SetVoiceConfigurationInput!) {
  setVoiceConfiguration(input: $input) {
    persona { id revision status draft { voiceConfigurations { locale prompt } } }
    userErrors { field message code }
  }
}
"""


def global_id(text: str) -> str:
    """An id in the API's own shape (unpadded base64url of "Kind:key")."""
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


async def publish(api: GraphQLClient, persona: dict[str, Any]) -> dict[str, Any]:
    """Publish `persona` at its current revision; returns the persona after the publish."""
    payload = (
        await api.data(
            PUBLISH, input={"personaId": persona["id"], "expectedRevision": persona["revision"]}
        )
    )["publishPersona"]
    assert payload["userErrors"] == [], payload["userErrors"]
    published: dict[str, Any] = payload["persona"]
    assert published["status"] == "PUBLISHED"
    return published


async def rename(api: GraphQLClient, persona: dict[str, Any], name: str) -> dict[str, Any]:
    payload = (
        await api.data(
            UPDATE,
            input={"id": persona["id"], "expectedRevision": persona["revision"], "name": name},
        )
    )["updatePersona"]
    assert payload["userErrors"] == [], payload["userErrors"]
    renamed: dict[str, Any] = payload["persona"]
    return renamed


async def page(api: GraphQLClient, **variables: Any) -> dict[str, Any]:
    connection: dict[str, Any] = (await api.data(PERSONAS, **variables))["personas"]
    return connection


def names(connection: dict[str, Any]) -> list[str]:
    return [edge["node"]["draft"]["name"] for edge in connection["edges"]]


async def voice_ids(api: GraphQLClient) -> dict[str, str]:
    return {v["key"]: v["id"] for v in (await api.data(VOICES))["voices"]}


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


MALFORMED_IDS = [
    pytest.param("garbage", id="garbage"),
    pytest.param("", id="empty"),
    pytest.param(global_id("Persona:notanobjectid"), id="persona-not-an-objectid"),
    pytest.param(global_id("Persona:"), id="persona-no-key"),
    pytest.param("!!!not base64!!!", id="not-base64"),
    pytest.param("ü", id="non-ascii"),
]


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


# ---- catalog ----------------------------------------------------------------------------------


async def test_voices_for_a_locale_are_exactly_those_that_speak_it(api: GraphQLClient) -> None:
    everyone = (await api.data(VOICES))["voices"]
    arabic = (await api.data(VOICES, locale="ar-AE"))["voices"]
    assert arabic
    assert all("ar-AE" in voice["locales"] for voice in arabic)
    assert [v["key"] for v in arabic] == [v["key"] for v in everyone if "ar-AE" in v["locales"]]
    assert len(arabic) < len(everyone)


async def test_voices_locale_is_case_insensitive(api: GraphQLClient) -> None:
    # BCP 47 tags are case-insensitive; "ar-ae" is the same locale as "ar-AE".
    assert await api.data(VOICES, locale="ar-ae") == await api.data(VOICES, locale="ar-AE")


async def test_voices_cover_the_catalog_locales(api: GraphQLClient) -> None:
    voices = (await api.data(VOICES))["voices"]
    assert len(voices) >= 12
    assert len({v["id"] for v in voices}) == len(voices)
    spoken = {locale for voice in voices for locale in voice["locales"]}
    for locale in ("en-US", "en-GB", "ar-AE", "ar-SA", "es-ES", "fr-FR", "de-DE", "hi-IN"):
        assert locale in spoken, locale


@pytest.mark.parametrize("locale", ["en_US", "english", "x"])
async def test_voices_with_a_malformed_locale_is_an_error(api: GraphQLClient, locale: str) -> None:
    body = await api.execute(VOICES, locale=locale)
    assert body["data"] is None
    assert len(body["errors"]) == 1
    assert locale in body["errors"][0]["message"]


@pytest.mark.parametrize("channel", ["CHAT", "VOICE"])
async def test_language_models_for_a_channel(api: GraphQLClient, channel: str) -> None:
    everyone = (await api.data(MODELS))["languageModels"]
    offered = (await api.data(MODELS, channel=channel))["languageModels"]
    assert offered
    assert all(channel in model["channels"] for model in offered)
    assert [m["key"] for m in offered] == [m["key"] for m in everyone if channel in m["channels"]]
    assert len(offered) < len(everyone)


async def test_language_models_all(api: GraphQLClient) -> None:
    models = (await api.data(MODELS))["languageModels"]
    assert len(models) >= 4
    assert all(model["maxOutputTokens"] > 0 for model in models)
    assert {channel for model in models for channel in model["channels"]} == {"VOICE", "CHAT"}


# ---- liveConfiguration ------------------------------------------------------------------------


async def live(api: GraphQLClient, persona_id: str, channel: str, **variables: Any) -> Any:
    return (await api.data(LIVE, personaId=persona_id, channel=channel, **variables))[
        "liveConfiguration"
    ]


async def test_live_configuration_is_null_before_the_first_publish(api: GraphQLClient) -> None:
    persona = await api.create_persona(
        name="Unpublished", voiceConfigurations=[VOICE_EN_INPUT], chatConfiguration=chat_input()
    )
    assert await live(api, persona["id"], "VOICE", locale="en-US") is None
    assert await live(api, persona["id"], "VOICE") is None
    assert await live(api, persona["id"], "CHAT") is None


@pytest.mark.parametrize(
    ("order", "requested", "served"),
    [
        (["en-US", "ar-AE"], "en-US", "en-US"),
        (["en-US", "ar-AE"], "ar-AE", "ar-AE"),
        (["en-US", "ar-AE"], "en-GB", "en-US"),
        (["en-US", "ar-AE"], "fr-FR", "en-US"),
        (["en-US", "ar-AE"], None, "en-US"),
        (["ar-AE", "en-US"], "en-US", "en-US"),
        (["ar-AE", "en-US"], "en-GB", "en-US"),
        (["ar-AE", "en-US"], "ar-SA", "ar-AE"),
        (["ar-AE", "en-US"], "fr-FR", "ar-AE"),
        (["ar-AE", "en-US"], None, "ar-AE"),
    ],
)
async def test_live_voice_configuration_picks_the_locale(
    api: GraphQLClient, order: list[str], requested: str | None, served: str
) -> None:
    by_locale = {"en-US": VOICE_EN_INPUT, "ar-AE": VOICE_AR}
    persona = await api.create_persona(
        name="Bilingual", voiceConfigurations=[by_locale[locale] for locale in order]
    )
    await publish(api, persona)

    result = await live(api, persona["id"], "VOICE", locale=requested)
    assert result is not None
    assert result["voice"]["locale"] == served
    assert result["voice"]["prompt"] == by_locale[served]["prompt"]
    assert result["voice"]["voice"]["key"] == by_locale[served]["voiceKey"]
    assert result["requestedLocale"] == requested
    assert result["personaId"] == persona["id"]
    assert result["version"] == 1
    assert result["name"] == "Bilingual"
    assert result["channel"] == "VOICE"
    assert result["chat"] is None


async def test_live_chat_configuration(api: GraphQLClient) -> None:
    persona = await api.create_persona(
        name="Chatty",
        memory=True,
        voiceConfigurations=[VOICE_EN_INPUT],
        chatConfiguration=chat_input(prompt="Reply in one line.", maxTokens=300),
    )
    await publish(api, persona)
    result = await live(api, persona["id"], "CHAT")
    assert result == {
        "personaId": persona["id"],
        "version": 1,
        "name": "Chatty",
        "memory": True,
        "channel": "CHAT",
        "requestedLocale": None,
        "voice": None,
        "chat": {"prompt": "Reply in one line.", "maxTokens": 300, "model": {"key": "gpt-4.1"}},
    }


async def test_live_configuration_serves_production_not_the_draft(api: GraphQLClient) -> None:
    persona = await api.create_persona(name="Stable", voiceConfigurations=[VOICE_EN_INPUT])
    persona = await publish(api, persona)

    persona = await rename(api, persona, "Renamed in draft")
    payload = (
        await api.data(
            SET_VOICE,
            input={
                "personaId": persona["id"],
                "expectedRevision": persona["revision"],
                "configuration": voice_input(prompt="A brand new prompt."),
            },
        )
    )["setVoiceConfiguration"]
    assert payload["userErrors"] == []
    assert payload["persona"]["status"] == "CHANGED"
    assert payload["persona"]["draft"]["voiceConfigurations"] == [
        {"locale": "en-US", "prompt": "A brand new prompt."}
    ]

    result = await live(api, persona["id"], "VOICE", locale="en-US")
    assert result is not None
    assert result["name"] == "Stable"
    assert result["version"] == 1
    assert result["voice"]["prompt"] == VOICE_EN_INPUT["prompt"]
    assert result["voice"]["firstMessage"] == VOICE_EN_INPUT["firstMessage"]


async def test_live_configuration_of_two_published_personas(api: GraphQLClient) -> None:
    first = await api.create_persona(name="First", voiceConfigurations=[VOICE_EN_INPUT])
    second = await api.create_persona(name="Second", voiceConfigurations=[VOICE_AR])
    await publish(api, first)
    await publish(api, second)
    first_live = await live(api, first["id"], "VOICE")
    second_live = await live(api, second["id"], "VOICE")
    assert first_live is not None
    assert second_live is not None
    assert (first_live["name"], first_live["voice"]["locale"]) == ("First", "en-US")
    assert (second_live["name"], second_live["voice"]["locale"]) == ("Second", "ar-AE")


async def test_live_configuration_follows_a_new_publish(api: GraphQLClient) -> None:
    persona = await publish(
        api, await api.create_persona(name="Old", voiceConfigurations=[VOICE_EN_INPUT])
    )
    persona = await publish(api, await rename(api, persona, "New"))
    result = await live(api, persona["id"], "VOICE")
    assert result is not None
    assert (result["name"], result["version"]) == ("New", 2)


@pytest.mark.parametrize(
    "bad_id",
    [*MALFORMED_IDS, pytest.param(global_id(f"Persona:{ObjectId()}"), id="unknown")],
)
async def test_live_configuration_for_a_bad_persona_id_is_null(
    api: GraphQLClient, bad_id: str
) -> None:
    await publish(api, await api.create_persona(name="Live", voiceConfigurations=[VOICE_EN_INPUT]))
    assert await live(api, bad_id, "VOICE", locale="en-US") is None
    assert await live(api, bad_id, "CHAT") is None
