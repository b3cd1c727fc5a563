"""setChatConfiguration over GraphQL: set, replace, remove with null, and refusals."""

from typing import Any

import pytest

from app.platform.database import MongoDatabase
from tests.personas.drafting import (
    assert_refused,
    read,
    set_chat,
)
from tests.support.client import (
    SET_CHAT,
    GraphQLClient,
    chat_input,
    errors_of,
    mutate,
    stored,
    voice_input,
)

# ---- updatePersona -----------------------------------------------------------

C = ["configuration"]


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
