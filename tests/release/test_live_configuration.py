"""liveConfiguration over GraphQL: production only, locale fallback, channels."""

from typing import Any

import pytest
from bson import ObjectId

from tests.support.client import GraphQLClient, chat_input, voice_input
from tests.support.reads import (
    LIVE,
    MALFORMED_IDS,
    SET_VOICE,
    VOICE_AR,
    VOICE_EN_INPUT,
    global_id,
    publish,
    rename,
)

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
