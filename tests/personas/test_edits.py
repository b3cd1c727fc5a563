"""Draft edits over GraphQL: updatePersona, setVoiceConfiguration, removeVoiceConfiguration."""

from typing import Any

import pytest

from app.platform.database import MongoDatabase
from tests.personas.drafting import (
    READ_LOCALE,
    assert_refused,
    locales,
    read,
    set_voice,
    update,
)
from tests.support.client import (
    REMOVE_VOICE,
    GraphQLClient,
    chat_input,
    errors_of,
    mutate,
    stored,
    voice_input,
)

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
