"""Draft mutations over GraphQL: defaults, validation with exact field paths, revisions, races."""

import asyncio
import base64
from typing import Any

import pytest
from bson import ObjectId

from app.platform.database import MongoDatabase
from tests.graphql import (
    CREATE,
    DELETE,
    PUBLISH,
    READ,
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

READ_LOCALE = """
query($id: ID!, $locale: Locale!) {
  persona(id: $id) { draft { voiceConfiguration(locale: $locale) { locale voice { key } } } }
}
"""


# ---- helpers -----------------------------------------------------------------


def global_id(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode().rstrip("=")


def unknown_persona_id() -> str:
    return global_id("Persona", str(ObjectId()))


GARBAGE_IDS = [
    pytest.param("", id="empty"),
    pytest.param("not-an-id", id="plain-text"),
    pytest.param("!!!***", id="non-base64"),
    pytest.param("Persönä", id="non-ascii"),
    pytest.param(global_id("Persona", "123"), id="bad-object-id"),
    pytest.param(global_id("Persona", "zzzzzzzzzzzzzzzzzzzzzzzz"), id="non-hex-object-id"),
    pytest.param(global_id("Voice", "sara-en-us-f"), id="other-kind"),
    pytest.param(global_id("Voice", str(ObjectId())), id="other-kind-object-id"),
    pytest.param(base64.urlsafe_b64encode(b"\xff\xfe\xfd").decode(), id="non-utf8"),
    pytest.param(unknown_persona_id(), id="unknown"),
]


async def create(api: GraphQLClient, **input: Any) -> dict[str, Any]:
    return await mutate(api, CREATE, **{"name": "Sales", **input})


async def update(api: GraphQLClient, persona: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return await mutate(
        api,
        UPDATE,
        **{"id": persona["id"], "expectedRevision": persona["revision"], **fields},
    )


async def set_voice(
    api: GraphQLClient, persona: dict[str, Any], revision: int | None = None, **overrides: Any
) -> dict[str, Any]:
    return await mutate(
        api,
        SET_VOICE,
        personaId=persona["id"],
        expectedRevision=persona["revision"] if revision is None else revision,
        configuration=voice_input(**overrides),
    )


async def set_chat(
    api: GraphQLClient, persona: dict[str, Any], configuration: dict[str, Any] | None
) -> dict[str, Any]:
    return await mutate(
        api,
        SET_CHAT,
        personaId=persona["id"],
        expectedRevision=persona["revision"],
        configuration=configuration,
    )


async def read(api: GraphQLClient, persona_id: str) -> dict[str, Any] | None:
    persona: dict[str, Any] | None = (await api.data(READ, id=persona_id))["persona"]
    return persona


async def assert_refused(
    api: GraphQLClient,
    database: MongoDatabase,
    persona: dict[str, Any],
    before: dict[str, list[dict[str, Any]]],
) -> None:
    """The persona reads exactly as `persona` and no document changed."""
    assert await read(api, persona["id"]) == persona
    assert await stored(database) == before


def locales(persona: dict[str, Any]) -> list[str]:
    return [c["locale"] for c in persona["draft"]["voiceConfigurations"]]


# ---- createPersona -----------------------------------------------------------


async def test_create_applies_defaults(api: GraphQLClient, database: MongoDatabase) -> None:
    payload = await create(
        api,
        voiceConfigurations=[
            {
                "locale": "en-US",
                "prompt": "Sell things.",
                "voiceKey": "sara-en-us-f",
                "modelKey": "gpt-4o-mini",
            }
        ],
        chatConfiguration={"prompt": "Answer briefly.", "modelKey": "gpt-4.1"},
    )

    assert payload["userErrors"] == []
    persona = payload["persona"]
    assert persona["status"] == "DRAFT"
    assert persona["revision"] == 1
    assert persona["production"] is None
    assert persona["draft"] == {
        "name": "Sales",
        "memory": False,
        "voiceConfigurations": [
            {
                "locale": "en-US",
                "prompt": "Sell things.",
                "firstSpeaker": "AGENT",
                "firstMessage": None,
                "temperature": 0.7,
                "maxDurationSeconds": 1800,
                "silenceTimeoutSeconds": 30,
                "recording": False,
                "voice": {"key": "sara-en-us-f"},
                "model": {"key": "gpt-4o-mini"},
            }
        ],
        "chatConfiguration": {
            "prompt": "Answer briefly.",
            "temperature": 0.7,
            "maxTokens": 1024,
            "forwardToVoice": False,
            "model": {"key": "gpt-4.1"},
        },
    }
    assert await read(api, persona["id"]) == persona
    assert await database["personas"].count_documents({}) == 1
    assert await database["persona_versions"].count_documents({}) == 0


async def test_create_keeps_explicit_values(api: GraphQLClient) -> None:
    persona = await api.create_persona(
        memory=True,
        voiceConfigurations=[
            voice_input(
                firstSpeaker="USER",
                firstMessage=None,
                temperature=1.25,
                maxDurationSeconds=600,
                silenceTimeoutSeconds=15,
                recording=True,
            )
        ],
        chatConfiguration=chat_input(temperature=0.0, maxTokens=2048, forwardToVoice=True),
    )

    assert persona["draft"]["memory"] is True
    (voice,) = persona["draft"]["voiceConfigurations"]
    assert voice["firstSpeaker"] == "USER"
    assert voice["firstMessage"] is None
    assert voice["temperature"] == 1.25
    assert voice["maxDurationSeconds"] == 600
    assert voice["silenceTimeoutSeconds"] == 15
    assert voice["recording"] is True
    chat = persona["draft"]["chatConfiguration"]
    assert chat["temperature"] == 0.0
    assert chat["maxTokens"] == 2048
    assert chat["forwardToVoice"] is True


async def test_create_with_only_a_name_is_an_incomplete_draft(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    payload = await mutate(api, CREATE, name="Bare")

    assert payload["userErrors"] == []
    persona = payload["persona"]
    assert persona["status"] == "DRAFT"
    assert persona["revision"] == 1
    assert persona["draft"] == {
        "name": "Bare",
        "memory": False,
        "voiceConfigurations": [],
        "chatConfiguration": None,
    }
    assert await database["personas"].count_documents({}) == 1


async def test_create_canonicalises_locales(api: GraphQLClient) -> None:
    persona = await api.create_persona(
        voiceConfigurations=[
            voice_input(locale="en-us"),
            voice_input(locale="AR-ae", voiceKey="layla-ar-ae-f", firstMessage="Marhaba"),
        ]
    )

    assert locales(persona) == ["en-US", "ar-AE"]
    found = await api.data(READ_LOCALE, id=persona["id"], locale="en-US")
    assert found["persona"]["draft"]["voiceConfiguration"] == {
        "locale": "en-US",
        "voice": {"key": "sara-en-us-f"},
    }


async def test_create_strips_the_name(api: GraphQLClient) -> None:
    persona = await api.create_persona(name="  Support desk \t")

    assert persona["draft"]["name"] == "Support desk"


@pytest.mark.parametrize(
    ("voice", "chat"),
    [
        pytest.param({"temperature": 0.0}, {"temperature": 2.0}, id="temperature-bounds"),
        pytest.param(
            {"maxDurationSeconds": 10, "silenceTimeoutSeconds": 10}, None, id="duration-min"
        ),
        pytest.param(
            {"maxDurationSeconds": 14400, "silenceTimeoutSeconds": 1}, None, id="duration-max"
        ),
        pytest.param(None, {"maxTokens": 1}, id="max-tokens-min"),
        pytest.param(None, {"maxTokens": 32768}, id="max-tokens-model-limit"),
        pytest.param(None, {"modelKey": "claude-haiku-4", "maxTokens": 4096}, id="both-channels"),
        pytest.param({"modelKey": "gemini-2.5-flash"}, None, id="voice-only-model"),
    ],
)
async def test_create_accepts_boundary_values(
    api: GraphQLClient, voice: dict[str, Any] | None, chat: dict[str, Any] | None
) -> None:
    payload = await create(
        api,
        voiceConfigurations=[voice_input(**voice)] if voice is not None else [],
        chatConfiguration=chat_input(**chat) if chat is not None else None,
    )

    assert payload["userErrors"] == []
    assert payload["persona"]["revision"] == 1


async def test_create_accepts_a_name_of_200_characters(api: GraphQLClient) -> None:
    persona = await api.create_persona(name="n" * 200)

    assert persona["draft"]["name"] == "n" * 200


V0 = ["voiceConfigurations", "0"]
CHAT = ["chatConfiguration"]

INVALID_CREATES = [
    pytest.param({"name": ""}, [("INVALID", ["name"])], id="empty-name"),
    pytest.param({"name": "   \t "}, [("INVALID", ["name"])], id="blank-name"),
    pytest.param({"name": "n" * 201}, [("INVALID", ["name"])], id="long-name"),
    pytest.param(
        {"voiceConfigurations": [voice_input(prompt="")]},
        [("INVALID", [*V0, "prompt"])],
        id="empty-voice-prompt",
    ),
    pytest.param(
        {"voiceConfigurations": [voice_input(prompt="   ")]},
        [("INVALID", [*V0, "prompt"])],
        id="blank-voice-prompt",
    ),
    pytest.param(
        {"voiceConfigurations": [voice_input(prompt="p" * 32001)]},
        [("INVALID", [*V0, "prompt"])],
        id="long-voice-prompt",
    ),
    pytest.param(
        {"chatConfiguration": chat_input(prompt="")},
        [("INVALID", [*CHAT, "prompt"])],
        id="empty-chat-prompt",
    ),
    pytest.param(
        {"voiceConfigurations": [voice_input(temperature=2.5)]},
        [("INVALID", [*V0, "temperature"])],
        id="voice-temperature-high",
    ),
    pytest.param(
        {"voiceConfigurations": [voice_input(temperature=-0.1)]},
        [("INVALID", [*V0, "temperature"])],
        id="voice-temperature-negative",
    ),
    pytest.param(
        {"chatConfiguration": chat_input(temperature=2.5)},
        [("INVALID", [*CHAT, "temperature"])],
        id="chat-temperature-high",
    ),
    pytest.param(
        {"chatConfiguration": chat_input(temperature=-0.1)},
        [("INVALID", [*CHAT, "temperature"])],
        id="chat-temperature-negative",
    ),
    pytest.param(
        {"voiceConfigurations": [voice_input(maxDurationSeconds=5, silenceTimeoutSeconds=5)]},
        [("INVALID", [*V0, "maxDurationSeconds"])],
        id="duration-too-short",
    ),
    pytest.param(
        {"voiceConfigurations": [voice_input(maxDurationSeconds=20000)]},
        [("INVALID", [*V0, "maxDurationSeconds"])],
        id="duration-too-long",
    ),
    pytest.param(
        {"voiceConfigurations": [voice_input(maxDurationSeconds=5)]},
        [("INVALID", [*V0, "maxDurationSeconds"]), ("INVALID", [*V0, "silenceTimeoutSeconds"])],
        id="duration-too-short-below-default-silence",
    ),
    pytest.param(
        {"voiceConfigurations": [voice_input(silenceTimeoutSeconds=0)]},
        [("INVALID", [*V0, "silenceTimeoutSeconds"])],
        id="silence-zero",
    ),
    pytest.param(
        {"voiceConfigurations": [voice_input(silenceTimeoutSeconds=-5)]},
        [("INVALID", [*V0, "silenceTimeoutSeconds"])],
        id="silence-negative",
    ),
    pytest.param(
        {"voiceConfigurations": [voice_input(maxDurationSeconds=60, silenceTimeoutSeconds=61)]},
        [("INVALID", [*V0, "silenceTimeoutSeconds"])],
        id="silence-above-duration",
    ),
    pytest.param(
        {"voiceConfigurations": [voice_input(firstMessage="m" * 2001)]},
        [("INVALID", [*V0, "firstMessage"])],
        id="long-first-message",
    ),
    pytest.param(
        {"voiceConfigurations": [voice_input(locale="en_US")]},
        [("INVALID", [*V0, "locale"])],
        id="locale-underscore",
    ),
    pytest.param(
        {"voiceConfigurations": [voice_input(locale="english")]},
        [("INVALID", [*V0, "locale"])],
        id="locale-word",
    ),
    pytest.param(
        {"voiceConfigurations": [voice_input(locale="xx-YY")]},
        [("INVALID", [*V0, "locale"])],
        id="locale-unknown-subtags",
    ),
    pytest.param(
        {"voiceConfigurations": [voice_input(locale="")]},
        [("INVALID", [*V0, "locale"])],
        id="locale-empty",
    ),
    pytest.param(
        {"voiceConfigurations": [voice_input(voiceKey="nobody-xx")]},
        [("INVALID", [*V0, "voiceKey"])],
        id="unknown-voice",
    ),
    pytest.param(
        {"voiceConfigurations": [voice_input(modelKey="gpt-99")]},
        [("INVALID", [*V0, "modelKey"])],
        id="unknown-voice-model",
    ),
    pytest.param(
        {"chatConfiguration": chat_input(modelKey="gpt-99")},
        [("INVALID", [*CHAT, "modelKey"])],
        id="unknown-chat-model",
    ),
    pytest.param(
        {"voiceConfigurations": [voice_input(modelKey="gpt-4.1")]},
        [("INVALID", [*V0, "modelKey"])],
        id="chat-only-model-for-voice",
    ),
    pytest.param(
        {"voiceConfigurations": [voice_input(modelKey="claude-sonnet-4")]},
        [("INVALID", [*V0, "modelKey"])],
        id="chat-only-model-for-voice-2",
    ),
    pytest.param(
        {"chatConfiguration": chat_input(modelKey="gpt-4o-realtime")},
        [("INVALID", [*CHAT, "modelKey"])],
        id="voice-only-model-for-chat",
    ),
    pytest.param(
        {"chatConfiguration": chat_input(maxTokens=0)},
        [("INVALID", [*CHAT, "maxTokens"])],
        id="max-tokens-zero",
    ),
    pytest.param(
        {"chatConfiguration": chat_input(maxTokens=-1)},
        [("INVALID", [*CHAT, "maxTokens"])],
        id="max-tokens-negative",
    ),
    pytest.param(
        {"chatConfiguration": chat_input(maxTokens=32769)},
        [("INVALID", [*CHAT, "maxTokens"])],
        id="max-tokens-above-model",
    ),
    pytest.param(
        {"chatConfiguration": chat_input(modelKey="claude-sonnet-4", maxTokens=8193)},
        [("INVALID", [*CHAT, "maxTokens"])],
        id="max-tokens-above-smaller-model",
    ),
    pytest.param(
        {"voiceConfigurations": [voice_input(locale="fr-FR")]},
        [("VOICE_LOCALE_MISMATCH", [*V0, "voiceKey"])],
        id="voice-locale-mismatch-first",
    ),
    pytest.param(
        {
            "voiceConfigurations": [
                voice_input(),
                voice_input(locale="ar-SA", voiceKey="omar-ar-ae-m"),
            ]
        },
        [("VOICE_LOCALE_MISMATCH", ["voiceConfigurations", "1", "voiceKey"])],
        id="voice-locale-mismatch-second",
    ),
    pytest.param(
        {
            "voiceConfigurations": [
                voice_input(),
                voice_input(voiceKey="james-en-us-m"),
            ]
        },
        [("DUPLICATE_LOCALE", ["voiceConfigurations", "1", "locale"])],
        id="duplicate-locale",
    ),
    pytest.param(
        {
            "voiceConfigurations": [
                voice_input(locale="en-US"),
                voice_input(locale="en-us", voiceKey="james-en-us-m"),
            ]
        },
        [("DUPLICATE_LOCALE", ["voiceConfigurations", "1", "locale"])],
        id="duplicate-locale-case-variant",
    ),
    pytest.param(
        {
            "voiceConfigurations": [
                voice_input(locale="en-GB", voiceKey="olivia-en-gb-f"),
                voice_input(locale="en-US"),
                voice_input(locale="EN-gb", voiceKey="oliver-en-gb-m"),
            ]
        },
        [("DUPLICATE_LOCALE", ["voiceConfigurations", "2", "locale"])],
        id="duplicate-locale-not-adjacent",
    ),
    pytest.param(
        {
            "name": " ",
            "voiceConfigurations": [
                voice_input(temperature=3.0),
                voice_input(locale="de-DE", voiceKey="sara-en-us-f"),
            ],
            "chatConfiguration": chat_input(modelKey="gpt-4o-realtime", maxTokens=0),
        },
        [
            ("INVALID", ["name"]),
            ("INVALID", [*V0, "temperature"]),
            ("VOICE_LOCALE_MISMATCH", ["voiceConfigurations", "1", "voiceKey"]),
            ("INVALID", [*CHAT, "modelKey"]),
            ("INVALID", [*CHAT, "maxTokens"]),
        ],
        id="several-problems-at-once",
    ),
]


@pytest.mark.parametrize(("input", "expected"), INVALID_CREATES)
async def test_create_refuses_invalid_input(
    api: GraphQLClient,
    database: MongoDatabase,
    input: dict[str, Any],
    expected: list[tuple[str, list[str]]],
) -> None:
    payload = await create(api, **input)

    assert payload["persona"] is None
    assert sorted(errors_of(payload)) == sorted(expected)
    assert all(error["message"] for error in payload["userErrors"])
    assert await database["personas"].count_documents({}) == 0
    assert await database["persona_versions"].count_documents({}) == 0


# ---- updatePersona -----------------------------------------------------------


async def test_update_name_bumps_revision_and_keeps_the_rest(api: GraphQLClient) -> None:
    persona = await api.create_persona(
        memory=True, voiceConfigurations=[voice_input()], chatConfiguration=chat_input()
    )

    payload = await update(api, persona, name="Support")

    assert payload["userErrors"] == []
    updated = payload["persona"]
    assert updated["revision"] == 2
    assert updated["draft"] == {**persona["draft"], "name": "Support"}
    assert updated["createdAt"] == persona["createdAt"]
    assert updated["updatedAt"] >= persona["updatedAt"]
    assert await read(api, persona["id"]) == updated


async def test_update_memory_bumps_revision_and_keeps_the_name(api: GraphQLClient) -> None:
    persona = await api.create_persona(voiceConfigurations=[voice_input()])

    updated = (await update(api, persona, memory=True))["persona"]

    assert updated["revision"] == 2
    assert updated["draft"] == {**persona["draft"], "memory": True}
    again = (await update(api, updated, name="Renamed", memory=False))["persona"]
    assert again["revision"] == 3
    assert again["draft"] == {**persona["draft"], "name": "Renamed"}


async def test_update_with_null_fields_leaves_them_unchanged(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await api.create_persona(memory=True)
    before = await stored(database)

    payload = await update(api, persona, name=None, memory=None)

    assert payload["userErrors"] == []
    assert payload["persona"] == persona
    assert await stored(database) == before


@pytest.mark.parametrize(
    "fields",
    [
        pytest.param({}, id="nothing"),
        pytest.param({"name": "Sales"}, id="same-name"),
        pytest.param({"memory": False}, id="same-memory"),
        pytest.param({"name": "Sales", "memory": False}, id="same-both"),
        pytest.param({"name": "  Sales  "}, id="same-name-padded"),
    ],
)
async def test_update_with_identical_values_writes_nothing(
    api: GraphQLClient, database: MongoDatabase, fields: dict[str, Any]
) -> None:
    persona = await api.create_persona(voiceConfigurations=[voice_input()])
    before = await stored(database)

    payload = await update(api, persona, **fields)

    assert payload["userErrors"] == []
    assert payload["persona"]["revision"] == 1
    assert payload["persona"] == persona
    assert await stored(database) == before


@pytest.mark.parametrize(
    "name",
    [
        pytest.param("", id="empty"),
        pytest.param("  \n ", id="blank"),
        pytest.param("n" * 201, id="too-long"),
    ],
)
async def test_update_refuses_invalid_name(
    api: GraphQLClient, database: MongoDatabase, name: str
) -> None:
    persona = await api.create_persona()
    before = await stored(database)

    payload = await update(api, persona, name=name)

    assert payload["persona"] is None
    assert errors_of(payload) == [("INVALID", ["name"])]
    await assert_refused(api, database, persona, before)


# ---- setVoiceConfiguration ---------------------------------------------------


async def test_set_voice_adds_a_locale(api: GraphQLClient) -> None:
    persona = await api.create_persona(voiceConfigurations=[voice_input()])

    payload = await set_voice(
        api, persona, locale="en-gb", voiceKey="olivia-en-gb-f", prompt="British."
    )

    assert payload["userErrors"] == []
    updated = payload["persona"]
    assert updated["revision"] == 2
    assert locales(updated) == ["en-US", "en-GB"]
    assert updated["draft"]["voiceConfigurations"][0] == persona["draft"]["voiceConfigurations"][0]
    added = updated["draft"]["voiceConfigurations"][1]
    assert added["voice"] == {"key": "olivia-en-gb-f"}
    assert added["prompt"] == "British."
    assert added["firstSpeaker"] == "AGENT"
    assert added["temperature"] == 0.7
    assert added["maxDurationSeconds"] == 1800
    assert added["silenceTimeoutSeconds"] == 30
    assert added["recording"] is False
    assert await read(api, persona["id"]) == updated


async def test_set_voice_on_a_bare_draft(api: GraphQLClient) -> None:
    persona = await api.create_persona()

    updated = (await set_voice(api, persona))["persona"]

    assert updated["revision"] == 2
    assert locales(updated) == ["en-US"]


async def test_set_voice_replaces_the_same_locale(api: GraphQLClient) -> None:
    persona = await api.create_persona(
        voiceConfigurations=[
            voice_input(),
            voice_input(locale="ar-AE", voiceKey="omar-ar-ae-m", firstMessage="Ahlan"),
        ]
    )

    payload = await set_voice(
        api,
        persona,
        locale="en-us",
        voiceKey="james-en-us-m",
        prompt="A new prompt.",
        temperature=1.0,
        recording=True,
    )

    assert payload["userErrors"] == []
    updated = payload["persona"]
    assert updated["revision"] == 2
    assert locales(updated) == ["en-US", "ar-AE"]
    replaced = updated["draft"]["voiceConfigurations"][0]
    assert replaced["voice"] == {"key": "james-en-us-m"}
    assert replaced["prompt"] == "A new prompt."
    assert replaced["temperature"] == 1.0
    assert replaced["recording"] is True
    assert updated["draft"]["voiceConfigurations"][1] == persona["draft"]["voiceConfigurations"][1]


async def test_set_voice_with_identical_configuration_writes_nothing(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await api.create_persona(voiceConfigurations=[voice_input()])
    before = await stored(database)

    payload = await set_voice(api, persona, locale="en-us")

    assert payload["userErrors"] == []
    assert payload["persona"] == persona
    assert await stored(database) == before


C = ["configuration"]

INVALID_VOICE_SETS = [
    pytest.param({"prompt": " "}, [("INVALID", [*C, "prompt"])], id="blank-prompt"),
    pytest.param({"temperature": 2.5}, [("INVALID", [*C, "temperature"])], id="temperature"),
    pytest.param({"temperature": -0.1}, [("INVALID", [*C, "temperature"])], id="temp-neg"),
    pytest.param(
        {"maxDurationSeconds": 5, "silenceTimeoutSeconds": 1},
        [("INVALID", [*C, "maxDurationSeconds"])],
        id="duration-short",
    ),
    pytest.param(
        {"maxDurationSeconds": 20000},
        [("INVALID", [*C, "maxDurationSeconds"])],
        id="duration-long",
    ),
    pytest.param(
        {"silenceTimeoutSeconds": 0}, [("INVALID", [*C, "silenceTimeoutSeconds"])], id="silence-0"
    ),
    pytest.param(
        {"maxDurationSeconds": 100, "silenceTimeoutSeconds": 101},
        [("INVALID", [*C, "silenceTimeoutSeconds"])],
        id="silence-above-duration",
    ),
    pytest.param({"locale": "en_US"}, [("INVALID", [*C, "locale"])], id="locale-underscore"),
    pytest.param({"locale": "english"}, [("INVALID", [*C, "locale"])], id="locale-word"),
    pytest.param({"locale": "xx-YY"}, [("INVALID", [*C, "locale"])], id="locale-unknown"),
    pytest.param({"voiceKey": "ghost"}, [("INVALID", [*C, "voiceKey"])], id="unknown-voice"),
    pytest.param({"modelKey": "ghost"}, [("INVALID", [*C, "modelKey"])], id="unknown-model"),
    pytest.param({"modelKey": "gpt-4.1"}, [("INVALID", [*C, "modelKey"])], id="chat-only-model"),
    pytest.param(
        {"locale": "es-ES"},
        [("VOICE_LOCALE_MISMATCH", [*C, "voiceKey"])],
        id="voice-locale-mismatch",
    ),
]


@pytest.mark.parametrize(("overrides", "expected"), INVALID_VOICE_SETS)
async def test_set_voice_refuses_invalid_configuration(
    api: GraphQLClient,
    database: MongoDatabase,
    overrides: dict[str, Any],
    expected: list[tuple[str, list[str]]],
) -> None:
    persona = await api.create_persona(voiceConfigurations=[voice_input()])
    before = await stored(database)

    payload = await set_voice(api, persona, **overrides)

    assert payload["persona"] is None
    assert sorted(errors_of(payload)) == sorted(expected)
    await assert_refused(api, database, persona, before)


# ---- removeVoiceConfiguration ------------------------------------------------


async def test_remove_voice_configuration(api: GraphQLClient) -> None:
    persona = await api.create_persona(
        voiceConfigurations=[
            voice_input(),
            voice_input(locale="en-GB", voiceKey="olivia-en-gb-f"),
        ]
    )

    payload = await mutate(
        api, REMOVE_VOICE, personaId=persona["id"], expectedRevision=1, locale="en-us"
    )

    assert payload["userErrors"] == []
    updated = payload["persona"]
    assert updated["revision"] == 2
    assert updated["draft"]["voiceConfigurations"] == persona["draft"]["voiceConfigurations"][1:]
    assert await read(api, persona["id"]) == updated
    found = await api.data(READ_LOCALE, id=persona["id"], locale="en-US")
    assert found["persona"]["draft"]["voiceConfiguration"] is None

    last = await mutate(
        api, REMOVE_VOICE, personaId=persona["id"], expectedRevision=2, locale="en-GB"
    )
    assert last["userErrors"] == []
    assert last["persona"]["revision"] == 3
    assert last["persona"]["draft"]["voiceConfigurations"] == []


@pytest.mark.parametrize(
    ("locale", "expected"),
    [
        pytest.param("fr-FR", [("NOT_FOUND", ["locale"])], id="unknown-locale"),
        pytest.param("en-GB", [("NOT_FOUND", ["locale"])], id="other-english"),
        pytest.param("en", [("NOT_FOUND", ["locale"])], id="language-only"),
        pytest.param("en_US", [("INVALID", ["locale"])], id="malformed-underscore"),
        pytest.param("english", [("INVALID", ["locale"])], id="malformed-word"),
        pytest.param("xx-YY", [("INVALID", ["locale"])], id="malformed-unknown-subtags"),
        pytest.param("", [("INVALID", ["locale"])], id="empty"),
    ],
)
async def test_remove_voice_refuses_bad_locale(
    api: GraphQLClient,
    database: MongoDatabase,
    locale: str,
    expected: list[tuple[str, list[str]]],
) -> None:
    persona = await api.create_persona(voiceConfigurations=[voice_input()])
    before = await stored(database)

    payload = await mutate(
        api, REMOVE_VOICE, personaId=persona["id"], expectedRevision=1, locale=locale
    )

    assert payload["persona"] is None
    assert errors_of(payload) == expected
    await assert_refused(api, database, persona, before)


# ---- setChatConfiguration ----------------------------------------------------


async def test_set_chat_then_null_removes_it(api: GraphQLClient) -> None:
    persona = await api.create_persona(voiceConfigurations=[voice_input()])

    payload = await set_chat(
        api, persona, chat_input(modelKey="claude-sonnet-4", temperature=0.2, maxTokens=8192)
    )

    assert payload["userErrors"] == []
    updated = payload["persona"]
    assert updated["revision"] == 2
    assert updated["draft"]["chatConfiguration"] == {
        "prompt": "Answer briefly.",
        "temperature": 0.2,
        "maxTokens": 8192,
        "forwardToVoice": False,
        "model": {"key": "claude-sonnet-4"},
    }
    assert updated["draft"]["voiceConfigurations"] == persona["draft"]["voiceConfigurations"]
    assert await read(api, persona["id"]) == updated

    replaced = (await set_chat(api, updated, chat_input(prompt="Be terse.")))["persona"]
    assert replaced["revision"] == 3
    assert replaced["draft"]["chatConfiguration"]["prompt"] == "Be terse."
    assert replaced["draft"]["chatConfiguration"]["maxTokens"] == 1024

    removed = await set_chat(api, replaced, None)
    assert removed["userErrors"] == []
    assert removed["persona"]["revision"] == 4
    assert removed["persona"]["draft"]["chatConfiguration"] is None
    assert (
        removed["persona"]["draft"]["voiceConfigurations"]
        == (persona["draft"]["voiceConfigurations"])
    )


async def test_set_chat_null_without_chat_writes_nothing(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await api.create_persona()
    before = await stored(database)

    payload = await set_chat(api, persona, None)

    assert payload["userErrors"] == []
    assert payload["persona"] == persona
    assert await stored(database) == before


async def test_set_chat_without_configuration_is_invalid(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await api.create_persona(chatConfiguration=chat_input())
    before = await stored(database)

    payload = await mutate(api, SET_CHAT, personaId=persona["id"], expectedRevision=1)

    assert payload["persona"] is None
    assert errors_of(payload) == [("INVALID", ["configuration"])]
    await assert_refused(api, database, persona, before)


INVALID_CHAT_SETS = [
    pytest.param({"prompt": ""}, [("INVALID", [*C, "prompt"])], id="empty-prompt"),
    pytest.param({"temperature": 2.5}, [("INVALID", [*C, "temperature"])], id="temperature"),
    pytest.param({"temperature": -0.1}, [("INVALID", [*C, "temperature"])], id="temp-neg"),
    pytest.param({"modelKey": "ghost"}, [("INVALID", [*C, "modelKey"])], id="unknown-model"),
    pytest.param(
        {"modelKey": "gemini-2.5-flash"}, [("INVALID", [*C, "modelKey"])], id="voice-only-model"
    ),
    pytest.param({"maxTokens": 0}, [("INVALID", [*C, "maxTokens"])], id="max-tokens-zero"),
    pytest.param(
        {"modelKey": "claude-haiku-4", "maxTokens": 4097},
        [("INVALID", [*C, "maxTokens"])],
        id="max-tokens-above-model",
    ),
]


@pytest.mark.parametrize(("overrides", "expected"), INVALID_CHAT_SETS)
async def test_set_chat_refuses_invalid_configuration(
    api: GraphQLClient,
    database: MongoDatabase,
    overrides: dict[str, Any],
    expected: list[tuple[str, list[str]]],
) -> None:
    persona = await api.create_persona(chatConfiguration=chat_input())
    before = await stored(database)

    payload = await set_chat(api, persona, chat_input(**overrides))

    assert payload["persona"] is None
    assert errors_of(payload) == expected
    await assert_refused(api, database, persona, before)


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
