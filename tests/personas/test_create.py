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
