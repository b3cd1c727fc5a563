"""createPersona over GraphQL: defaults, validation with exact field paths."""

from typing import Any

import pytest

from app.platform.database import MongoDatabase
from tests.personas.drafting import (
    READ_LOCALE,
    create,
    locales,
    read,
)
from tests.support.client import (
    CREATE,
    GraphQLClient,
    chat_input,
    errors_of,
    mutate,
    voice_input,
)

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
