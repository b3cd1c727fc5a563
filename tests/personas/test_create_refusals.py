"""createPersona refuses invalid input, each problem at its exact field path, and stores nothing."""

from typing import Any

import pytest

from app.platform.database import MongoDatabase
from tests.personas.drafting import (
    create,
)
from tests.support.client import (
    GraphQLClient,
    chat_input,
    errors_of,
    voice_input,
)

# ---- createPersona -----------------------------------------------------------


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
